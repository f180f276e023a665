"""Modules loaded on first use, declared once where they are needed.

``pandas = lazy_import("pandas")`` binds a module object whose code runs the first time
one of its own names is read (``pandas.DataFrame``), so that a command that never
touches it never pays for it. A submodule can be deferred before its package is imported
(``lazy_import("bertopic.plotting")``): the package then finds it in ``sys.modules`` and
does not run it. The import system only reads a module's ``__spec__``, ``__path__`` and
the other attributes :data:`IMPORT_ATTRIBUTES` names, which are set at once; any other name,
``__version__`` included (pyarrow reads pandas' version on its first conversion), runs it.
The standard library's LazyLoader, which loads on any attribute, cannot defer a module that
another module imports by name.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType

#: What the import system reads of a module without running it (a plain module may lack ``__path__``).
IMPORT_ATTRIBUTES = frozenset({"__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__", "__cached__"})


class _Deferred(ModuleType):
    """A module whose code has not run yet: it runs on the first read of a missing name."""

    def __getattr__(self, name: str):
        if name in IMPORT_ATTRIBUTES:
            raise AttributeError(name)
        self.__class__ = ModuleType  # from now on a plain module (no recursion while it runs)
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def _spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of a module, found without importing its parent packages."""
    top, *rest = name.split(".")
    spec = importlib.util.find_spec(top)
    for i in range(1, len(rest) + 1):
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = importlib.machinery.PathFinder.find_spec(".".join([top, *rest[:i]]), spec.submodule_search_locations)
    return spec


def lazy_import(name: str) -> ModuleType:
    """The module ``name``, run on the first read of one of its names (the module itself if already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = _spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module
    return module
