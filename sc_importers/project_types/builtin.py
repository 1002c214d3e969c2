"""The core project-type builders (registered by the plugin manager itself)."""

from __future__ import annotations

from sc_importers.hookspecs import hookimpl
from sc_importers.project_types.base import ProjectType


@hookimpl
def register_project_types() -> list[ProjectType]:
    return []
