"""The ``cvat`` format reader: CVAT for images 1.1 XML, as CVAT exports a task, a project or a job.

The XML's ``<meta>`` holds a ``<task>``, a ``<project>`` (whose images carry a ``subset``) or a
``<job>`` (what current CVAT writes when one job is exported); each declares the labels. Every
``<image>`` is one media item; an image whose file is not found is an error for that item only
(the others are read). What SC 1.0 cannot hold is counted per kind and label, never dropped
silently: attributes, ``occluded`` flags, polylines, points, cuboids, skeletons and tracks (CVAT
for video, which ``--format datumaro`` reads).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Problem
from sc_importers_cvat.shapes import SHAPE_TAGS, UNSUPPORTED_TAGS, ShapeError, convert_shape

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
#: Bytes of an XML file looked at to tell a CVAT export (and whether it has images or tracks).
SCAN_BYTES = 8 * 1024 * 1024
#: Files listed at most when looking for images by name anywhere below the dataset folder.
MAX_INDEX_FILES = 200_000


def _scan(xml: Path) -> tuple[bool, bool, bool]:
    """(is a CVAT export, has <image> elements, has <track> elements), from the first bytes."""
    with open(xml, "rb") as f:
        head = f.read(SCAN_BYTES).decode("utf-8", errors="replace")
    start = head[:4096]
    is_cvat = "<annotations" in start and ("<meta" in start or "<version" in start)
    return is_cvat, "<image " in head, "<track " in head


def find_xml_files(path: Path) -> list[Path]:
    """The CVAT XML files of ``path``: the file itself, ``annotations.xml``, else every CVAT-shaped
    ``*.xml`` directly in the folder."""
    if path.is_file():
        return [path] if path.suffix.lower() == ".xml" and _scan(path)[0] else []
    if not path.is_dir():
        return []
    if (path / "annotations.xml").is_file() and _scan(path / "annotations.xml")[0]:
        return [path / "annotations.xml"]
    return [p for p in sorted(path.glob("*.xml")) if _scan(p)[0]]


class _Drops:
    """What SC 1.0 cannot hold, counted per kind and label for the warnings."""

    def __init__(self) -> None:
        self.shapes: Counter = Counter()  # (tag, label)
        self.attributes: Counter = Counter()  # (label, attribute name)
        self.occluded: Counter = Counter()  # label
        self.unlabelled: Counter = Counter()  # tag
        self.tracks: Counter = Counter()  # label

    def problems(self, file: str) -> list[Problem]:
        out: list[Problem] = []

        def listing(counter: Counter, fmt: Callable[[Any], str]) -> str:
            return ", ".join(f"{fmt(k)}: {n}" for k, n in sorted(counter.items()))

        if self.shapes:
            out.append(Problem("warning", f"{sum(self.shapes.values())} annotations have no SC 1.0 equivalent and "
                               f"are not imported ({listing(self.shapes, lambda k: f'{k[0]} of {k[1]!r}')})", file))
        if self.attributes:
            out.append(Problem("warning", f"{sum(self.attributes.values())} attribute values are not imported (SC "
                               f"1.0 has no attributes) ({listing(self.attributes, lambda k: f'{k[1]} of {k[0]!r}')})",
                               file))
        if self.occluded:
            out.append(Problem("warning", f"{sum(self.occluded.values())} occluded flags are not imported "
                               f"({listing(self.occluded, repr)})", file))
        if self.unlabelled:
            out.append(Problem("warning", f"{sum(self.unlabelled.values())} annotations without a label are not "
                               f"imported ({listing(self.unlabelled, str)})", file))
        if self.tracks:
            out.append(Problem("warning", f"{sum(self.tracks.values())} tracks (CVAT for video) are not read by the "
                               f"cvat reader ({listing(self.tracks, repr)}); --format datumaro reads them", file))
        return out


class CvatReader(FormatReader):
    """Reads CVAT for images 1.1 XML exports (task, project or job)."""

    name = "cvat"
    description = "CVAT for images 1.1 XML (task, project or job export): boxes, polygons, ellipses, masks, tags"
    options = {"images_dir": "folder the <image name> values are relative to, when not images/ beside the XML"}

    def detect(self, path: Path) -> Detection:
        path = Path(path)
        xmls = find_xml_files(path)
        if not xmls:
            return Detection(0.0, ["no CVAT XML (<annotations> with <meta>) found"])
        scans = [_scan(x) for x in xmls]
        names = ", ".join(x.name for x in xmls)
        if any(images for _, images, _ in scans):
            return Detection(0.7, [f"{names}: CVAT for images XML"])
        if any(tracks for _, _, tracks in scans):
            return Detection(0.3, [f"{names}: CVAT for video XML (tracks only), which --format datumaro reads"])
        return Detection(0.55, [f"{names}: CVAT XML without any <image>"])

    def read(self, path: Path, **options: str) -> Dataset:
        path = Path(path)
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        xmls = find_xml_files(path)
        if not xmls:
            raise FormatError(f"{path}: no CVAT XML found (an .xml file whose root is <annotations> with <meta>)")
        root = path if path.is_dir() else path.parent
        images_dir = Path(options["images_dir"]) if options.get("images_dir") else None
        if images_dir is not None and not images_dir.is_absolute() and not images_dir.exists():
            images_dir = root / images_dir
        if images_dir is not None and not images_dir.is_dir():
            raise FormatError(f"{images_dir}: images_dir is not a folder")
        dataset = Dataset(name=root.name, format=self.name, root=root)
        state = _State(dataset, images_dir)
        for xml in xmls:
            state.read_file(xml)
        state.finish()
        return dataset


class _State:
    def __init__(self, dataset: Dataset, images_dir: Path | None) -> None:
        self.dataset = dataset
        self.images_dir = images_dir
        self.labels: dict[str, None] = {}
        self.undeclared: dict[str, None] = {}
        self.keys: set[str] = set()
        self.drops = _Drops()
        self._index: dict[str, list[Path]] | None = None

    def read_file(self, xml: Path) -> None:
        """Read one XML as a stream (:func:`ET.iterparse`): each top-level ``<meta>``, ``<track>`` and
        ``<image>`` is handled when it ends and then dropped, so the file's element tree is never held
        whole (a tree costs several times the file; only the items are kept). CVAT writes ``<meta>``
        first; labels an image uses before any ``<meta>`` are reported as undeclared."""
        root: ET.Element | None = None
        depth = 0
        try:
            for event, el in ET.iterparse(xml, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = el
                    continue
                depth -= 1
                if depth != 1 or root is None:
                    continue
                if el.tag == "meta":
                    self._read_meta(el, xml)
                elif el.tag == "track":
                    self.drops.tracks[el.get("label") or ""] += 1
                elif el.tag == "image":
                    self._read_image(el, xml)
                root.remove(el)  # handled: its memory goes
        except ET.ParseError as exc:
            raise FormatError(f"{xml}: not valid XML: {exc}") from exc

    def _read_meta(self, meta: ET.Element, xml: Path) -> None:
        kinds = [child.tag for child in meta]
        if not {"task", "project", "job"} & set(kinds):
            self.dataset.problems.append(Problem(
                "warning", f"<meta> holds none of <task>, <project>, <job> ({', '.join(kinds) or 'empty'}); "
                "labels are taken from the annotations", str(xml)))
        for label in meta.iter("label"):
            name = (label.findtext("name") or "").strip()
            if name and not (label.findtext("parent") or "").strip():  # skeleton points have a parent
                self._declare(name)

    def _declare(self, name: str) -> None:
        if name not in self.labels:
            self.labels[name] = None
            self.dataset.labels.append(Label(name))

    def _read_image(self, image: ET.Element, xml: Path) -> None:
        name = (image.get("name") or "").replace("\\", "/")
        subset = image.get("subset") or ""
        where = f"image id {image.get('id')}"
        if not name:
            self.dataset.problems.append(Problem("error", f"{where} has no name; skipped", str(xml)))
            return
        found, looked = self._find(name, subset, xml.parent)
        if found is None:
            self.dataset.problems.append(Problem(
                "error", f"{where}: image file not found (looked in {', '.join(looked)} and by name below "
                f"{self.dataset.root}; see the images_dir option); skipped", str(xml), name))
            return
        key = _key(found, self.dataset.root)
        if key in self.keys:
            self.dataset.problems.append(Problem(
                "warning", f"{where}: the same image file is listed again; its annotations are ignored", str(xml), key))
            return
        self.keys.add(key)
        item = MediaItem(found, key, width=_int(image.get("width")), height=_int(image.get("height")))
        tags: list[str] = []
        for position, el in enumerate(image):
            label = (el.get("label") or "").strip()
            if el.tag not in SHAPE_TAGS + UNSUPPORTED_TAGS + ("tag",):
                continue
            if not label:
                self.drops.unlabelled[el.tag] += 1
                continue
            self._count_extras(el, label)
            if el.tag in UNSUPPORTED_TAGS:
                self.drops.shapes[(el.tag, label)] += 1
                continue
            self._use(label)
            if el.tag == "tag":
                if label not in tags:
                    tags.append(label)
                continue
            try:
                shapes = convert_shape(el)
            except ShapeError as exc:
                self.dataset.problems.append(Problem("error", f"{exc}; skipped", str(xml), key))
                continue
            object_id = f"cvat element #{position}" if len(shapes) > 1 else None
            item.annotations.extend(Annotation((label,), shape, object_id) for shape in shapes)
        if tags:
            item.annotations.insert(0, Annotation(tuple(tags), None))
        self.dataset.add_items(item)

    def _count_extras(self, el: ET.Element, label: str) -> None:
        for attribute in el.iter("attribute"):
            self.drops.attributes[(label, attribute.get("name") or "?")] += 1
        if el.get("occluded") == "1":
            self.drops.occluded[label] += 1

    def _use(self, label: str) -> None:
        if label not in self.labels:
            self.undeclared.setdefault(label)
            self._declare(label)

    def _find(self, name: str, subset: str, here: Path) -> tuple[Path | None, list[str]]:
        dirs: list[Path] = []
        if self.images_dir is not None:
            dirs += [self.images_dir / subset, self.images_dir] if subset else [self.images_dir]
        for base in dict.fromkeys([here, self.dataset.root]):
            dirs += [base / "images" / subset, base / subset] if subset else []
            dirs += [base / "images", base]
        for d in dirs:
            if (d / name).is_file():
                return d / name, [str(d) for d in dirs]
        matches = self._by_name().get(Path(name).name, [])
        if subset:  # a project export: the file of another subset is another image
            matches = [m for m in matches if subset in m.parts]
        return (matches[0] if len(matches) == 1 else None), [str(d) for d in dirs]

    def _by_name(self) -> dict[str, list[Path]]:
        if self._index is None:
            self._index = {}
            seen = 0
            for dirpath, dirnames, filenames in os.walk(self.dataset.root):
                dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__MACOSX"]
                for f in filenames:
                    if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS:
                        self._index.setdefault(f, []).append(Path(dirpath) / f)
                seen += len(filenames)
                if seen > MAX_INDEX_FILES:
                    break
        return self._index

    def finish(self) -> None:
        if self.undeclared:
            self.dataset.problems.append(Problem(
                "warning", f"labels used but not declared in <meta>, created anyway: {', '.join(self.undeclared)}",
                str(self.dataset.root)))
        self.dataset.problems.extend(self.drops.problems(str(self.dataset.root)))


def _key(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(float(value))
    except (OverflowError, ValueError):  # "inf", "nan", "x
        return None
    return number if number > 0 else None
