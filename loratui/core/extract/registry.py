"""A registry that is a list of module names, each module holding one object.

The two extension points (document kinds, export formats) are registries of this shape:
adding one is a new module plus its name in the list. Modules are imported on first use,
so naming a kind costs nothing until a file is looked at. Names, not objects, are what
cross into worker processes: a module added at run time (``add``) is listed by
``extensions()``, and each pool's initializer hands that list to ``load`` in its workers,
which import the same modules and so hold the same objects.

It lives in ``extract`` because that package may import nothing of the core but its
errors (``export.formats`` uses it too).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar


class Named(Protocol):
    name: str


T = TypeVar("T", bound=Named)
R = TypeVar("R")


class ModuleRegistry(Generic[T]):
    """The objects named ``attribute`` in ``modules`` (built in) and in modules ``add``ed.

    ``unknown(name)`` is the error ``get`` raises for a name nobody registered.
    """

    def __init__(
        self,
        modules: list[str],
        attribute: str,
        cls: type[T],
        unknown: Callable[[str], Exception],
    ) -> None:
        self.modules = modules  # the built-in list (the one line of registration goes here)
        self._attribute = attribute
        self._cls = cls
        self._unknown = unknown
        self._extra: list[str] = []  # added at run time; worker processes import them too
        self._items: dict[str, T] | None = None
        self._derived: dict[Callable[..., Any], Any] = {}  # derived(fn) per set of objects

    def _load_all(self) -> dict[str, T]:
        if self._items is None:
            items: dict[str, T] = {}
            for module in [*self.modules, *self._extra]:
                item = self._take(module)
                if item.name in items and items[item.name] is not item:
                    raise ValueError(f"{module} registers {item.name!r} a second time")
                items[item.name] = item
            self._items = items
            self._derived = {}
        return self._items

    def _take(self, module: str) -> T:
        item = getattr(importlib.import_module(module), self._attribute, None)
        if not isinstance(item, self._cls):
            raise TypeError(f"{module} has no {self._attribute} ({self._cls.__name__})")
        return item

    def add(self, module: str) -> T:
        """Register the object of ``module`` (importing it); worker processes started from
        now on import it too. Adding a module twice is harmless."""
        item = self._take(module)
        if module not in self.modules and module not in self._extra:
            self._extra.append(module)
            self._items = None
            try:
                self._load_all()
            except Exception:  # e.g. a name taken: the registry stays as it was
                self._extra.remove(module)
                self._items = None
                raise
        return item

    def remove(self, module: str) -> None:
        """Forget a module ``add`` registered (tests clean up with this)."""
        if module in self._extra:
            self._extra.remove(module)
            self._items = None

    def extensions(self) -> tuple[str, ...]:
        """The modules added at run time, for worker processes to ``load``."""
        return tuple(self._extra)

    def load(self, modules: Iterable[str]) -> None:
        """In a worker process: register the modules the parent added."""
        for module in modules:
            self.add(module)

    def all(self) -> tuple[T, ...]:
        """Every registered object: the built-in list's order, then those added."""
        return self.derived(tuple)

    def derived(self, fn: Callable[[tuple[T, ...]], R]) -> R:
        """``fn(self.all())``, worked out once per set of registered objects (detection
        asks for its order and the extension map for every file)."""
        items = self._load_all()
        if fn not in self._derived:
            self._derived[fn] = fn(tuple(items.values()))
        return self._derived[fn]

    def names(self) -> list[str]:
        return list(self._load_all())

    def find(self, name: str | None) -> T | None:
        return self._load_all().get(name) if name is not None else None

    def get(self, name: str) -> T:
        item = self.find(name)
        if item is None:
            raise self._unknown(name)
        return item
