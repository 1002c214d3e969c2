"""The hooks a plugin can implement.

A plugin is a module (or any object) registered under the ``sc_importers`` entry-point group,
whose functions are marked with :data:`hookimpl`. The built-in readers in ``plugins/`` are loaded
exactly the same way; see :mod:`sc_importers.plugins`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sc_importers.formats import FormatReader
    from sc_importers.project_types.base import ProjectType

PROJECT_NAME = "sc_importers"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_format_readers() -> list[FormatReader]:
    """Return the format readers this plugin provides.

    Each reader is a :class:`sc_importers.formats.FormatReader` (or an object with the same
    attributes): a ``name`` used by ``--format``, ``options`` it accepts, ``detect(path)``
    returning a :class:`~sc_importers.formats.Detection` (confidence and reasons, used by
    format auto-detection) and ``read(path, **options)`` returning a
    :class:`~sc_importers.model.Dataset`. The hook is called once per plugin; the core collects
    every plugin's list; of two readers with the same name the built-in one (else the plugin whose
    name sorts first) is used, with a warning naming both.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this body


@hookspec
def register_project_types() -> list[ProjectType]:
    """Return the project-type builders this plugin provides.

    Each builder is a :class:`sc_importers.project_types.base.ProjectType`: a ``name`` used by
    ``--type`` (``detection``, ``detection_to_segmentation``, ...), the SC task types of its
    trainable tasks, which annotation shapes each task accepts, ``plan(dataset, options)``
    returning the tasks and labels to create, and ``convert(...)`` turning one media item's
    dataset annotations into the project's. Results of all plugins are collected into one list;
    duplicate names are resolved as for readers.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this body
