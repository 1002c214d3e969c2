"""Migration into Geti 3: projects made on the local server's SC 1.0 and Geti 2.x dialects are backed up
with ``sc-export``, imported into the Geti 3 mode (``sc-import BACKUP --format backup --api geti3``) and
checked with ``sc-export --verify`` against the Geti 3 project: identical modulo the stated mappings,
each named. What Geti 3 cannot hold is refused with its choices (task chains, anomaly) or converted and
counted in the summary (ellipses, frame 0, colours, empty labels), never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sc_importers.model import Annotation, Dataset, Ellipse, Label, MediaItem, Polygon, Rectangle
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One local server: SC 1.0 and Geti 2.x on one store, its Geti 3 companion as the migration target."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("migration-geti3")) as old:
        yield old


@pytest.fixture(scope="module")
def target(server, kit):
    api = kit.open_api(server, "geti3")
    yield api
    api.close()


def _json(result) -> dict:
    return json.loads(result.output[result.output.index("{"):])


def _export(kit, server, dialect: str, name: str, folder: Path) -> Path:
    result = kit.cli_for(server, dialect).sc_export(name, "--target-folder", str(folder))
    assert result.exit_code == 0, result.output
    return folder / name


def _migrate(kit, server, backup: Path, name: str, *choices: str):
    return kit.cli_for(server, "geti3").sc_import(str(backup), "--format", "backup", "--project-name", name,
                                                   "--json", *choices)


def _verify(kit, server, backup: Path, name: str, *choices: str) -> dict:
    result = kit.cli_for(server, "geti3").sc_export("--verify", str(backup), name, "--json", *choices)
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["differences"] == [], result.output
    return report


def _frames(api, project, video) -> set[int]:
    return {s["media_identifier"]["frame_index"] for s in api.get_video_annotations(project, video)}


def _segmentation_source(api, folder: Path, video: Path, name: str) -> None:
    """Polygons, an ellipse, an image with the empty label, alpha colours, a video with frames 0 and 120."""
    from PIL import Image

    paths = []
    for i in range(3):
        path = folder / f"img{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (160, 120), (40 * i, 90, 200)).save(path)
        paths.append(path)
    triangle = Polygon(((10, 10), (60, 12), (40, 70)))
    items = [MediaItem(paths[0], "img0.png", annotations=[Annotation(("cell",), triangle)]),
             MediaItem(paths[1], "img1.png", annotations=[Annotation(("nucleus",), Ellipse(20, 15, 60, 40))]),
             MediaItem(paths[2], "img2.png")]
    labels = [Label("cell", color="#ff000080", hotkey="c"), Label("nucleus", color="#00ff00ff")]
    dataset = Dataset(name=name, format="test", root=folder, labels=labels, items=items)
    report = import_dataset(api, dataset, "segmentation", BuildOptions(empty_label_for_unannotated=True), name,
                            workers=2, show_progress=False)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    clip = api.upload_media(project, video, "video")
    api.post_annotations(project, clip, [Annotation(("cell",), Polygon(((10.5, 10.25), (200, 20), (100, 300))))],
                         frame=0)
    api.post_annotations(project, clip, [Annotation(("nucleus",), Polygon(((300, 50), (600, 60), (500, 340))))],
                         frame=120)


@pytest.mark.parametrize("dialect", ["sc1", "geti"])
def test_single_task_project_migrates_with_every_mapping_stated(server, target, kit, shared, tmp_path, dialect):
    source = kit.open_api(server, dialect)
    name = f"cells-{dialect}-{tmp_path.name[-6:]}"
    _segmentation_source(source, tmp_path / "src", shared.datasets("videos-moviepy-media/chaplin.mp4"), name)
    source.close()
    backup = _export(kit, server, dialect, name, tmp_path / "backup")

    result = _migrate(kit, server, backup, f"{name}-g3")
    assert result.exit_code == 0, result.output
    report = _json(result)
    assert report["media_created"] == 4
    assert any("segmentation -> instance_segmentation" in m for m in report["mappings"])
    assert any("#RRGGBBAA -> #RRGGBB" in m for m in report["mappings"])
    assert report["conversions"] == {"converted: ellipse -> polygon": 1,
                                     'converted: empty label -> empty annotation list ("no objects")': 1,
                                     "left behind: annotations of video frame 0 (Geti 3's API cannot write frame 0)": 1}
    # polygon, ellipse-as-polygon, frame 120; the empty image's [] and frame 0 are not counted as created
    assert report["annotations_created"] == 3

    project = target.find_project(f"{name}-g3")
    assert project.raw["task"]["task_type"] == "instance_segmentation"
    colours = {lb["name"]: (lb["color"], lb["hotkey"]) for lb in project.raw["task"]["labels"]}
    assert colours == {"cell": ("#FF0000", "c"), "nucleus": ("#00FF00", None)}
    images = {m.name: m for m in target.list_media(project, "image")}
    assert target.get_annotation_scene(project, images["img2"])["annotations"] == []  # "no objects"
    (shape,) = [a["shape"] for a in target.get_annotation_scene(project, images["img1"])["annotations"]]
    assert shape["type"] == "polygon" and len(shape["points"]) == 32
    (clip,) = target.list_media(project, "video")
    assert _frames(target, project, clip) == {120}

    verified = _verify(kit, server, backup, f"{name}-g3")
    named = "\n".join(verified["mappings"] + verified["not_comparable"])  # settings: not comparable
    for expected in ("segmentation -> instance_segmentation", "#RRGGBBAA -> #RRGGBB", "empty labels",
                     "converted: ellipse -> polygon: 1", "frame(s) [0] left behind", "no counterpart"):
        assert expected in named, named


def _chain_source(api, folder: Path, video: Path, name: str) -> None:
    make_coco_dataset(folder, 5, ["dog", "cat"], seed=31, image_size=(160, 120), unannotated=1)
    coco = format_readers()["coco"].read(folder)
    report = import_dataset(api, coco, "detection_to_classification", BuildOptions(chain_label="animal"), name,
                            workers=2, show_progress=False)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    clip = api.upload_media(project, video, "video")
    api.post_annotations(project, clip, [Annotation(("animal", "dog"), Rectangle(10.25, 20, 100, 80))], frame=0)
    api.post_annotations(project, clip, [Annotation(("animal", "cat"), Rectangle(300, 50, 200, 150)),
                                         Annotation(("animal",), Rectangle(1, 1, 40, 30))], frame=120)


def test_geti2_chain_is_refused_then_migrated_with_the_chosen_task(server, target, kit, shared, tmp_path):
    source = kit.open_api(server, "geti")
    name = f"chain-{tmp_path.name[-6:]}"
    _chain_source(source, tmp_path / "src", shared.datasets("videos-moviepy-media/chaplin.mp4"), name)
    source.close()
    backup = _export(kit, server, "geti", name, tmp_path / "backup")

    refused = _migrate(kit, server, backup, f"{name}-g3")
    assert refused.exit_code == 2
    assert "task chain (detection -> classification)" in refused.output
    assert "--chain-task detection" in refused.output and "--chain-task classification" in refused.output
    assert target.find_project(f"{name}-g3") is None, "a refusal creates nothing"

    result = _migrate(kit, server, backup, f"{name}-g3", "--chain-task", "classification")
    assert result.exit_code == 0, result.output
    report = _json(result)
    assert any("--chain-task classification" in m for m in report["mappings"])
    # the frame-120 box with only the detection label cannot carry a classification label; frame 0 cannot be written
    # every other box loses its detection label "animal" (stated, counted)
    converted = report["conversions"].pop("converted: box without its labels of the task not kept")
    assert converted == report["annotations_created"] + 1 > 1  # + the frame-0 box, converted then left behind
    assert report["conversions"] == {
        "left behind: box with only labels of the task not kept": 1,
        "left behind: annotations of video frame 0 (Geti 3's API cannot write frame 0)": 1}
    project = target.find_project(f"{name}-g3")
    assert project.raw["task"]["task_type"] == "detection"
    assert sorted(lb["name"] for lb in project.raw["task"]["labels"]) == ["cat", "dog"]
    (clip,) = target.list_media(project, "video")
    scene = target.get_annotation_scene(project, clip, 120)
    names = {lb.id: lb.name for lb in project.labels}
    assert [names[lb["id"]] for a in scene["annotations"] for lb in a["labels"]] == ["cat"]

    verified = _verify(kit, server, backup, f"{name}-g3", "--chain-task", "classification")
    named = "\n".join(verified["mappings"])
    assert "--chain-task classification" in named and "whole pixels" in named and "frame(s) [0]" in named

    without = kit.cli_for(server, "geti3").sc_export("--verify", str(backup), f"{name}-g3")
    assert without.exit_code != 0 and "--chain-task" in without.output  # the choice is needed to compare

    # --resume of the finished migration: nothing uploaded or posted twice, still identical
    again = _migrate(kit, server, backup, f"{name}-g3", "--chain-task", "classification", "--resume")
    assert again.exit_code == 0, again.output
    resumed = _json(again)
    assert (resumed["media_created"], resumed["media_already_there"]) == (0, report["media_created"])
    assert resumed["annotations_created"] == 0
    _verify(kit, server, backup, f"{name}-g3", "--chain-task", "classification")


def test_geti2_anomaly_is_refused_with_its_choices(server, target, kit, tmp_path):
    source = kit.open_api(server, "geti")
    name = f"parts-{tmp_path.name[-6:]}"
    make_coco_dataset(tmp_path / "src", 6, ["widget", "scratch"], seed=11, image_size=(128, 96))
    coco = format_readers()["coco"].read(tmp_path / "src")
    report = import_dataset(source, coco, "anomaly_classification", BuildOptions(anomalous_labels=["scratch"]),
                            name, workers=2, show_progress=False)
    assert report.exit_code() == 0, report.render()
    source.close()
    backup = _export(kit, server, "geti", name, tmp_path / "backup")

    refused = _migrate(kit, server, backup, f"{name}-g3")
    assert refused.exit_code == 2
    assert "no anomaly tasks" in refused.output and "--anomaly-as classification" in refused.output
    assert target.find_project(f"{name}-g3") is None

    result = _migrate(kit, server, backup, f"{name}-g3", "--anomaly-as", "classification")
    assert result.exit_code == 0, result.output
    project = target.find_project(f"{name}-g3")
    assert project.raw["task"]["task_type"] == "classification" and project.raw["task"]["exclusive_labels"]
    assert {lb["name"] for lb in project.raw["task"]["labels"]} == {"Normal", "Anomalous"}
    _verify(kit, server, backup, f"{name}-g3", "--anomaly-as", "classification")


def test_keypoints_and_long_names_are_refused_without_a_choice(target):
    from sc_importers.project_types.base import TaskPlan
    from sc_importers.rest.base import ServerError

    with pytest.raises(ServerError, match="keypoint detection.*no conversion"):
        target.adapt([TaskPlan("Keypoints", "keypoint_detection", [Label("nose")])])
    with pytest.raises(ServerError, match="longer than 50 characters.*--label-map"):
        target.adapt([TaskPlan("Detection", "detection", [Label("x" * 51)])])
    rotated = target.adapt  # rotated detection: refused until --rotated-as is chosen
    with pytest.raises(ServerError, match="--rotated-as polygon.*--rotated-as box"):
        rotated([TaskPlan("Rotated", "rotated_detection", [Label("ship")])])


def test_dry_run_refuses_and_maps_as_the_real_run(tmp_path, shared):
    """``--dry-run --api geti3`` connects to nothing, and says what the real run says: the chain's refusal
    with its choices, then (with the choice) the mappings and counts the import summary will show."""
    from click.testing import CliRunner

    from sc_importers.cli.import_cmd import build_command

    truth = make_coco_dataset(tmp_path / "src", 4, ["dog", "cat"], seed=5, image_size=(120, 90))
    base = [str(tmp_path / "src"), "--format", "coco", "--dry-run", "--json", "--host", "http://127.0.0.1:9",
            "--api", "geti3"]
    refused = CliRunner().invoke(build_command(), [*base, "--type", "detection_to_classification",
                                                   "--chain-label", "animal"])
    assert refused.exit_code == 1
    report = json.loads(refused.output)
    assert not report["importable"] and "--chain-task classification" in " ".join(report["blockers"])

    chosen = CliRunner().invoke(build_command(), [*base, "--type", "detection_to_classification",
                                                  "--chain-label", "animal", "--chain-task", "detection"])
    assert chosen.exit_code == 0, chosen.output
    server = json.loads(chosen.output)["server"]
    assert any("--chain-task detection" in m for m in server["mappings"])
    # every box keeps its detection label "animal" and loses its classification label: counted per box
    boxes = sum(len(item.annotations) for item in truth.items)
    assert server["conversions"] == {"converted: box without its labels of the task not kept": boxes}

    ellipses = CliRunner().invoke(build_command(), [*base, "--type", "segmentation"])
    assert ellipses.exit_code == 0, ellipses.output
    assert any("instance_segmentation" in m for m in json.loads(ellipses.output)["server"]["mappings"])


def test_geti3_choices_against_another_dialect_are_refused(server, kit):
    from sc_importers.rest import connect
    from sc_importers.rest.geti_v3_mapping import Geti3Choices

    with pytest.raises(ValueError, match="--chain-task.*SC 1.0 API"):
        connect(server.url, server.username, server.password, geti3=Geti3Choices(chain_task="detection"))
    with pytest.raises(ValueError, match="--chain-task"):
        Geti3Choices(chain_task="keypoints")


@pytest.mark.parametrize("dialect", ["sc1", "geti"])
def test_a_geti3_backup_restored_elsewhere_verifies_without_false_differences(server, target, kit, tmp_path,
                                                                               dialect):
    """The other direction: a Geti 3 project's backup (no empty label, no per-task settings: Geti 3 has
    neither; colours as #RRGGBB) restored onto SC 1.0 or Geti 2.x is identical; the empty label and the
    settings the server adds by itself are not comparable, not differences, and '#EC9826' is '#ec9826ff'
    (the restore said exit 0, --verify said 1)."""
    name = f"g3-back-{dialect}"
    make_coco_dataset(tmp_path / "coco", 3, ["dog", "cat"], seed=11, image_size=(64, 48))
    made = kit.cli_for(server, "geti3").sc_import(str(tmp_path / "coco"), "--format", "coco", "--type", "detection",
                                                  "--project-name", name)
    assert made.exit_code == 0, made.output
    backup = _export(kit, server, "geti3", name, tmp_path / "backups")
    restored = kit.cli_for(server, dialect).sc_import(str(backup), "--format", "backup", "--project-name", name)
    assert restored.exit_code == 0, restored.output
    result = kit.cli_for(server, dialect).sc_export("--verify", str(backup), name, "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["differences"] == [], result.output
    assert any("empty label" in line for line in report["not_comparable"]), report["not_comparable"]
