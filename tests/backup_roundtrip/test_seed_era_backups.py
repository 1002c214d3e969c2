"""Backup folders written by the 2022 client (sc-api-tools, the tool this project grows from; real
folders in ``shared/datasets/seed-era-backups``): labels without ids, scenes naming labels, a
``{"global", "task_chain"}`` configuration by task title, ``.jpg`` names, stale task ids. Each one
restores onto a fresh sc-server and ``sc-export --verify`` finds the project identical to the folder;
a changed copy is reported as different, and folders of unknown shape get a clear refusal."""

from __future__ import annotations

import json
import shutil

import pytest

#: folder -> (media, annotations, labels with counts, iterations per task, as SOURCE.txt lists them)
SEED = {
    "seed-detection": (9, 15, {"person": 6, "bus": 2, "car": 1, "raccoon": 6}, {"Detection task": 13}),
    "seed-detection-to-segmentation": (7, 24, {"person": 7, "car": 5, "person shape": 7, "car shape": 5},
                                       {"Detection task": 300, "Segmentation task": 180}),
    "seed-classification": (8, 8, {"cat": 1, "dog": 1, "raccoon": 4, "person": 2}, {"Classification task": 200}),
}


@pytest.fixture(scope="module")
def seed_server(tmp_path_factory):
    """A fresh sc-server of its own: the seed projects keep their names, as the 2022 client made them."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("seed-era-server")) as server:
        yield server


def _json_report(output: str) -> dict:
    return json.loads(output[output.index("{"):])


@pytest.mark.parametrize("name", sorted(SEED))
def test_seed_era_backup_restores_identically(name, shared, seed_server, tmp_path, kit) -> None:
    folder = shared.datasets(f"seed-era-backups/{name}")
    media, annotations, per_label, iterations = SEED[name]
    cli = kit.cli_for(seed_server)

    dry = cli.sc_import(str(folder), "--format", "backup", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert "Traceback" not in dry.output and "KeyError" not in dry.output

    result = cli.sc_import(str(folder), "--format", "backup", "--json")
    assert result.exit_code == 0, result.output
    report = _json_report(result.output)
    assert report["media_created"] == media and report["annotations_created"] == annotations
    assert report["settings_not_applied"] == {}
    assert all(values["auto_training"] is False for values in report["configuration"].values())

    api = kit.open_api(seed_server)
    try:
        project = api.find_project(name)
        assert project is not None
        assert {t.title: api.get_iterations(project, t) for t in project.trainable_tasks} == iterations
        counts: dict[str, int] = {}
        for remote in api.list_media(project, "image"):
            for ann in api.annotations_from_scene(project, remote, api.get_annotation_scene(project, remote)):
                for label in ann.labels:
                    counts[label] = counts.get(label, 0) + 1
        assert counts == per_label
    finally:
        api.close()

    verified = cli.sc_export(name, "--verify", str(folder))
    # no differences; the 2022 client wrote no manifest, so never "identical": exit code 4
    assert verified.exit_code == 4, verified.output
    assert "no differences" in verified.output and "no manifest.json" in verified.output

    # the check could fail: a copy whose configuration and one annotation differ is reported
    changed = tmp_path / name
    shutil.copytree(folder, changed)
    config = json.loads((changed / "configuration.json").read_text())
    learning = next(c for c in config["task_chain"][0]["components"]
                    if c["entity_identifier"].get("group_name") == "learning_parameters")
    param = next(p for p in learning["parameters"] if p["name"] in ("num_iters", "max_num_epochs"))
    param["value"] += 1
    (changed / "configuration.json").write_text(json.dumps(config))
    scene_file = sorted((changed / "annotations").glob("*.json"))[0]
    scene = json.loads(scene_file.read_text())
    scene["annotations"][0]["shape"]["x"] = 0.5 * scene["annotations"][0]["shape"].get("x", 0.2) + 0.01
    scene_file.write_text(json.dumps(scene))
    different = cli.sc_export(name, "--verify", str(changed))
    assert different.exit_code == 1, different.output
    assert f"is {param['value'] - 1} on the server, {param['value']} in the backup" in different.output
    assert f"annotations/{scene_file.name}" in different.output


@pytest.mark.parametrize("damage, named", [
    (lambda p: p.update(pipeline={"tasks": [{"task_type": "dataset"}]}), "pipeline.tasks[0] has no string 'title'"),
    (lambda p: p["pipeline"]["tasks"][1]["labels"].append({"color": "#ffffffff"}),
     "pipeline.tasks[1].labels[4] has no string 'name'"),
    (lambda p: p.pop("pipeline"), "no 'pipeline' object"),
])
def test_unknown_project_shape_is_refused_by_name(damage, named, shared, seed_server, tmp_path, kit) -> None:
    folder = tmp_path / "odd"
    shutil.copytree(shared.datasets("seed-era-backups/seed-classification"), folder)
    project = json.loads((folder / "project.json").read_text())
    damage(project)
    (folder / "project.json").write_text(json.dumps(project))
    for extra in ([], ["--dry-run"]):
        result = kit.cli_for(seed_server).sc_import(str(folder), "--format", "backup", *extra)
        assert result.exit_code != 0
        assert "not a backup I can read" in result.output and "project.json" in result.output, result.output
        assert named in result.output and "Traceback" not in result.output


def test_unknown_configuration_shape_is_refused_by_name(shared, seed_server, tmp_path, kit) -> None:
    folder = tmp_path / "odd"
    shutil.copytree(shared.datasets("seed-era-backups/seed-detection"), folder)
    (folder / "configuration.json").write_text(json.dumps({"task_chain": [{"task_title": "Detection task",
                                                                             "components": {"a": 1}}]}))
    result = kit.cli_for(seed_server).sc_import(str(folder), "--format", "backup", "--dry-run")
    assert result.exit_code != 0
    assert "not a backup I can read" in result.output and "configuration.json" in result.output
    assert "task_chain[0].components" in result.output and "Traceback" not in result.output
