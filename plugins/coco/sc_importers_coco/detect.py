"""Cheap format detection for COCO: file names plus the first and last 64 KB of json, never a full parse.

Confidence scale used here:

* 0.9: a COCO-named file (``instances_*.json``, ``person_keypoints_*.json``, ``labels_*.json``,
  ``_annotations.coco.json`` ...) whose start shows an ``images`` key;
* 0.8: a single json file whose two ends show ``images`` and ``annotations`` or ``categories``
  (labelme's ``annotations.json``);
* 0.6: such a json among several (reading needs ``annotation_file``);
* 0.2: COCO panoptic or captions only: COCO, but nothing this reader imports;
* 0.0: no json, a labelme per-image json, or json of another shape.
"""

from __future__ import annotations

from pathlib import Path

from sc_importers.formats import Detection
from sc_importers_coco.layout import (
    KINDS,
    AnnotationFile,
    candidate_files,
    classify,
    looks_like_coco,
    read_head,
)


def detect_coco(path: Path) -> Detection:
    """How likely ``path`` (a folder or a json file) is a COCO dataset this reader can read."""
    if path.is_file():
        if path.suffix.lower() != ".json":
            return Detection(0.0, [f"{path.name} is not a .json file"])
        return _judge([classify(path)])
    if not path.is_dir():
        return Detection(0.0, [f"{path} does not exist"])
    candidates = candidate_files(path)
    if not candidates:
        return Detection(0.0, ["no annotations/*.json, */_annotations.coco.json or *.json found"])
    return _judge(candidates)


def _judge(candidates: list[AnnotationFile]) -> Detection:
    named = sorted((c for c in candidates if c.kind in KINDS), key=lambda c: KINDS.index(c.kind))
    if named:
        first = named[0]
        head = read_head(first.path)
        if head.has_images and not head.panoptic:
            return Detection(0.9, [f"{first.path.name} is a COCO {first.kind} file with an 'images' list"])
        return Detection(0.3, [f"{first.path.name} has a COCO name but its start shows no 'images' key"])
    if any(c.kind for c in candidates):
        return Detection(0.2, ["only COCO panoptic/captions files, which this reader does not import"])
    coco_like = []
    for c in candidates:
        if looks_like_coco(read_head(c.path)):
            coco_like.append(c)
    if len(coco_like) == 1:
        return Detection(0.8, [f"{coco_like[0].path.name} has COCO keys images/annotations/categories"])
    if coco_like:
        names = ", ".join(c.path.name for c in coco_like)
        return Detection(0.6, [f"several COCO-shaped json files ({names}); pass annotation_file (--annotation-file)"])
    return Detection(0.0, ["no json file with COCO keys (images, annotations, categories)"])

