"""project.json and scenes in the shape geti-sdk's upload_project_data reads (export/portable.py), and that our
own readers of a backup (the backup reader's scene labels, --verify's plan for a mapping server) still find every
label and parent by name."""

from __future__ import annotations

from sc_importers.export.portable import named_scene, portable_project
from sc_importers.export.verify_mapped import saved_tasks
from sc_importers.rest.saved_scenes import scene_annotations

PROJECT = {
    "id": "p1", "name": "pets",
    "pipeline": {"connections": [{"from": "t0", "to": "t1"}], "tasks": [
        {"id": "t0", "title": "Dataset", "task_type": "dataset"},
        {"id": "t1", "title": "Classification", "task_type": "classification", "labels": [
            {"id": "l1", "name": "animal", "color": "#123456ff", "group": "kingdom", "parent_id": None},
            {"id": "l2", "name": "dog", "color": "#aa0000ff", "group": "species", "parent_id": "l1", "hotkey": "d"},
        ]}]},
}


def test_labels_lose_ids_and_name_their_parents_only_in_the_copy() -> None:
    portable = portable_project(PROJECT)
    labels = portable["pipeline"]["tasks"][1]["labels"]
    assert [("id" in lb, lb["parent_id"]) for lb in labels] == [(False, None), (False, "animal")]
    assert labels[1]["hotkey"] == "d" and portable["id"] == "p1" and portable["pipeline"]["tasks"][1]["id"] == "t1"
    assert PROJECT["pipeline"]["tasks"][1]["labels"][1]["parent_id"] == "l1"  # the server's answer is untouched
    geti3 = {"id": "g3", "task": {"labels": [{"id": "x"}]}}  # no pipeline: as the server answered
    assert portable_project(geti3) == {"id": "g3", "task": {"labels": [{"id": "x"}]}}


def test_scene_labels_are_named_and_read_back_by_name() -> None:
    scene = {"annotations": [{"labels": [{"id": "l2", "probability": 1.0}, {"id": "gone"}],
                              "shape": {"type": "RECTANGLE", "x": 0, "y": 0, "width": 4, "height": 3}}]}
    named = named_scene(scene, {lb["id"]: lb for lb in PROJECT["pipeline"]["tasks"][1]["labels"]})
    assert named["annotations"][0]["labels"] == [{"id": "l2", "probability": 1.0, "name": "dog", "color": "#aa0000ff"},
                                                {"id": "gone"}]
    named["annotations"][0]["labels"].pop()
    names = {f"name:{lb['name']}": lb["name"] for lb in portable_project(PROJECT)["pipeline"]["tasks"][1]["labels"]}
    (annotation,) = scene_annotations(named, 4, 3, names, normalized=False)
    assert annotation.labels == ("dog",)


def test_a_mapping_verify_plans_parents_by_name() -> None:
    (task,) = saved_tasks(portable_project(PROJECT))
    assert [(lb.name, lb.parent) for lb in task.labels] == [("animal", None), ("dog", "animal")]
