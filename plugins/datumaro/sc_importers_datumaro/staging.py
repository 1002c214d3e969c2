"""Datumaro-shaped views of real-world layouts Datumaro does not accept as they are.

Two layouts users really have are handled by building, in a temporary folder, the tree Datumaro
expects and mapping the media paths Datumaro reports back to the user's files:

* **VOC** without a ``labelmap.txt`` or without ``ImageSets``: see :mod:`sc_importers_datumaro.voc`.
* **YOLO with another config name** (``config.yaml`` instead of Ultralytics' ``data.yaml``):
  the tree is mirrored with real folders, small text files copied and images symlinked, and the
  config is offered as ``data.yaml``. A file that holds only a relative path to a folder (how
  git checks out a symlink without symlink support) is followed as the folder it names.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.formats import FormatError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".jfif"}
#: Refuse to copy more than this many bytes of annotation files into a staging folder.
MAX_COPY_BYTES = 512 * 1024 * 1024


@dataclass
class Staged:
    """A staging folder and the original file of each staged path Datumaro may report."""

    root: Path
    original: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def map_back(self, path: str) -> Path:
        """The user's file for a path Datumaro reported inside the staging folder."""
        if path in self.original:
            return self.original[path]
        return Path(path)


def _placeholder_target(file: Path) -> Path | None:
    """The folder a git symlink placeholder (a tiny file holding a relative path) points to."""
    try:
        if file.stat().st_size > 255:
            return None
        text = file.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text or "\n" in text:
        return None
    target = (file.parent / text).resolve()
    return target if target.is_dir() else None


def yolo_config(path: Path, name: str | None) -> Path | None:
    """The YAML config to use as ``data.yaml``: ``name`` if given, else the one YAML with names."""
    if name:
        cfg = path / name
        if not cfg.is_file():
            raise FormatError(f"{cfg}: the YOLO config given with --yolo-config does not exist")
        return cfg
    if (path / "data.yaml").is_file() or (path / "obj.names").is_file():
        return None
    found = [p for p in sorted(path.glob("*.y*ml")) if "names:" in p.read_text(errors="replace")]
    if len(found) > 1:
        raise FormatError(
            f"{path}: several YOLO configs ({', '.join(p.name for p in found)}) and no data.yaml; "
            "pass --yolo-config FILE"
        )
    return found[0] if found else None


def needs_yolo_staging(path: Path, config_name: str | None) -> bool:
    """A non-standard config name, or a folder given as a git symlink placeholder file."""
    if yolo_config(path, config_name) is not None:
        return True
    return any(p.is_file() and _placeholder_target(p) for p in path.iterdir() if p.suffix == "")


def stage_yolo(path: Path, tmp: Path, config_name: str | None) -> Staged:
    """Mirror a YOLO folder into ``tmp`` with ``data.yaml`` and followed placeholders."""
    staged = Staged(tmp)
    copied = 0

    def mirror(src_dir: Path, dst_dir: Path, orig_dir: Path) -> None:
        nonlocal copied
        dst_dir.mkdir(parents=True, exist_ok=True)
        for entry in sorted(src_dir.iterdir()):
            dst, orig = dst_dir / entry.name, orig_dir / entry.name
            if entry.is_dir():
                mirror(entry, dst, orig)
            elif entry.suffix == "" and (target := _placeholder_target(entry)) is not None:
                staged.notes.append(f"{orig}: a file naming folder {target}; followed as that folder")
                mirror(target, dst, target)
            elif entry.suffix.lower() in IMAGE_EXTENSIONS:
                os.symlink(entry.resolve(), dst)
                staged.original[str(dst)] = orig
            else:
                copied += entry.stat().st_size
                if copied > MAX_COPY_BYTES:
                    raise FormatError(f"{path}: too many annotation bytes to stage a YOLO view")
                shutil.copyfile(entry, dst)

    mirror(path, tmp, path)
    cfg = yolo_config(path, config_name)
    if cfg is not None and cfg.name != "data.yaml":
        shutil.copyfile(cfg, tmp / "data.yaml")
        staged.notes.append(f"{cfg}: used as the YOLO config (Ultralytics names it data.yaml)")
    return staged


def check_yolo(path: Path, config_name: str | None) -> None:
    """Refuse YOLO variants Datumaro 1.13 would misread silently, naming the file and the fix.

    Its ``yolo`` importer skips label files whose lines are not ``class cx cy w h`` (YOLO-seg
    polygons) and numbers classes by their order in ``names``, which is wrong for a names
    mapping whose ids are not 0..n-1.
    """
    import yaml

    cfg = yolo_config(path, config_name) or (path / "data.yaml")
    if cfg.is_file():
        data = yaml.safe_load(cfg.read_text()) or {}
        if isinstance(data, dict) and "kpt_shape" in data:
            raise FormatError(
                f"{cfg}: a YOLO pose dataset (kpt_shape {data['kpt_shape']}): Datumaro 1.13's yolo importer does "
                "not read pose lines (class, box, keypoints); the yolo reader (--format yolo) imports their boxes"
            )
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict) and sorted(int(k) for k in names) != list(range(len(names))):
            raise FormatError(
                f"{cfg}: class ids in 'names' are not 0..{len(names) - 1} (e.g. {min(names)}..{max(names)}); "
                "Datumaro's yolo importer would assign wrong labels. Renumber the classes to 0..n-1"
            )
    for labels in (path / "labels", path / "Labels", path / "annotations"):
        for txt in sorted(labels.glob("**/*.txt"))[:50] if labels.is_dir() else []:
            line = next((ln for ln in txt.read_text(errors="replace").splitlines() if ln.strip()), "")
            if len(line.split()) > 5:
                raise FormatError(
                    f"{txt}: {len(line.split())} numbers on a line: YOLO segmentation polygons, which "
                    "Datumaro 1.13's yolo importer does not read (it expects 'class cx cy w h')"
                )


def yolo_pose_config(path: Path) -> Path | None:
    """The folder's YOLO config (data.yaml or the one YAML with names) when it declares ``kpt_shape``."""
    import yaml

    try:
        cfg = yolo_config(path, None) or (path / "data.yaml")
        data = yaml.safe_load(cfg.read_text()) if cfg.is_file() else None
    except (FormatError, OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return cfg if isinstance(data, dict) and "kpt_shape" in data else None


def looks_like_yolo(path: Path) -> bool:
    """``labels/`` with .txt files and a YAML config with ``names`` (under any file name)."""
    labels = path / "labels"
    if not labels.is_dir() or not any(labels.glob("**/*.txt")):
        return False
    try:
        return yolo_config(path, None) is not None or (path / "data.yaml").is_file()
    except FormatError:
        return True
