"""The dry run's view of what the target server holds (``--api geti3``): the same refusal, mappings and
counts as the real run (:meth:`~sc_importers.rest.base.ServerAPI.adapt`), computed without connecting.

Counted here: the conversions of the adaptation and the annotations of frames the server cannot hold.
Two counts of the real run are made only while posting, with the media size: empty labels sent as an
empty list, and image-level / region annotations a task cannot hold (see ``docs/geti3-migration.md``).
"""

from __future__ import annotations

from sc_importers.model import Dataset
from sc_importers.project_types.base import BuildError, BuildOptions, ProjectPlan, ProjectType


def server_adaptation(connection: dict, project_type: ProjectType, dataset: Dataset, plan: ProjectPlan,
                      options: BuildOptions, skip: set[str]) -> dict | None:
    """``{"mappings", "not_kept", "conversions"}`` for a named dialect that maps the plan; None when nothing
    is mapped. Raises :class:`BuildError` with the server's refusal (and its choices)."""
    api = connection.get("api")
    if not api or api == "auto":
        return None
    from sc_importers.rest.base import ServerError
    from sc_importers.rest.connect import adapt_offline
    from sc_importers.rest.geti_v3_mapping import Geti3Choices

    choices = {key: connection[key] for key in ("chain_task", "rotated_as", "anomaly_as") if connection.get(key)}
    try:
        adaptation = adapt_offline(api, plan.tasks, Geti3Choices(**choices) if choices else None)
    except ServerError as exc:
        raise BuildError(str(exc)) from None
    if not adaptation.mappings and adaptation.converter is None:
        return None
    for item in dataset.items:
        if item.key in skip:
            continue
        groups = [(None, item.annotations)] if item.kind == "image" else sorted(item.frames.items())
        for frame, given in groups:
            converted = adaptation.convert(project_type.convert(item, given, plan, options))
            if frame in adaptation.unwritable_frames and converted:
                adaptation.count(adaptation.unwritable_key, len(converted))
    return {"mappings": adaptation.mappings, "not_kept": adaptation.not_kept, "conversions": dict(adaptation.counts)}
