"""The uploader: turns a read dataset into a project on a server.

``run_import`` is the entry point of ``sc-import`` (non-dry-run); ``import_dataset`` does the
same on an already open :class:`~sc_importers.rest.base.ServerAPI`. Modules: :mod:`.run`
(orchestration), :mod:`.engine` (concurrent upload), :mod:`.progress` (per-item records and
bars), :mod:`.resolve` (label names), :mod:`.configure` (project creation, training settings),
:mod:`.report` (summary, JSON, exit codes), and for restores of backups :mod:`.restore` (the
backed-up configuration) and :mod:`.media_names` (same-named media keep their name).
"""

from sc_importers.uploader.progress import ItemProgress
from sc_importers.uploader.report import UploadReport
from sc_importers.uploader.run import DEFAULT_WORKERS, import_dataset, run_import

__all__ = ["DEFAULT_WORKERS", "ItemProgress", "UploadReport", "import_dataset", "run_import"]
