"""The cvat reader on CVAT's own exports (Datumaro's test assets, written by CVAT): a project export
with images missing on disk, a task export, and a job export (<meta><job>, what current CVAT writes
for a job). Expected counts are computed here from the XML, never by the reader."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

CVAT = "datumaro-test-assets/assets/cvat_dataset/for_images"


def _dry_run(source: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(build_command(), [str(source), "--dry-run", "--type", "detection", "--json", *extra])
    return result.exit_code, json.loads(result.output[result.output.index("{"):])


def _count(xml: Path, tag: str, labelled: bool = True) -> int:
    return sum(1 for el in ET.parse(xml).getroot().iter(tag) if el.get("label") or not labelled)


def test_project_export_with_missing_images_skips_only_those(shared, tmp_path: Path) -> None:
    export = tmp_path / "project"
    shutil.copytree(shared.datasets(f"{CVAT}/export_project"), export)
    (export / "images" / "Train" / "img0.jpg").unlink()
    (export / "images" / "Validation" / "img1.jpg").unlink()
    code, report = _dry_run(export)
    assert code == 0
    assert report["format"] == "cvat"
    assert report["media"]["total"] == 6 - 2
    errors = report["problems"]["by_kind"]["reader"]["examples"]
    missing = [e for e in errors if "image file not found" in e]
    assert len(missing) == 2 and all(e.startswith("error:") for e in missing)
    assert report["labels"]["found"] == ["label1", "label2"]


def test_project_export_counts_what_sc_cannot_hold(shared) -> None:
    from sc_importers_cvat import CvatReader

    export = shared.datasets(f"{CVAT}/export_project")
    xml = export / "annotations.xml"
    ds = CvatReader().read(export)
    boxes, polygons = _count(xml, "box"), _count(xml, "polygon")
    assert ds.annotation_counts() == {("label1", "RECTANGLE"): boxes, ("label1", "POLYGON"): polygons}
    messages = " | ".join(p.message for p in ds.problems)
    attributes = sum(len(b.findall("attribute")) for b in ET.parse(xml).getroot().iter("box"))
    occluded = sum(1 for b in ET.parse(xml).getroot().iter("box") if b.get("occluded") == "1")
    assert f"{attributes} attribute values are not imported" in messages
    assert f"{occluded} occluded flags are not imported ('label1': {occluded})" in messages
    dropped = _count(xml, "points") + _count(xml, "polyline")
    assert f"{dropped} annotations have no SC 1.0 equivalent" in messages


def test_job_export_is_read(shared, tmp_path: Path) -> None:
    """CVAT writes <meta><job> for a job export; Datumaro refuses it ("needs <task> or <project>")."""
    job = tmp_path / "job"
    shutil.copytree(shared.datasets(f"{CVAT}/export_task"), job)
    text = (job / "train.xml").read_text()
    (job / "train.xml").unlink()
    (job / "annotations.xml").write_text(text.replace("<task>", "<job>").replace("</task>", "</job>"))
    code, report = _dry_run(job)
    assert code == 0, report
    assert report["format"] == "cvat"
    assert report["labels"]["found"] == ["label1", "label2"]
    assert report["media"]["total"] == 2
    assert report["annotations"]["per_shape"] == {"RECTANGLE": 1}


def test_a_folder_with_no_image_found_is_not_importable(shared, tmp_path: Path) -> None:
    export = tmp_path / "task"
    shutil.copytree(shared.datasets(f"{CVAT}/export_task"), export)
    shutil.rmtree(export / "images")
    code, report = _dry_run(export, "--format", "cvat")
    assert code == 1
    assert "no media to import" in report["blockers"]


def test_an_infinite_image_size_is_treated_as_unknown(shared, tmp_path: Path) -> None:
    """width="inf" is no size (the image's own header is read instead), not an OverflowError traceback."""
    from sc_importers_cvat import CvatReader

    export = tmp_path / "project"
    shutil.copytree(shared.datasets(f"{CVAT}/export_project"), export)
    xml = export / "annotations.xml"
    tree = ET.parse(xml)
    first = next(tree.getroot().iter("image"))
    first.set("width", "inf")
    tree.write(xml)
    ds = CvatReader().read(export)
    item = next(i for i in ds.items if i.path.name == Path(first.get("name", "")).name)
    assert item.width is None or item.width > 0
