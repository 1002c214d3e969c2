"""The dry run as a web page (``sc-import --dry-run --html report.html``): what would be created, to
look at before anything is sent.

The numbers are those of the dry-run report (:func:`sc_importers.validation.build_report`, the same
dict ``--json`` prints), each shown in an element whose ``data-path`` names its place in that dict,
so the page and the JSON cannot disagree. Below them, a sample of the media items with their
annotations drawn as the project would get them (after the project type's ``convert``), images
embedded as small JPEGs so the file stands alone. Coordinates are the dataset's pixels; nothing
here knows a server dialect.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import json
from html import escape
from pathlib import Path

from sc_importers.model import (
    EMPTY_LABEL,
    Annotation,
    Dataset,
    Ellipse,
    MediaItem,
    Polygon,
    Rectangle,
    RotatedRectangle,
    Shape,
)
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType

#: Media items drawn in the report; the rest are counted.
SAMPLE_SIZE = 24
#: Longest side of an embedded image, in pixels.
PREVIEW_SIZE = 480

_CSS = """body{font-family:system-ui,sans-serif;margin:20px;color:#222}table{border-collapse:collapse;margin:8px 0}
td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.swatch{display:inline-block;width:11px;
height:11px;border-radius:2px;margin-right:4px}.grid{display:grid;grid-template-columns:repeat(auto-fill,
minmax(320px,1fr));gap:14px}.item{border:1px solid #ccc;border-radius:6px;padding:6px}.item svg{width:100%;
height:260px;background:#111}.bad{color:#b00020}.ok{color:#1b7f3a}.muted{color:#666}"""


def label_color(name: str, dataset: Dataset) -> str:
    """The dataset's color of a label (``#rrggbb``), else a steady color made from its name (the
    server picks its own for labels without one)."""
    label = dataset.label(name)
    if label is not None and label.color and label.color.startswith("#") and len(label.color) in (7, 9):
        return label.color[:7]
    if name == EMPTY_LABEL:
        return "#9e9e9e"
    hue = int.from_bytes(hashlib.sha1(name.encode()).digest()[:2], "big") / 65536
    return "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hsv_to_rgb(hue, 0.85, 0.95))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def shape_svg(shape: Shape, attrs: str) -> str:
    """One SVG element for a pixel shape (a rotated rectangle turns about its centre)."""
    if isinstance(shape, Polygon):
        return f'<polygon {attrs} points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)}"/>'
    if isinstance(shape, Ellipse):
        return (f'<ellipse {attrs} cx="{_n(shape.x + shape.width / 2)}" cy="{_n(shape.y + shape.height / 2)}" '
                f'rx="{_n(shape.width / 2)}" ry="{_n(shape.height / 2)}"/>')
    if isinstance(shape, RotatedRectangle):
        return (f'<rect {attrs} transform="rotate({_n(shape.angle)} {_n(shape.x)} {_n(shape.y)})" '
                f'x="{_n(shape.x - shape.width / 2)}" y="{_n(shape.y - shape.height / 2)}" '
                f'width="{_n(shape.width)}" height="{_n(shape.height)}"/>')
    assert isinstance(shape, Rectangle)
    return f'<rect {attrs} x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.width)}" height="{_n(shape.height)}"/>'


def _preview(item: MediaItem, frame: int | None) -> str | None:
    """A small JPEG of the image (or of the video frame) as a data URL; None when it cannot be read."""
    from PIL import Image

    try:
        if item.kind == "video":
            import av

            with av.open(str(item.path)) as container:
                image = next((f.to_image() for i, f in enumerate(container.decode(video=0)) if i >= (frame or 0)),
                             None)
            if image is None:
                return None
        else:
            image = Image.open(item.path)
        image = image.convert("RGB")
        image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    except Exception:  # a damaged file is already an error of the report; the page just shows no picture
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def _item_html(item: MediaItem, dataset: Dataset, project_type: ProjectType | None, plan: ProjectPlan | None,
               options: BuildOptions) -> str:
    frame = min((i for i, anns in item.frames.items() if anns), default=None) if item.kind == "video" else None
    given = item.frames.get(frame, []) if frame is not None else item.annotations
    note = ""
    try:
        shown: list[Annotation] = (project_type.convert(item, given, plan, options)
                                   if project_type is not None and plan is not None else given)
        width, height = item.size()
    except Exception as exc:  # the report lists the problem; here the item is shown without drawing
        shown, (width, height), note = [], (item.width or 1, item.height or 1), f"{type(exc).__name__}: {exc}"
    url = _preview(item, frame)
    parts = [f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">']
    if url:
        parts.append(f'<image href="{url}" x="0" y="0" width="{width}" height="{height}"/>')
    chips = []
    for ann in shown:
        names = ["empty label" if n == EMPTY_LABEL else n for n in ann.labels]
        color = label_color(ann.labels[0], dataset) if ann.labels else "#ffffff"
        if ann.shape is None:
            chips.append(f'<span class="image-label"><span class="swatch" style="background:{color}"></span>'
                         f"{escape(', '.join(names))}</span> ")
            continue
        attrs = (f'class="shape" data-labels="{escape(json.dumps(list(ann.labels)), quote=True)}" stroke="{color}" '
                 f'fill="{color}" fill-opacity="0.15" stroke-width="2" vector-effect="non-scaling-stroke"')
        parts.append(f"<g><title>{escape(', '.join(names))}</title>{shape_svg(ann.shape, attrs)}</g>")
    parts.append("</svg>")
    where = f", frame {frame}" if frame is not None else ""
    return (f'<div class="item" data-key="{escape(item.key, quote=True)}" data-annotations="{len(shown)}">'
            f'{"".join(parts)}<div><b>{escape(item.key)}</b> <span class="muted">{item.kind}{where}, '
            f"{len(shown)} annotation(s)</span></div>{''.join(chips)}"
            f'{f"<div class=bad>{escape(note)}</div>" if note else ""}</div>')


def _count(path: list[str | int], value: object) -> str:
    return f"<span data-path=\"{escape(json.dumps(path), quote=True)}\">{escape(str(value))}</span>"


def _summary_html(report: dict, dataset: Dataset) -> str:
    media = report["media"]
    rows = "".join(f"<tr><th>{escape(key.replace('_', ' '))}</th><td>{_count(['media', key], value)}</td></tr>"
                   for key, value in media.items())
    ann = report["annotations"]
    shapes = sorted({s for per in ann["per_label"].values() for s in per})
    head = "".join(f"<th>{escape(s.lower())}</th>" for s in shapes)
    label_rows = "".join(
        f'<tr><td><span class="swatch" style="background:{label_color(name, dataset)}"></span>{escape(name)}</td>'
        + "".join(f"<td>{_count(['annotations', 'per_label', name, s], per[s]) if s in per else ''}</td>"
                  for s in shapes) + "</tr>"
        for name, per in sorted(ann["per_label"].items()))
    state = ('<p class="ok" id="importable">Can be imported.</p>' if report["importable"] else
             '<p class="bad" id="importable">Cannot be imported: '
             + escape("; ".join(report["blockers"])) + "</p>")
    project = report.get("project")
    tasks = ""
    if project:
        tasks = f"<h2>Project: {escape(project['type'])}</h2>" + (
            f'<p class="bad">{escape(project["error"])}</p>' if project.get("error") else "")
        for i, task in enumerate(project["tasks"]):
            would = task.get("would_convert") or {"media": 0, "labels": {}}
            counts = ", ".join(f"{escape(n)}: {_count(['project', 'tasks', i, 'would_convert', 'labels', n], v)}"
                               for n, v in would["labels"].items())
            tasks += (f"<p><b>{escape(task['title'])}</b> ({escape(task['task_type'])}): "
                      f"{_count(['project', 'tasks', i, 'would_convert', 'media'], would['media'])} media; "
                      f"{counts or 'no annotations'}</p>")
    problems = report["problems"]
    kinds = "".join(f"<li>{escape(kind)}: {g['errors']} error(s), {g['warnings']} warning(s)<ul>"
                    + "".join(f"<li>{escape(e)}</li>" for e in g["examples"]) + "</ul></li>"
                    for kind, g in problems["by_kind"].items())
    return (f"{state}<h2>Media</h2><table>{rows}</table>"
            f"<h2>Annotations: {_count(['annotations', 'total'], ann['total'])}</h2>"
            f"<table><tr><th>label</th>{head}</tr>{label_rows}</table>{tasks}"
            f"<h2>Problems: {_count(['problems', 'errors'], problems['errors'])} error(s), "
            f"{_count(['problems', 'warnings'], problems['warnings'])} warning(s)</h2><ul>{kinds}</ul>")


def render_html_report(report: dict, dataset: Dataset, project_type: ProjectType | None = None,
                       plan: ProjectPlan | None = None, options: BuildOptions | None = None,
                       skip: set[str] | frozenset[str] = frozenset(), sample: int = SAMPLE_SIZE) -> str:
    """The page for a dry-run ``report`` of ``dataset`` (the kept dataset the report describes);
    items in ``skip`` (those with errors) are left out of the sample."""
    candidates = sorted((i for i in dataset.items if i.key not in skip), key=lambda i: i.key)
    chosen = candidates[:sample]
    items = "".join(_item_html(i, dataset, project_type, plan, options or BuildOptions()) for i in chosen)
    title = f"Dry run of {report['dataset']}"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"
            f'<p class="muted">{escape(report["format"])} dataset at {escape(report["source"])}</p>'
            f"{_summary_html(report, dataset)}<h2>Sample: {len(chosen)} of {len(candidates)} media items, drawn as "
            f'the project would get them</h2><div class="grid" id="sample">{items}</div></body></html>')


def write_html_report(path: Path, report: dict, dataset: Dataset, project_type: ProjectType | None = None,
                      plan: ProjectPlan | None = None, options: BuildOptions | None = None,
                      skip: set[str] | frozenset[str] = frozenset(), sample: int = SAMPLE_SIZE) -> None:
    """Write :func:`render_html_report`'s page to ``path`` (UTF-8; parent folders must exist)."""
    page = render_html_report(report, dataset, project_type, plan, options, skip, sample)
    Path(path).write_text(page, encoding="utf-8")
