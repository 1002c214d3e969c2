"""Annotations as SVG over the image (or video frame) they belong to.

Stored shapes are normalized to [0, 1]; the SVG's ``viewBox`` is the media size in pixels, so a
shape is drawn at ``x * width``, ``y * height``. Each annotation is one ``<g class="annotation">``
holding one element of class ``shape`` (``rect``, ``ellipse`` or ``polygon``), stroked and lightly
filled in the color of its first label; ``data-labels`` lists its label ids, which the label filter
of the media page uses to hide and show it. A rotated rectangle is a ``rect`` around its centre
turned by ``angle`` degrees (clockwise on screen, as y points down).
"""

from __future__ import annotations

from html import escape


def css_color(color: str) -> str:
    """``#rrggbbaa`` (SC's form) -> ``#rrggbb``; anything else unchanged but escaped."""
    return color[:7] if len(color) == 9 and color.startswith("#") else escape(color, quote=True)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def shape_element(shape: dict, width: int, height: int, attrs: str) -> str:
    """One SVG element for a stored, normalized shape."""
    kind = shape["type"]
    if kind == "POLYGON":
        points = " ".join(f"{_num(p['x'] * width)},{_num(p['y'] * height)}" for p in shape["points"])
        return f'<polygon {attrs} points="{points}"/>'
    x, y, w, h = shape["x"] * width, shape["y"] * height, shape["width"] * width, shape["height"] * height
    if kind == "ELLIPSE":
        return f'<ellipse {attrs} cx="{_num(x + w / 2)}" cy="{_num(y + h / 2)}" rx="{_num(w / 2)}" ry="{_num(h / 2)}"/>'
    if kind == "ROTATED_RECTANGLE":  # x, y is the centre
        turn = f'transform="rotate({_num(shape.get("angle", 0.0))} {_num(x)} {_num(y)})"'
        return (f'<rect {attrs} {turn} x="{_num(x - w / 2)}" y="{_num(y - h / 2)}" '
                f'width="{_num(w)}" height="{_num(h)}"/>')
    return f'<rect {attrs} x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"/>'


def annotations_svg(annotations: list[dict], width: int, height: int, image_url: str) -> str:
    """The SVG of an image with its annotations drawn over it (scales with the page)."""
    parts = [f'<svg id="canvas" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="xMidYMid meet">',
             f'<image href="{escape(image_url, quote=True)}" x="0" y="0" width="{width}" height="{height}"/>']
    for index, ann in enumerate(annotations):
        labels = ann.get("labels") or []
        color = css_color(labels[0]["color"]) if labels else "#ffffff"
        names = ", ".join(lb["name"] for lb in labels)
        ids = " ".join(lb["id"] for lb in labels)
        attrs = (f'class="shape" data-shape-type="{escape(ann["shape"]["type"])}" stroke="{color}" fill="{color}" '
                 'fill-opacity="0.15" stroke-width="2" vector-effect="non-scaling-stroke"')
        parts.append(f'<g class="annotation" data-index="{index}" data-labels="{escape(ids, quote=True)}">'
                     f"<title>{escape(names)} ({escape(ann['shape']['type'].lower())})</title>"
                     f"{shape_element(ann['shape'], width, height, attrs)}</g>")
    parts.append("</svg>")
    return "".join(parts)
