"""The labelme reader through ``sc-import`` (dry run) and into the local sc-server (real HTTP)."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
from click.testing import CliRunner
from sc_importers_labelme import LabelmeReader

from sc_importers import plugins
from sc_importers.cli.import_cmd import build_command
from sc_importers.model import Polygon
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.uploader import import_dataset

EXAMPLES = "labelme-examples/examples"
RESERVED = {"__ignore__", "_background_"}


def _shape_labels(folder) -> tuple[int, Counter]:
    """(json files, shapes per label without reserved labels), counted with plain json."""
    files = sorted(folder.glob("*.json"))
    labels: Counter = Counter()
    for path in files:
        labels.update(s["label"] for s in json.loads(path.read_text())["shapes"] if s["label"] not in RESERVED)
    return len(files), labels


def _box(shape: Polygon) -> tuple[float, ...]:
    xs, ys = [x for x, _ in shape.points], [y for _, y in shape.points]
    return (min(xs), min(ys), max(xs), max(ys))


@pytest.fixture
def labelme_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "labelme")
    plugins.reset()
    yield
    plugins.reset()


def test_sc_import_dry_run_json_counts(shared, labelme_only) -> None:
    folder = shared.datasets(f"{EXAMPLES}/bbox_detection/data_annotated")
    files, per_label = _shape_labels(folder)
    args = [str(folder), "--format", "labelme", "--type", "detection", "--dry-run", "--json"]
    result = CliRunner().invoke(build_command(), args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "labelme" and report["importable"] is True
    assert report["media"]["total"] == report["media"]["images"] == files == 3
    assert report["annotations"]["per_label"] == {name: {"RECTANGLE": n} for name, n in per_label.items()}
    assert report["annotations"]["total"] == sum(per_label.values()) == 9
    assert report["problems"]["errors"] == 0
    (task,) = report["project"]["tasks"]
    assert task["task_type"] == "detection" and task["would_convert"]["labels"] == dict(per_label)


def test_instance_segmentation_uploaded_as_segmentation_project(shared, sc_server) -> None:
    folder = shared.datasets(f"{EXAMPLES}/instance_segmentation/data_annotated")
    files, per_label = _shape_labels(folder)
    dataset = LabelmeReader().read(folder)
    api = connect(sc_server.url, sc_server.username, sc_server.password)
    name = f"labelme-instseg-{uuid.uuid4().hex[:8]}"
    report = import_dataset(api, dataset, "segmentation", BuildOptions(), name, workers=2, show_progress=False)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    media = list(api.list_media(project, "image"))
    assert sorted(m.name for m in media) == sorted(p.stem for p in folder.glob("*.json"))
    assert len(media) == files == 3
    on_server: Counter = Counter()
    by_name = {item.name: item for item in dataset.items}
    for m in media:
        back = api.annotations_from_scene(project, m, api.get_annotation_scene(project, m))
        assert all(isinstance(ann.shape, Polygon) for ann in back)
        on_server.update(label for ann in back for label in ann.labels)
        sent = sorted(_box(a.shape) for a in by_name[m.name].annotations)
        assert sorted(_box(a.shape) for a in back) == [pytest.approx(b, abs=0.01) for b in sent]
    assert on_server == per_label
    assert sum(on_server.values()) == 16  # 18 shapes in the files, 2 of them labelled __ignore__
