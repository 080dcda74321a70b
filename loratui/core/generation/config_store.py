"""A project's saved generation settings (the ``GenerationConfig`` table), like the export's.

``generate --base-url/--model/...`` saves what it is given, ``loratui genconfig`` shows,
loads, writes and changes the whole set (a TOML file holds the prompts). Settings are
validated before they are stored; the API key is never among them.
"""

from __future__ import annotations

import hashlib
import json

from loratui.core.audit import log_event
from loratui.core.generation.settings import GenerationSettings
from loratui.core.store.db import write_txn
from loratui.core.store.models import GenerationConfig, Project, now


def settings_hash(settings: GenerationSettings) -> str:
    """SHA-256 of the settings (keys sorted): what a run records as its settings."""
    body = json.dumps(settings.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def load_settings(project: Project | int, name: str = "default") -> GenerationSettings:
    """The saved settings ``name`` of ``project``; the defaults when none were saved."""
    row = GenerationConfig.get_or_none(
        (GenerationConfig.project == project) & (GenerationConfig.name == name)
    )
    if row is None:
        return GenerationSettings()
    return GenerationSettings.from_dict(row.config or {})


def save_settings(
    project: Project, settings: GenerationSettings, name: str = "default"
) -> GenerationSettings:
    """Validate and store ``settings`` as ``name``; log ``generation.config`` (the hash and
    the endpoint, never a key: there is none in the settings)."""
    settings.check()
    data = settings.to_dict()
    with write_txn():
        row = GenerationConfig.get_or_none(
            (GenerationConfig.project == project) & (GenerationConfig.name == name)
        )
        if row is None:
            GenerationConfig.create(project=project, name=name, config=data, updated_at=now())
        elif row.config != data:
            row.config = data
            row.updated_at = now()
            row.save()
        else:
            return settings
        log_event(
            project,
            "generation.config",
            f"generation settings {name!r} saved",
            data={"name": name, "settings_hash": settings_hash(settings)},
        )
    return settings
