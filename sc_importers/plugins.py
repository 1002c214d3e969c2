"""The plugin manager: finds plugins through entry points and collects what their hooks return.

Every plugin, built-in or third-party, is an entry point in the ``sc_importers`` group. The only
thing registered without an entry point is the core's own set of project-type builders
(:mod:`sc_importers.project_types.builtin`), which is part of the core, not a plugin.

``SC_IMPORTERS_PLUGINS=coco,backup`` loads only the named entry points (tests, debugging).
A plugin that fails to import gives a warning naming it and is skipped; the others still load.
Two plugins registering a reader (or project type) under one name: the built-in one wins (else
the plugin whose name sorts first), and a warning names both, so one careless plugin cannot
take every reader down.
"""

from __future__ import annotations

import importlib.metadata
import os
import warnings
from functools import lru_cache
from typing import Any

import pluggy

from sc_importers import hookspecs
from sc_importers.formats import FormatReader
from sc_importers.project_types.base import ProjectType

ENTRY_POINT_GROUP = "sc_importers"
ENV_ONLY = "SC_IMPORTERS_PLUGINS"


#: The distribution ("sc-importers" for built-ins) of every entry-point plugin loaded, by plugin name.
_DISTRIBUTIONS: dict[str, str] = {}
BUILT_IN_DISTRIBUTION = "sc-importers"


def _wanted() -> set[str] | None:
    raw = os.environ.get(ENV_ONLY)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    wanted = _wanted()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue  # the same distribution found twice on sys.path
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
            _DISTRIBUTIONS[ep.name] = ep.dist.name if ep.dist is not None else ""
        except Exception as exc:
            warnings.warn(
                f"sc-importers: plugin {ep.name!r} ({ep.value}) could not be loaded and is "
                f"skipped: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with the core builders and every entry-point plugin."""
    from sc_importers.project_types import builtin

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin, name="sc_importers.project_types")
    _load_entry_points(pm)
    return pm


def reset() -> None:
    """Forget loaded plugins, so the next call re-reads entry points (tests use this)."""
    get_plugin_manager.cache_clear()
    _DISTRIBUTIONS.clear()


def _precedence(pm: pluggy.PluginManager, impl: pluggy.HookImpl) -> tuple[bool, str]:
    """Sort key of hook implementations: core and built-in plugins first, then by plugin name."""
    name = pm.get_name(impl.plugin) or repr(impl.plugin)
    third_party = name in _DISTRIBUTIONS and _DISTRIBUTIONS[name] != BUILT_IN_DISTRIBUTION
    return third_party, name


def _collect(hook_name: str) -> dict[str, tuple[str, Any]]:
    """(plugin name, object) of every object the hook's implementations return, by the object's
    name; what the objects are is the hook specification's return type (the caller's to say)."""
    pm = get_plugin_manager()
    found: dict[str, tuple[str, Any]] = {}
    impls = sorted(getattr(pm.hook, hook_name).get_hookimpls(), key=lambda impl: _precedence(pm, impl))
    for impl in impls:
        plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            objects = impl.function() or []
        except Exception as exc:
            warnings.warn(
                f"sc-importers: plugin {plugin_name!r} failed in {hook_name}() and is "
                f"skipped: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        for obj in objects:
            name = obj.name
            if name in found:
                warnings.warn(
                    f"sc-importers: two plugins register {name!r} in {hook_name}: "
                    f"{found[name][0]!r} and {plugin_name!r}; the one from {plugin_name!r} is ignored",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            found[name] = (plugin_name, obj)
    return found


def format_readers() -> dict[str, FormatReader]:
    """Every registered format reader, by name."""
    return {name: obj for name, (_, obj) in sorted(_collect("register_format_readers").items())}


def project_types() -> dict[str, ProjectType]:
    """Every registered project-type builder, by name."""
    return {name: obj for name, (_, obj) in _collect("register_project_types").items()}


def plugin_of(kind: str, name: str) -> str:
    """Which plugin registered the reader (``kind="format"``) or type (``kind="type"``) ``name``."""
    hook = "register_format_readers" if kind == "format" else "register_project_types"
    return _collect(hook)[name][0]
