# ruff: noqa: E501 - the table reads best with one case per line
"""The bad-input corpus: each case builds one small broken dataset in a folder.

A case is (id, format, project type, builder, expected dry-run exit code, expected real-run exit
code, a regular expression the output must contain). Builders start from a valid base dataset (three
64x48 JPEGs with polygons of ``dog`` and ``cat``) and break one thing, so the message is about that
thing. Nothing is stored as files: every input is generated in a temporary folder by the test.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

W, H = 64, 48


@dataclass(frozen=True)
class Case:
    id: str
    format: str
    type: str
    build: Callable[[Path], None]
    dry: int
    real: int
    message: str


def _jpeg(path: Path, seed: int, size: tuple[int, int] = (W, H)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, ((seed * 70) % 256, (seed * 40) % 256, 90)).save(path, "JPEG", quality=90)


def _poly(x: float = 5, y: float = 5, s: float = 20) -> list[list[float]]:
    return [[x, y, x + s, y, x + s, y + s, x, y + s]]


def coco_base(folder: Path) -> dict:
    """Three images with one polygon each; returns the COCO dict (written by :func:`write_coco`)."""
    images, annotations = [], []
    for i in range(1, 4):
        _jpeg(folder / "images" / f"img{i}.jpg", i)
        images.append({"id": i, "file_name": f"img{i}.jpg", "width": W, "height": H})
        annotations.append({"id": i, "image_id": i, "category_id": 1 + i % 2, "segmentation": _poly(),
                            "bbox": [5, 5, 20, 20], "area": 400, "iscrowd": 0})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}]}


def write_coco(folder: Path, coco: dict | str | bytes) -> None:
    path = folder / "annotations" / "instances_default.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(coco, bytes):
        path.write_bytes(coco)
    else:
        path.write_text(coco if isinstance(coco, str) else json.dumps(coco), encoding="utf-8")


def coco(change: Callable[[dict, Path], object]) -> Callable[[Path], None]:
    """A builder: the base COCO dataset with ``change(coco_dict, folder)`` applied."""
    def build(folder: Path) -> None:
        data = coco_base(folder)
        result = change(data, folder)
        write_coco(folder, result if isinstance(result, (str, bytes)) else data)
    return build


def _ann(data: dict, **fields) -> dict:
    data["annotations"][0].update(fields)
    return data


def _png_header(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims ``width`` x ``height`` with one tiny (invalid) data chunk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))


def _replace_image(data: dict, folder: Path, name: str, write: Callable[[Path], None]) -> None:
    target = folder / "images" / name
    (folder / "images" / "img1.jpg").unlink()
    write(target)
    data["images"][0]["file_name"] = name


def _truncate(path: Path) -> None:
    _jpeg(path, 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _symlink_outside(data: dict, folder: Path) -> None:
    outside = folder.parent / f"{folder.name}-outside.jpg"
    _jpeg(outside, 9)
    (folder / "images" / "img1.jpg").unlink()
    os.symlink(outside, folder / "images" / "img1.jpg")


def _non_utf8_name(folder: Path) -> None:
    """labelme: an image whose file name is not UTF-8 (Latin-1 bytes on disk), named by its JSON."""
    _labelme_base(folder)
    raw = os.fsencode(folder)
    os.rename(os.path.join(raw, b"a.jpg"), os.path.join(raw, b"caf\xe9.jpg"))
    doc = json.loads((folder / "a.json").read_text(encoding="utf-8"))
    doc["imagePath"] = os.fsdecode(b"caf\xe9.jpg")  # a lone surrogate, written by json as \udce9
    (folder / "a.json").write_text(json.dumps(doc), encoding="utf-8")


def _yolo_non_utf8(folder: Path) -> None:
    _yolo_base(folder)
    raw = os.fsencode(folder)
    os.rename(os.path.join(raw, b"images", b"a.jpg"), os.path.join(raw, b"images", b"caf\xe9.jpg"))
    os.rename(os.path.join(raw, b"labels", b"a.txt"), os.path.join(raw, b"labels", b"caf\xe9.txt"))


def _truncate_tail(path: Path) -> None:
    """A JPEG with its last 10 % cut: the header is intact, only a full decode notices."""
    _jpeg(path, 1, (320, 240))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 9 // 10])


def _labelme_doc(image: str, shapes: list[dict], width: int = W, height: int = H) -> dict:
    return {"version": "5.0.1", "flags": {}, "shapes": shapes, "imagePath": image, "imageData": None,
            "imageHeight": height, "imageWidth": width}


def _labelme_shape(label: str = "dog", points=None, shape_type: str = "polygon") -> dict:
    return {"label": label, "points": points or [[5, 5], [25, 5], [25, 25], [5, 25]], "group_id": None,
            "shape_type": shape_type, "flags": {}}


def _labelme_base(folder: Path, shapes: list[dict] | None = None, extra: Callable[[dict], None] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, seed in (("a", 1), ("b", 2)):
        _jpeg(folder / f"{stem}.jpg", seed)
        doc = _labelme_doc(f"{stem}.jpg", [_labelme_shape("dog" if stem == "a" else "cat")])
        if stem == "a" and shapes is not None:
            doc["shapes"] = shapes
        if stem == "a" and extra is not None:
            extra(doc)
        (folder / f"{stem}.json").write_text(json.dumps(doc), encoding="utf-8")


def labelme(shapes: list[dict] | None = None, extra: Callable[[dict], None] | None = None) -> Callable[[Path], None]:
    return lambda folder: _labelme_base(folder, shapes, extra)


def _yolo_base(folder: Path, lines: str = "0 0.5 0.5 0.25 0.25\n", names: str = "names: [dog, cat]\n",
               image: Callable[[Path], None] | None = None) -> None:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    (folder / "data.yaml").write_text(f"path: .\ntrain: images\n{names}", encoding="utf-8")
    for stem, seed in (("a", 1), ("b", 2)):
        target = folder / "images" / f"{stem}.jpg"
        (image or (lambda p, s=seed: _jpeg(p, s)))(target) if stem == "a" else _jpeg(target, seed)
        (folder / "labels" / f"{stem}.txt").write_text(lines if stem == "a" else "1 0.5 0.5 0.2 0.2\n",
                                                        encoding="utf-8")


def yolo(lines: str = "0 0.5 0.5 0.25 0.25\n", names: str = "names: [dog, cat]\n",
         image: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    return lambda folder: _yolo_base(folder, lines, names, image)


NAN = float("nan")
INF = float("inf")
SEG = "segmentation"
DET = "detection"
CLS = "classification"

CASES: list[Case] = [
    # -- image files ----------------------------------------------------------------------------
    Case("truncated-jpeg", "coco", SEG, coco(lambda d, f: _truncate(f / "images" / "img1.jpg")), 0, 1, 'unreadable image'),
    Case("zero-byte-image", "coco", SEG, coco(lambda d, f: (f / "images" / "img1.jpg").write_bytes(b"")), 0, 1, 'unreadable image'),
    Case("text-as-jpeg", "coco", SEG, coco(lambda d, f: (f / "images" / "img1.jpg").write_text("hello")), 0, 1, 'unreadable image'),
    Case("decompression-bomb-png", "coco", SEG,
         coco(lambda d, f: _replace_image(d, f, "bomb.png", lambda p: _png_header(p, 40000, 40000))), 0, 1, 'image too large'),
    Case("very-large-png", "coco", SEG,
         coco(lambda d, f: _replace_image(d, f, "large.png", lambda p: _png_header(p, 25000, 1000))), 0, 1, 'image too large: 25000x1000'),
    Case("truncated-jpeg-tail", "coco", SEG,
         coco(lambda d, f: (_truncate_tail(f / "images" / "img1.jpg"), d["images"][0].update(width=320, height=240))),
         0, 1, 'image file is truncated'),
    Case("image-is-a-directory", "coco", SEG,
         coco(lambda d, f: ((f / "images" / "img1.jpg").unlink(), (f / "images" / "img1.jpg").mkdir())), 0, 1, 'image file not found'),
    Case("missing-image-file", "coco", SEG, coco(lambda d, f: (f / "images" / "img1.jpg").unlink()), 0, 1, 'image file not found'),
    Case("symlink-outside-dataset", "coco", SEG, coco(_symlink_outside), 0, 0, 'symbolic link leading outside the dataset folder'),
    Case("coco-size-mismatch", "coco", SEG, coco(lambda d, f: d["images"][0].update(width=640, height=480)), 0, 1, 'the dataset says 640x480, the image file is 64x48'),
    Case("coco-zero-width", "coco", SEG, coco(lambda d, f: d["images"][0].update(width=0)), 0, 0, 'importable'),
    # -- coordinates and shapes -----------------------------------------------------------------
    Case("nan-polygon", "coco", SEG, coco(lambda d, f: _ann(d, segmentation=[[NAN, 5, 25, 5, 25, 25]])), 0, 1, 'not a finite number'),
    Case("inf-polygon", "coco", SEG, coco(lambda d, f: _ann(d, segmentation=[[INF, 5, 25, 5, 25, 25]])), 0, 1, 'not a finite number'),
    Case("nan-bbox", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=[NAN, 5, 20, 20])), 0, 1, 'not a finite number'),
    Case("inf-bbox", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=[5, 5, INF, 20])), 0, 1, 'not a finite number'),
    Case("huge-coordinates", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=[1e308, 5, 1e308, 20])), 0, 1, 'lies entirely outside'),
    Case("negative-bbox-size", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=[30, 30, -20, -20])), 0, 0, 'has zero area; dropped'),
    Case("bbox-three-numbers", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=[5, 5, 20])), 0, 1, 'bbox must be 4 numbers'),
    Case("bbox-strings", "coco", DET, coco(lambda d, f: _ann(d, segmentation=[], bbox=["5", "5", "a", "20"])), 0, 1, 'bbox must be 4 numbers'),
    Case("self-intersecting-polygon", "coco", SEG,
         coco(lambda d, f: _ann(d, segmentation=[[5, 5, 40, 30, 40, 5, 5, 40]])), 0, 0, 'crosses itself'),
    Case("two-point-polygon", "coco", SEG, coco(lambda d, f: _ann(d, segmentation=[[5, 5, 30, 30]])), 0, 0, 'fewer than 3 points; dropped'),
    Case("odd-coordinate-count", "coco", SEG, coco(lambda d, f: _ann(d, segmentation=[[5, 5, 30, 30, 30]])), 0, 0, 'fewer than 3 points; dropped'),
    Case("polygon-outside-image", "coco", SEG,
         coco(lambda d, f: _ann(d, segmentation=[[500, 500, 600, 500, 600, 600]])), 0, 1, 'lies entirely outside'),
    Case("segmentation-strings", "coco", SEG, coco(lambda d, f: _ann(d, segmentation=[["a", "b", "c"]])), 0, 1, 'must be a flat list of numbers'),
    Case("bad-rle", "coco", SEG, coco(lambda d, f: _ann(d, segmentation={"size": [H, W], "counts": "!!!"}, iscrowd=1)),
         0, 1, 'RLE segmentation cannot be decoded'),
    # -- ids and references ---------------------------------------------------------------------
    Case("duplicate-annotation-ids", "coco", SEG,
         coco(lambda d, f: [a.update(id=1) for a in d["annotations"]]), 0, 0, 'reuse an id of an earlier one'),
    Case("duplicate-image-ids", "coco", SEG, coco(lambda d, f: d["images"][1].update(id=1)), 0, 1, 'is used by an earlier image entry'),
    Case("duplicate-file-names", "coco", SEG, coco(lambda d, f: d["images"][1].update(file_name="img1.jpg")), 0, 1, 'file_name is used by an earlier image entry'),
    Case("unknown-category-id", "coco", SEG, coco(lambda d, f: _ann(d, category_id=99)), 0, 1, 'unknown category id 99'),
    Case("unknown-image-id", "coco", SEG, coco(lambda d, f: _ann(d, image_id=99)), 0, 1, 'unknown image id 99'),
    Case("image-id-string", "coco", SEG, coco(lambda d, f: d["images"][0].update(id="one")), 0, 1, 'unknown image id 1'),
    Case("path-traversal-file-name", "coco", SEG,
         coco(lambda d, f: d["images"][0].update(file_name="../../etc/passwd")), 0, 1, 'image file not found'),
    Case("absolute-file-name", "coco", SEG, coco(lambda d, f: d["images"][0].update(file_name="/etc/hostname")), 0, 1, 'unreadable image'),
    Case("nul-in-file-name", "coco", SEG, coco(lambda d, f: d["images"][0].update(file_name="img\x001.jpg")), 0, 1, 'image file not found'),
    # -- labels ---------------------------------------------------------------------------------
    Case("labels-differing-by-case", "coco", SEG,
         coco(lambda d, f: d["categories"].append({"id": 3, "name": "Dog"}) or _ann(d, category_id=3)), 1, 2, "differ only by case: 'dog' and 'Dog'"),
    Case("very-long-label-name", "coco", SEG, coco(lambda d, f: d["categories"][0].update(name="d" * 1000)), 0, 0, 'importable'),
    Case("label-name-over-1000", "coco", SEG, coco(lambda d, f: d["categories"][0].update(name="d" * 1001)), 1, 2,
         "longer than the 1000 characters servers accept: '" + "d" * 40 + "'... (1001 characters)"),
    Case("empty-label-name", "coco", SEG, coco(lambda d, f: d["categories"][0].update(name="")), 1, 2, "needs an 'id' and a 'name'"),
    Case("label-name-with-newline", "coco", SEG, coco(lambda d, f: d["categories"][0].update(name="do\ng")), 1, 2, 'control characters'),
    Case("label-name-number", "coco", SEG, coco(lambda d, f: d["categories"][0].update(name=7)), 0, 0, 'importable'),
    Case("duplicate-category-names", "coco", SEG, coco(lambda d, f: d["categories"][1].update(name="dog")), 0, 0, "category name 'dog' is shared by category ids 1, 2; their annotations are merged"),
    # -- the annotation file itself -------------------------------------------------------------
    Case("broken-json", "coco", SEG, coco(lambda d, f: '{"images": ['), 1, 2, 'not valid JSON'),
    Case("json-list", "coco", SEG, coco(lambda d, f: "[1, 2, 3]"), 1, 2, 'not a COCO annotation file'),
    Case("latin1-json", "coco", SEG,
         coco(lambda d, f: json.dumps(d).replace('"dog"', '"d\\u00f6g"').encode().replace(b"\\u00f6", b"\xf6")),
         1, 2, "codec can't decode byte 0xf6"),
    Case("json-with-bom", "coco", SEG, coco(lambda d, f: b"\xef\xbb\xbf" + json.dumps(d).encode()), 1, 2, 'BOM'),
    Case("images-key-missing", "coco", SEG, coco(lambda d, f: json.dumps({"annotations": [], "categories": []})),
         1, 2, 'not a COCO annotation file'),
    Case("no-images", "coco", SEG, coco(lambda d, f: d.update(images=[], annotations=[])), 1, 2, 'no media'),
    # -- labelme --------------------------------------------------------------------------------
    Case("labelme-non-utf8-file-name", "labelme", SEG, _non_utf8_name, 0, 1, 'not valid UTF-8'),
    Case("labelme-nan-point", "labelme", SEG, labelme([_labelme_shape(points=[[NAN, 5], [25, 5], [25, 25]])]), 0, 1, 'two finite numbers'),
    Case("labelme-inf-point", "labelme", SEG, labelme([_labelme_shape(points=[[INF, 5], [25, 5], [25, 25]])]), 0, 1, 'two finite numbers'),
    Case("labelme-unknown-shape-type", "labelme", SEG, labelme([_labelme_shape(shape_type="hexagon")]), 0, 1, "unknown shape_type 'hexagon'"),
    Case("labelme-empty-points", "labelme", SEG, labelme([{**_labelme_shape(), "points": []}]), 0, 0, 'fewer than 3; dropped'),
    Case("labelme-point-strings", "labelme", SEG, labelme([_labelme_shape(points=[["a", "b"], [1, 2], [3, 4]])]), 0, 1, 'two finite numbers'),
    Case("labelme-label-null", "labelme", SEG, labelme([{**_labelme_shape(), "label": None}]), 0, 1, "'label' must be a non-empty string"),
    Case("labelme-shapes-not-list", "labelme", SEG, labelme(extra=lambda d: d.update(shapes="none")), 0, 0, 'not labelme annotations'),
    Case("labelme-bad-image-path", "labelme", SEG, labelme(extra=lambda d: d.update(imagePath="../../x.jpg")), 0, 1, 'image file missing'),
    # -- yolo -----------------------------------------------------------------------------------
    Case("yolo-class-out-of-range", "yolo", DET, yolo("7 0.5 0.5 0.2 0.2\n"), 0, 1, 'class id 7 is not in names'),
    Case("yolo-negative-class", "yolo", DET, yolo("-1 0.5 0.5 0.2 0.2\n"), 0, 1, 'class id -1 is not in names'),
    Case("yolo-nan", "yolo", DET, yolo("0 nan 0.5 0.2 0.2\n"), 0, 1, 'not a finite number'),
    Case("yolo-inf", "yolo", DET, yolo("0 0.5 inf 0.2 0.2\n"), 0, 1, 'not a finite number'),
    Case("yolo-too-few-numbers", "yolo", DET, yolo("0 0.5 0.5\n"), 0, 1, 'a box needs 5'),
    Case("yolo-words", "yolo", DET, yolo("dog x y w h\n"), 0, 1, 'not all numbers'),
    Case("yolo-out-of-range-coords", "yolo", DET, yolo("0 1.7 1.5 0.9 0.9\n"), 0, 1, 'lies entirely outside the image'),
    Case("yolo-binary-label-file", "yolo", DET, yolo("\xff\xfe\x00garbage"), 0, 1, 'a box needs 5'),
    Case("yolo-bad-yaml", "yolo", DET, yolo(names="names: [dog, cat\n"), 1, 2, 'not valid YAML'),
    Case("yolo-names-case-twins", "yolo", DET, yolo(names="names: [dog, Dog]\n"), 1, 2, 'differ only by case'),
    Case("yolo-truncated-jpeg", "yolo", DET, yolo(image=_truncate), 0, 1, 'Truncated File Read'),
    Case("yolo-truncated-jpeg-tail", "yolo", DET, yolo(image=_truncate_tail), 0, 1, 'image file is truncated'),
    Case("yolo-non-utf8-file-name", "yolo", DET, _yolo_non_utf8, 0, 1, 'not valid UTF-8'),
]
