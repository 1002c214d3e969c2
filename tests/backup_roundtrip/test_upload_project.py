"""``SCRESTClient.upload_project`` called directly (not through ``upload_all_projects``): a small
project is backed up with ``download_project`` and restored under a new name on a server of its
own; the restored project has the media, labels and annotations of the original. Restoring into a
name that exists is refused with a clear error and creates nothing."""

from __future__ import annotations

import pytest

from sc_importers.client import ImportFailed, SCRESTClient
from sc_importers.synthetic import make_coco_dataset


def _flat_scene(scene: dict | None) -> list[tuple]:
    """A raw annotation scene as sorted (label names, shape type, rounded numbers)."""
    out = []
    for annotation in (scene or {}).get("annotations", []):
        shape = annotation["shape"]
        numbers = (tuple(v for p in shape["points"] for v in (p["x"], p["y"])) if shape["type"] == "POLYGON"
                   else tuple(shape[k] for k in ("x", "y", "width", "height")))
        out.append((tuple(sorted(lb["name"] for lb in annotation["labels"])), shape["type"],
                    tuple(round(float(v), 6) for v in numbers)))
    return sorted(out)


def _labels(project) -> set[tuple[str, bool]]:
    return {(lb.name, lb.is_empty) for task in project.trainable_tasks for lb in task.labels}


@pytest.fixture
def client(fresh_sc_server):
    with SCRESTClient(fresh_sc_server.url, fresh_sc_server.username, fresh_sc_server.password) as opened:
        yield opened


def test_upload_project_restores_under_a_new_name_and_refuses_an_existing_one(client, tmp_path, unique):
    truth = make_coco_dataset(tmp_path / "coco", 6, ["dog", "cat"], seed=21, image_size=(160, 120), unannotated=1)
    source = client.create_single_task_project_from_dataset(
        f"small-{unique}", "detection", tmp_path / "coco", dataset_format="coco", workers=2)
    api = client.api
    source_images = {m.name: m for m in api.list_media(source, "image")}
    assert len(source_images) == len(truth.items)

    folder = client.download_project(source.name, tmp_path / "backup" / source.name)
    assert (folder / "manifest.json").is_file()

    new_name = f"restored-{unique}"
    restored = client.upload_project(folder, project_name=new_name, workers=2)
    assert restored.name == new_name and restored.id != source.id
    assert api.find_project(new_name) is not None
    restored_images = {m.name: m for m in api.list_media(restored, "image")}
    assert sorted(restored_images) == sorted(source_images)
    assert _labels(restored) == _labels(source)
    assert {name for name, empty in _labels(restored) if not empty} == {"dog", "cat"}

    annotated = next(item for item in truth.items if item.annotations)
    original = _flat_scene(api.get_annotation_scene(source, source_images[annotated.name]))
    copied = _flat_scene(api.get_annotation_scene(restored, restored_images[annotated.name]))
    assert len(original) == len(annotated.annotations)
    assert copied == original
    assert {lb for lbs, _, _ in copied for lb in lbs} == {lb for a in annotated.annotations for lb in a.labels}
    unannotated = next(item for item in truth.items if not item.annotations)
    assert api.get_annotation_scene(restored, restored_images[unannotated.name]) is None

    projects_before = sorted((p.id, p.name) for p in api.list_projects())
    for name in (new_name, None):  # the new name, and the backup's own name (the source still exists)
        taken = name or source.name
        with pytest.raises(ImportFailed) as refused:
            client.upload_project(folder, project_name=name, workers=2)
        message = str(refused.value)
        assert f"a project called {taken!r} already exists" in message, message
        assert "Nothing was uploaded" in message, message
        assert refused.value.report.media_created == 0
    assert sorted((p.id, p.name) for p in api.list_projects()) == projects_before
    assert len(list(api.list_media(restored, "image"))) == len(truth.items)
    assert len(list(api.list_media(source, "image"))) == len(truth.items)
