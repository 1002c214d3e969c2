"""The viewer's SVG for each stored shape type, checked on numbers worked out by hand."""

from __future__ import annotations

from sc_importers.server.viewer.drawing import annotations_svg, css_color, shape_element


def test_each_shape_type_in_pixels():
    assert shape_element({"type": "RECTANGLE", "x": 0.1, "y": 0.5, "width": 0.2, "height": 0.25}, 200, 100, "a") \
        == '<rect a x="20" y="50" width="40" height="25"/>'
    assert shape_element({"type": "ELLIPSE", "x": 0.0, "y": 0.0, "width": 0.5, "height": 1.0}, 200, 100, "a") \
        == '<ellipse a cx="50" cy="50" rx="50" ry="50"/>'
    assert shape_element({"type": "POLYGON", "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0.5, "y": 1}]},
                         200, 100, "a") == '<polygon a points="0,0 200,0 100,100"/>'
    # a rotated rectangle's x, y is its centre: the rect is drawn around it and turned about it
    assert shape_element({"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.1, "height": 0.2,
                          "angle": 30.5}, 200, 100, "a") \
        == '<rect a transform="rotate(30.5 100 50)" x="90" y="40" width="20" height="20"/>'


def test_one_group_per_annotation_in_its_first_label_color():
    label = {"id": "a" * 24, "name": "<cat>", "color": "#ff0000ff"}
    other = {"id": "b" * 24, "name": "dog", "color": "#00ff00ff"}
    svg = annotations_svg([{"labels": [label, other], "shape": {"type": "RECTANGLE", "x": 0, "y": 0, "width": 1,
                                                                "height": 1}}], 10, 10, "/img?x=1&y=2")
    assert svg.count('<g class="annotation"') == 1 and 'stroke="#ff0000"' in svg
    assert f'data-labels="{"a" * 24} {"b" * 24}"' in svg
    assert "&lt;cat&gt;" in svg and "<cat>" not in svg and 'href="/img?x=1&amp;y=2"' in svg
    assert css_color("#12345678") == "#123456" and css_color('"x') == "&quot;x"
