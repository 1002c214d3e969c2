"""Human-readable rendering of the dry-run report built by :func:`sc_importers.validation.build_report`.

Kept apart from the report itself so ``--json`` and the text view always show the same numbers.
"""

from __future__ import annotations

#: Labels listed one per line under "Annotations"; the rest (the least used) are summed in one line.
LABEL_LINES = 20


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "(none)"


def _kept_line(labels: dict) -> str:
    """The kept labels, or just "all N" when nothing was filtered (a long list is not shown twice)."""
    if labels["kept"] == labels["found"] and labels["kept"]:
        return f"Labels kept:  all {len(labels['kept'])}"
    return f"Labels kept:  {_names(labels['kept'])}"


def _annotation_lines(report: dict) -> list[str]:
    ann = report["annotations"]
    lines = [f"Annotations: {ann['total']}"]
    per_label = sorted(ann["per_label"].items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    shown = per_label if len(per_label) <= LABEL_LINES + 1 else per_label[:LABEL_LINES]
    for label, shapes in shown:
        detail = ", ".join(f"{shape.lower()} {n}" for shape, n in shapes.items())
        lines.append(f"  {label}: {sum(shapes.values())} ({detail})")
    rest = per_label[len(shown):]
    if rest:
        count = sum(sum(shapes.values()) for _, shapes in rest)
        lines.append(f"  ... {len(rest)} more labels with {count} annotations (--json lists every label)")
    if ann["per_shape"]:
        lines.append("  by shape: " + ", ".join(f"{s.lower()} {n}" for s, n in ann["per_shape"].items()))
    return lines


def _project_lines(report: dict) -> list[str]:
    project = report["project"]
    if project is None:
        return ["Project type: none given (pass --type to check a project plan)"]
    if project["error"]:
        return [f"Project type {project['type']}: CANNOT BE BUILT: {project['error']}"]
    lines = [f"Project type {project['type']}:"]
    created = project.get("would_create")
    if created:
        lines.append(f"  the import would create {created['media']} media and {created['annotations']} annotations")
    for task in project["tasks"]:
        lines.append(f"  task {task['title']!r} ({task['task_type']}): labels {_names(task['labels'])}")
        conv = task.get("would_convert")
        if conv is not None:
            per_label = ", ".join(f"{name} {n}" for name, n in conv["labels"].items()) or "nothing"
            lines.append(f"    would upload {conv['media']} annotated media: {per_label}")
    return lines


def _problem_lines(report: dict) -> list[str]:
    problems = report["problems"]
    lines = [f"Problems: {problems['errors']} error(s), {problems['warnings']} warning(s)"]
    for kind, group in problems["by_kind"].items():
        total = group["errors"] + group["warnings"]
        lines.append(f"  {kind}: {group['errors']} error(s), {group['warnings']} warning(s)")
        lines.extend(f"    {example}" for example in group["examples"])
        if total > len(group["examples"]):
            lines.append(f"    ... and {total - len(group['examples'])} more")
    return lines


def _server_lines(report: dict) -> list[str]:
    """What the target server (``--api geti3``) holds instead: mappings and counts, as the real run says."""
    server = report.get("server")
    if not server:
        return []
    lines = ["Mapped for the target server:", *(f"  {m}" for m in server["mappings"])]
    lines += [f"  {key}: {n}" for key, n in sorted(server["conversions"].items())]
    lines += [f"  not kept: {m}" for m in server["not_kept"]]
    return lines


def render_report(report: dict) -> str:
    """The report as plain text, ending with the verdict and why an import could not run."""
    media = report["media"]
    lines = [
        f"Dataset {report['dataset']!r} ({report['format']}) at {report['source']}",
        f"Labels found: {_names(report['labels']['found'])}",
        _kept_line(report["labels"]),
        f"Media: {media['total']} ({media['images']} images, {media['videos']} videos, "
        f"{media['frames_annotated']} annotated video frames)",
        f"  unannotated: {media['unannotated']}, filtered out by --labels: {media['filtered_out']}, "
        f"skipped for errors: {media['skipped']}",
        *_annotation_lines(report),
        *_project_lines(report),
        *_server_lines(report),
        *_problem_lines(report),
    ]
    if report["importable"]:
        skipped = f" ({media['skipped']} item(s) would be skipped)" if media["skipped"] else ""
        lines.append("Result: importable" + skipped)
    else:
        lines.append("Result: NOT importable as asked:")
        lines.extend(f"  - {reason}" for reason in report["blockers"])
    return "\n".join(lines)
