"""Every database row that belongs to one project, found through the schema itself.

Archive and restore work on whatever tables ``models.ALL_MODELS`` holds: a table belongs
to a project when it has a foreign key to ``Project`` or to a table that does (Document,
Job, ...); ``Event`` belongs by its plain ``project_id``. Restore inserts rows with new
ids and rewrites the foreign keys with the old->new id map, so tables other parts of
loratui add later are carried along without changes here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import peewee

from loratui.core.store import models
from loratui.core.store.models import Event, Project


def _foreign_keys(model: type[peewee.Model]) -> list[peewee.ForeignKeyField]:
    return [f for f in model._meta.sorted_fields if isinstance(f, peewee.ForeignKeyField)]


def owned_models() -> list[type[peewee.Model]]:
    """Project, then every table owned through foreign keys, parents before children."""
    ordered: list[type[peewee.Model]] = [Project]
    pending = [m for m in models.ALL_MODELS if m not in (Project, Event)]
    progress = True
    while pending and progress:
        progress = False
        for model in list(pending):
            parents = [f.rel_model for f in _foreign_keys(model) if f.rel_model is not model]
            if parents and all(p in ordered for p in parents):
                ordered.append(model)
                pending.remove(model)
                progress = True
            elif parents and not any(p in ordered or p in pending for p in parents):
                pending.remove(model)  # points only at tables outside any project
    return ordered


def table_name(model: type[peewee.Model]) -> str:
    return model._meta.table_name


def _owner_key(model: type[peewee.Model], owned: list[type[peewee.Model]]):  # noqa: ANN202
    """The foreign key that ties ``model`` to its project, preferring one to Project."""
    fks = [f for f in _foreign_keys(model) if f.rel_model is not model and f.rel_model in owned]
    for f in fks:
        if f.rel_model is Project:
            return f
    return fks[0] if fks else None


def _select_ids(model: type[peewee.Model], project_id: int, owned: list) -> peewee.Select:
    if model is Project:
        return Project.select(Project.id).where(Project.id == project_id)
    fk = _owner_key(model, owned)
    return model.select(model._meta.primary_key).where(
        fk.in_(_select_ids(fk.rel_model, project_id, owned))
    )


def project_query(model: type[peewee.Model], project_id: int) -> peewee.Select:
    """All rows of ``model`` belonging to the project, oldest id first."""
    if model is Event:
        return Event.select().where(Event.project_id == project_id).order_by(Event.id)
    owned = owned_models()
    if model is Project:
        return Project.select().where(Project.id == project_id)
    fk = _owner_key(model, owned)
    pk = model._meta.primary_key
    return model.select().where(fk.in_(_select_ids(fk.rel_model, project_id, owned))).order_by(pk)


def dump_rows(model: type[peewee.Model], project_id: int) -> Iterator[dict[str, Any]]:
    """The project's rows of ``model`` as plain dicts (field names, JSON fields decoded)."""
    yield from project_query(model, project_id).dicts().iterator()


def all_tables() -> list[type[peewee.Model]]:
    """The tables an archive carries, in the order restore inserts them."""
    return [*owned_models(), Event]


class IdMap:
    """Old id -> new id per table, filled while restoring."""

    def __init__(self) -> None:
        self.maps: dict[type[peewee.Model], dict[int, int]] = {}

    def add(self, model: type[peewee.Model], old: int, new: int) -> None:
        self.maps.setdefault(model, {})[int(old)] = int(new)

    def get(self, model: type[peewee.Model], old: Any) -> int | None:
        if old is None:
            return None
        return self.maps.get(model, {}).get(int(old))


def insert_row(model: type[peewee.Model], row: dict[str, Any], ids: IdMap) -> tuple[int, dict]:
    """Insert ``row`` with a new id and remapped foreign keys; return (new id, deferred).

    ``deferred`` holds self-references (e.g. ``Document.duplicate_of``) to set once
    every row of the table is in; unknown columns (an archive from another schema
    version) are dropped, missing ones take their defaults.
    """
    fields = model._meta.fields
    pk_name = model._meta.primary_key.name
    values: dict[str, Any] = {}
    deferred: dict[str, Any] = {}
    for name, value in row.items():
        field = fields.get(name)
        if field is None or name == pk_name:
            continue
        if isinstance(field, peewee.ForeignKeyField):
            if field.rel_model is model:
                if value is not None:
                    deferred[name] = value
                value = None
            else:
                mapped = ids.get(field.rel_model, value)
                if mapped is None and value is not None and not field.null:
                    raise KeyError(f"{table_name(model)}.{name} points at missing row {value}")
                value = mapped
        values[name] = value
    new_id = model.insert(**values).execute()
    ids.add(model, row[pk_name], new_id)
    return new_id, deferred


def apply_deferred(model: type[peewee.Model], pending: list[tuple[int, dict]], ids: IdMap) -> None:
    """Set the self-references ``insert_row`` held back, now that every id is known."""
    pk = model._meta.primary_key
    for new_id, deferred in pending:
        if not deferred:
            continue
        values = {name: ids.get(model, old) for name, old in deferred.items()}
        model.update(**values).where(pk == new_id).execute()
