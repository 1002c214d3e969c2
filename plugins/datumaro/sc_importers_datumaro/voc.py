"""Pascal VOC folders as users have them, turned into the VOCdevkit tree Datumaro reads.

Datumaro's ``voc`` importer wants ``Annotations/``, ``ImageSets/`` and, for any class that is not
one of the 20 VOC classes, a ``labelmap.txt``. Two real-world layouts miss one of these:

* **flat VOC** (``annotations/*.xml`` + ``images/``, or ``Annotations/`` + ``JPEGImages/`` as labelme
  exports it, no ``ImageSets/``);
* **a VOCdevkit without labelmap.txt** whose XML files name other classes (what LabelImg and many
  exporters write): Datumaro refuses every such box ("Undeclared label") and declares the 20 VOC
  classes instead.

Both are read through a view built in a temporary folder: the XML files are copied to
``Annotations/`` (Datumaro refuses symlinks that leave its folder), one image list
``ImageSets/Main/default.txt`` names every item once (a VOCdevkit's ``train``/``val``/``trainval``
lists overlap, and Datumaro would read an item once per list), and ``labelmap.txt`` names every
object class the XML files use, in order of first use. Images are not copied: their staged paths
are mapped back to the user's files.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from sc_importers.formats import FormatError
from sc_importers_datumaro.staging import IMAGE_EXTENSIONS, Staged

VOC_FORMATS = {"voc", "voc_detection", "voc_classification", "voc_layout", "voc_action"}
#: The classes Datumaro's VOC importer declares when a dataset has no labelmap.txt.
VOC_CLASSES = frozenset((
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    "ignored",
))
#: Per-object 0/1 flags Datumaro's VOC importer requires to hold a number when present.
_VOC_FLAGS = ("difficult", "truncated", "occluded")


def flat_voc_annotations(path: Path) -> Path | None:
    """The XML folder of a flat VOC layout: ``annotations/`` or ``Annotations/`` holding ``*.xml``
    without VOCdevkit's ``ImageSets/``."""
    if (path / "ImageSets").is_dir():
        return None
    for name in ("annotations", "Annotations"):
        ann = path / name
        if ann.is_dir() and any(ann.glob("*.xml")):
            return ann
    return None


def is_flat_voc(path: Path) -> bool:
    """``annotations/*.xml`` (or ``Annotations/*.xml``) next to an images folder, without ``ImageSets``."""
    return flat_voc_annotations(path) is not None


def devkit_root(path: Path) -> Path | None:
    """The folder holding ``Annotations/`` and ``ImageSets/``: ``path`` or a folder up to two levels
    below it (``VOCdevkit/VOC2012``), when there is exactly one."""
    levels = [[path], sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []]
    levels.append(sorted(q for p in levels[1] for q in p.iterdir() if q.is_dir()))
    for candidates in levels:
        found = [p for p in candidates if (p / "Annotations").is_dir() and (p / "ImageSets").is_dir()]
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def xml_classes(ann_dir: Path) -> list[str]:
    """Every ``<object><name>`` of the XML files, in order of first use (unparsable files skipped:
    the import reports them)."""
    names: dict[str, None] = {}
    for xml in sorted(ann_dir.glob("*.xml")):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError:
            continue
        for obj in root.iter("object"):
            name = (obj.findtext("name") or "").strip()
            if name:
                names.setdefault(name)
    return list(names)


def devkit_needing_labels(path: Path) -> Path | None:
    """The VOCdevkit root under ``path`` when it has no ``labelmap.txt`` and its XML files name a
    class that is not a VOC class (Datumaro alone would refuse those boxes); else None."""
    root = devkit_root(path)
    if root is None or (root / "labelmap.txt").is_file():
        return None
    return root if set(xml_classes(root / "Annotations")) - VOC_CLASSES else None


def _list_ids(root: Path) -> list[str]:
    """Every item id the image lists of ``ImageSets/*/`` name, once, in order of first mention
    (per-class lists ``cat_train.txt`` hold ``id 1`` lines: the first word is the id)."""
    ids: dict[str, None] = {}
    for listing in sorted((root / "ImageSets").glob("*/*.txt")):
        for line in listing.read_text(errors="replace").splitlines():
            words = line.split()
            if words:
                ids.setdefault(words[0])
    return list(ids)


def _drop_empty_flags(root: ET.Element) -> int:
    """Remove empty ``<difficult/>``-style flags (labelme writes them), which Datumaro rejects with
    ``InvalidFieldError`` for the whole object; absent means 0 in VOC. Returns how many were removed."""
    dropped = 0
    for obj in root.iter("object"):
        for flag in [child for child in obj if child.tag in _VOC_FLAGS and not (child.text or "").strip()]:
            obj.remove(flag)
            dropped += 1
    return dropped


def _image_by_stem(images_dir: Path | None) -> dict[str, Path]:
    if images_dir is None:
        return {}
    return {p.stem: p for p in sorted(images_dir.iterdir()) if p.suffix.lower() in IMAGE_EXTENSIONS}


def _stage(ann_dir: Path, images_dir: Path | None, ids: list[str], tmp: Path) -> tuple[Staged, list[str], int]:
    """Build the view in ``tmp`` for items ``ids``; returns it, the class names and the emptied flags."""
    staged = Staged(tmp)
    (tmp / "Annotations").mkdir(parents=True)
    (tmp / "JPEGImages").mkdir()
    (tmp / "ImageSets" / "Main").mkdir(parents=True)
    names: dict[str, None] = {}
    emptied = 0
    images = _image_by_stem(images_dir)
    for item_id in ids:
        xml = ann_dir / f"{item_id}.xml"
        filename = ""
        if xml.is_file():
            try:
                tree = ET.parse(xml)
            except ET.ParseError as exc:
                raise FormatError(f"{xml}: not valid XML: {exc}") from exc
            root = tree.getroot()
            dropped = _drop_empty_flags(root)
            if dropped:
                emptied += dropped
                tree.write(tmp / "Annotations" / xml.name, encoding="utf-8")
            else:
                shutil.copyfile(xml, tmp / "Annotations" / xml.name)
            for obj in root.iter("object"):
                name = (obj.findtext("name") or "").strip()
                if name:
                    names.setdefault(name)
            filename = (root.findtext("filename") or "").strip()
        if images_dir is None:
            continue
        if filename:
            staged.original[str(tmp / "JPEGImages" / filename)] = images_dir / filename
        # Datumaro names the image after the item id when the XML gives none that exists.
        image = images.get(item_id, images_dir / (filename or f"{item_id}.jpg"))
        staged.original.setdefault(str(tmp / "JPEGImages" / f"{item_id}.jpg"), image)
    (tmp / "ImageSets" / "Main" / "default.txt").write_text("".join(f"{i}\n" for i in ids))
    (tmp / "labelmap.txt").write_text("# label:color_rgb:parts:actions\n" + "".join(f"{n}:::\n" for n in names))
    return staged, list(names), emptied


def stage_flat_voc(path: Path, tmp: Path) -> Staged:
    """Build a VOCdevkit-shaped view of a flat VOC folder in ``tmp`` (see module doc)."""
    images_dir = next((path / n for n in ("images", "JPEGImages", "Images") if (path / n).is_dir()), None)
    ann_dir = flat_voc_annotations(path) or path / "annotations"
    ids = [xml.stem for xml in sorted(ann_dir.glob("*.xml"))]
    staged, names, emptied = _stage(ann_dir, images_dir, ids, tmp)
    staged.notes.append(
        f"flat VOC layout ({ann_dir.name}/ + {images_dir.name if images_dir else '?'}/, no ImageSets/) read through a "
        f"VOCdevkit-shaped view; {len(ids)} XML files, labels {', '.join(names) or 'none'}"
        + (f"; {emptied} empty <difficult>/<truncated>/<occluded> fields read as 0" if emptied else "")
    )
    return staged


def stage_devkit_without_labelmap(root: Path, tmp: Path) -> Staged:
    """A VOCdevkit (``root`` from :func:`devkit_needing_labels`) read with its own classes: every
    item its image lists name (every XML file when the lists are empty) once, labels from the XML."""
    ids = _list_ids(root) or [xml.stem for xml in sorted((root / "Annotations").glob("*.xml"))]
    images_dir = root / "JPEGImages" if (root / "JPEGImages").is_dir() else None
    staged, names, emptied = _stage(root / "Annotations", images_dir, ids, tmp)
    staged.notes.append(
        f"VOCdevkit {root.name}/ has no labelmap.txt and its XML files name classes that are not VOC classes; "
        f"labels taken from the XML files ({', '.join(names) or 'none'}); {len(ids)} items of the image lists, "
        "each read once"
        + (f"; {emptied} empty <difficult>/<truncated>/<occluded> fields read as 0" if emptied else "")
    )
    masks = [d for d in ("SegmentationClass", "SegmentationObject") if any((root / d).glob("*.png"))]
    if masks:
        staged.notes.append(
            f"{' and '.join(masks)} masks of {root.name}/ are not read: without labelmap.txt their colours "
            "name no class (add a labelmap.txt to import them)"
        )
    return staged
