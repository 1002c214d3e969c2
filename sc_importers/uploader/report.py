"""The summary of one import run: what was created, what was skipped and why, how fast.

The same :class:`UploadReport` is printed for people (:meth:`UploadReport.render`) and as JSON for
scripts (:meth:`UploadReport.to_dict`); :meth:`UploadReport.exit_code` is 0 only when everything
asked for was created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sc_importers.uploader.progress import ItemProgress

#: Exit codes of an import run.
EXIT_OK = 0
EXIT_ITEMS_FAILED = 1  # the project exists, some items were skipped or failed
EXIT_REFUSED = 2  # nothing was uploaded: bad name, dataset cannot become the project, login failed
EXIT_ABORTED = 3  # the run stopped part-way (connection lost, authentication refused)
EXIT_INTERRUPTED = 130  # the user pressed Ctrl-C (128 + SIGINT, as shells report it)

#: How many failed items (and dataset errors) the human summary lists one by one (JSON lists all).
LISTED_FAILURES = 20
#: How many warnings the human summary lists one by one.
LISTED_WARNINGS = 5


@dataclass
class UploadReport:
    """Outcome of one run. ``items`` has one record per source item that was asked for;
    ``filtered`` counts items left out on purpose (label filter, unannotated without
    ``--empty-label-for-unannotated``), which do not make a run fail."""

    project_name: str
    project_id: str | None = None
    items: list[ItemProgress] = field(default_factory=list)
    filtered: int = 0
    seconds: float = 0.0
    workers: int = 0
    configuration: dict[str, dict] = field(default_factory=dict)
    #: A restored backup: project-level ("global") configuration parameters set to the backup's values.
    project_parameters_restored: int = 0
    #: A restored backup: settings the server could not hold or edit (key -> reason); also warnings.
    settings_not_applied: dict[str, str] = field(default_factory=dict)
    aborted: str | None = None
    refused: str | None = None
    #: ``--resume``: the run continued an existing project; ``unmatched_on_server`` counts media the
    #: project holds that no item of this dataset was paired with (left alone).
    resumed: bool = False
    unmatched_on_server: int = 0
    #: ``--resume``: how the media already there were told apart from other files of the same name
    #: (``by_upload_journal``, ``by_downloaded_content``) and how many items share a name with a
    #: server media but not its bytes (``same_name_other_content``: uploaded as new media).
    resume_matches: dict[str, int] = field(default_factory=dict)
    #: The user pressed Ctrl-C; ``aborted`` says at which step.
    interrupted: bool = False
    #: Items this run set out to handle (uploaded or failed); more than ``len(items)`` when it stopped early.
    planned: int = 0
    #: Dataset errors naming no item (something of the dataset was not imported), and warnings
    #: (imported with a caveat), from the reader and the same checks as ``--dry-run``.
    dataset_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: A server that cannot hold the project as planned (``ServerAPI.adapt``, e.g. Geti 3): the mappings
    #: applied, what was not kept, and annotations converted or left behind ("converted: ..." /
    #: "left behind: ..." -> count); ``not_sent`` of the posted annotations the client left behind.
    mappings: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)
    conversions: dict[str, int] = field(default_factory=dict)
    not_sent: int = 0

    @property
    def media_created(self) -> int:
        """Media this run uploaded (not those a resumed run found already there)."""
        return sum(1 for r in self.items if r.media_id is not None and not r.resumed)

    @property
    def media_already_there(self) -> int:
        """Items whose media a resumed run found on the server and did not upload again."""
        return sum(1 for r in self.items if r.media_id is not None and r.resumed)

    @property
    def completed_existing(self) -> int:
        """Already uploaded media that got (some of) their annotations only in this run."""
        return sum(1 for r in self.items if r.resumed and r.annotations_posted)

    @property
    def annotations_created(self) -> int:
        return sum(r.annotations_posted for r in self.items) - self.not_sent

    @property
    def resumable(self) -> bool:
        """The run stopped after creating its project: ``--resume`` can finish it."""
        return self.project_id is not None and bool(self.aborted)

    @property
    def failed(self) -> list[ItemProgress]:
        return [r for r in self.items if r.error is not None]

    @property
    def items_per_second(self) -> float:
        return self.media_created / self.seconds if self.seconds > 0 else 0.0

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.refused:
            return EXIT_REFUSED
        if self.aborted:
            return EXIT_ABORTED
        return EXIT_ITEMS_FAILED if self.failed or self.dataset_errors else EXIT_OK

    def to_dict(self) -> dict:
        return {
            "project": {"name": self.project_name, "id": self.project_id},
            "media_created": self.media_created,
            "resumed": self.resumed,
            "media_already_there": self.media_already_there,
            "existing_media_completed": self.completed_existing,
            "media_on_server_not_in_dataset": self.unmatched_on_server,
            "resume_matches": self.resume_matches,
            "annotations_created": self.annotations_created,
            "items": len(self.items),
            "planned": max(self.planned, len(self.items)),
            "filtered_out": self.filtered,
            "failed": [{"key": r.key, "media_id": r.media_id, "annotations_posted": r.annotations_posted,
                        "reason": r.error} for r in self.failed],
            "dataset_errors": self.dataset_errors,
            "warnings": self.warnings,
            "configuration": self.configuration,
            "project_parameters_restored": self.project_parameters_restored,
            "settings_not_applied": self.settings_not_applied,
            "mappings": self.mappings,
            "not_kept": self.not_kept,
            "conversions": self.conversions,
            "seconds": round(self.seconds, 3),
            "items_per_second": round(self.items_per_second, 2),
            "workers": self.workers,
            "aborted": self.aborted,
            "interrupted": self.interrupted,
            "refused": self.refused,
            "exit_code": self.exit_code(),
            # the JSON error shape of every sc command: "error" (with "exit_code") when the run was refused
            # or stopped; absent when it ran to its end
            **({"error": self.refused or self.aborted} if self.refused or self.aborted else {}),
        }

    def render(self) -> str:
        if self.refused:
            return f"Import refused: {self.refused}"
        lines = [
            f"Project {self.project_name!r} (id {self.project_id})",
            f"  media created:       {self.media_created} of {max(self.planned, len(self.items))}",
            f"  annotations created: {self.annotations_created}",
        ]
        if self.resumed:
            lines.append(f"  already there:       {self.media_already_there} media (resumed; annotations "
                         f"added to {self.completed_existing} of them)")
            matches = self.resume_matches
            if matches:
                lines.append(f"    matched by content: {matches.get('by_upload_journal', 0)} by the upload journal's "
                             f"hashes, {matches.get('by_downloaded_content', 0)} by hashing the server's bytes")
                if matches.get("same_name_other_content"):
                    lines.append(f"    same name, other content: {matches['same_name_other_content']} item(s) "
                                 "(uploaded as new media)")
            if self.unmatched_on_server:
                lines.append(f"  not in the dataset:  {self.unmatched_on_server} media on the server "
                             "(left alone)")
        if self.planned > len(self.items):
            lines.append(f"  not started:         {self.planned - len(self.items)}")
        if self.filtered:
            lines.append(f"  filtered out:        {self.filtered} (label filter / unannotated)")
        if self.project_parameters_restored:
            lines.append(f"  project configuration: {self.project_parameters_restored} parameter(s) restored")
        for title, values in self.configuration.items():
            lines.append(f"  {title}: auto-training {'on' if values['auto_training'] else 'off'}"
                         + (f", {values['iterations']} iterations" if values["iterations"] else "")
                         + (f", {values['restored_parameters']} parameter(s) restored"
                            if values.get("restored_parameters") else ""))
        if self.mappings:
            lines.append("  mapped for this server:")
            lines += [f"    {m}" for m in self.mappings]
        if self.conversions:
            lines.append("  annotations converted / left behind:")
            lines += [f"    {key}: {n}" for key, n in sorted(self.conversions.items())]
        if self.not_kept:
            lines.append("  not kept (no counterpart on this server):")
            lines += [f"    {m}" for m in self.not_kept]
        lines.append(f"  time: {self.seconds:.1f} s ({self.items_per_second:.1f} items/s, "
                     f"{self.workers} workers)")
        failed = self.failed
        if failed:
            lines.append(f"  {len(failed)} item(s) failed:")
            lines += [f"    {r.key}: {r.error}" for r in failed[:LISTED_FAILURES]]
            if len(failed) > LISTED_FAILURES:
                lines.append(f"    ... and {len(failed) - LISTED_FAILURES} more (see --json)")
        if self.dataset_errors:
            lines.append(f"  {len(self.dataset_errors)} dataset error(s) (not imported):")
            lines += [f"    {e}" for e in self.dataset_errors[:LISTED_FAILURES]]
            if len(self.dataset_errors) > LISTED_FAILURES:
                lines.append(f"    ... and {len(self.dataset_errors) - LISTED_FAILURES} more (see --json)")
        if self.warnings:
            lines.append(f"  {len(self.warnings)} warning(s) (imported with a caveat):")
            lines += [f"    {w}" for w in self.warnings[:LISTED_WARNINGS]]
            if len(self.warnings) > LISTED_WARNINGS:
                lines.append(f"    ... and {len(self.warnings) - LISTED_WARNINGS} more (see --json or --dry-run)")
        if self.aborted:
            if self.interrupted and self.resumable:
                lines.append("  (sc import ... --resume finishes this project without uploading anything twice)")
            lines.append(f"STOPPED: {self.aborted}. Created so far: {self.media_created} media and "
                         f"{self.annotations_created} annotations in project {self.project_name!r} "
                         f"(id {self.project_id}).")
        return "\n".join(lines)
