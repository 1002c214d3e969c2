"""Every examples/create_*.py script run against the local sc-server on generated data.

The COCO data is laid out as examples/download_coco.py leaves it (``val2017/`` +
``annotations/instances_val2017.json``). Expected projects, media and annotations are computed from
the generator's own ground truth with simple per-type rules, and compared with what the server
holds (read back over HTTP), never with what the scripts printed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from sc_importers.model import Dataset, MediaItem
from sc_importers.rest import connect
from sc_importers.rest.base import ServerAPI
from sc_importers.synthetic import make_coco_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CATEGORIES = ["dog", "person", "horse", "cat", "car", "bicycle"]
ANIMALS = {"horse", "dog", "cat"}
FULL_IMAGE = (0.0, 0.0, 1.0, 1.0)


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (the examples folder is not a package)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))  # as when run as python examples/<name>.py: finds example_common
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# -- data ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def coco(tmp_path_factory) -> tuple[Path, Dataset]:
    """16 generated images (one unannotated) with the six categories, in the COCO 2017 layout."""
    root = tmp_path_factory.mktemp("coco")
    truth = make_coco_dataset(root, 16, CATEGORIES, seed=11, image_size=(320, 240),
                              objects_per_image=(1, 3), unannotated=1)
    (root / "images").rename(root / "val2017")
    (root / "annotations" / "instances_default.json").rename(root / "annotations" / "instances_val2017.json")
    per_category = Counter(name for item in truth.items for name in {a.labels[0] for a in item.annotations})
    assert all(per_category[c] >= 2 for c in CATEGORIES), per_category  # every test below has data
    return root, truth


def objects(item: MediaItem, names: set[str]) -> list[str]:
    """The category of every object of ``item`` that belongs to ``names``."""
    return [a.labels[0] for a in item.annotations if a.labels[0] in names]


def items_with(truth: Dataset, names: set[str]) -> list[MediaItem]:
    return [item for item in truth.items if objects(item, names)]


# -- the server side -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(sc_server):
    client = connect(sc_server.url, sc_server.username, sc_server.password, workers=4)
    yield client
    client.close()


@pytest.fixture
def server_args(sc_server) -> list[str]:
    return ["--host", sc_server.url, "--username", sc_server.username, "--password", sc_server.password]


@dataclass
class Held:
    """One project as the server holds it: trainable tasks with their non-empty labels, and per
    image name its annotations as (sorted label names, shape type) pairs."""

    tasks: list[tuple[str, list[str]]]
    images: dict[str, list[tuple[tuple[str, ...], str]]]
    full_image_only: bool  # every annotation of a RECTANGLE type covers the whole image

    def shapes(self, name: str) -> Counter:
        return Counter(self.images[name])


def held(api: ServerAPI, project_name: str) -> Held:
    project = api.find_project(project_name)
    assert project is not None, f"no project {project_name!r} on the server"
    tasks = [(t.task_type, sorted(lb.name for lb in t.labels if not lb.is_empty)) for t in project.trainable_tasks]
    images, full = {}, True
    for media in api.list_media(project, "image"):
        scene = api.get_annotation_scene(project, media) or {}
        pairs = []
        for ann in scene.get("annotations", []):
            shape = ann["shape"]
            pairs.append((tuple(sorted(lb["name"] for lb in ann["labels"])), shape["type"]))
            if shape["type"] == "RECTANGLE":
                full &= tuple(float(shape[k]) for k in ("x", "y", "width", "height")) == FULL_IMAGE
        images[media.name] = pairs
    return Held(tasks, images, full)


# -- create_coco_project_single_task.py ------------------------------------------------------------------
@pytest.mark.parametrize("project_type, shape", [("detection", "RECTANGLE"), ("segmentation", "POLYGON")])
def test_single_task_dog_projects(coco, api, server_args, capsys, project_type, shape):
    root, truth = coco
    name = unique(f"dog {project_type}")
    module = load_example("create_coco_project_single_task")
    code = module.main([*server_args, "--coco-path", str(root), "--project-type", project_type,
                        "--project-name", name])
    assert code == 0, capsys.readouterr().err
    dogs = items_with(truth, {"dog"})
    assert f"images: {len(dogs)}" in capsys.readouterr().out
    project = held(api, name)
    assert project.tasks == [(project_type, ["dog"])]
    assert sorted(project.images) == sorted(item.name for item in dogs)
    for item in dogs:
        assert project.shapes(item.name) == Counter({(("dog",), shape): len(objects(item, {"dog"}))}), item.key


def test_single_task_classification_uses_dog_and_cat(coco, api, server_args, capsys):
    root, truth = coco
    name = unique("dog classification")
    module = load_example("create_coco_project_single_task")
    assert module.main([*server_args, "--coco-path", str(root), "--project-type", "classification",
                        "--project-name", name]) == 0, capsys.readouterr().err
    project = held(api, name)
    assert project.tasks == [("classification", ["cat", "dog"])]
    shown = items_with(truth, {"dog", "cat"})
    assert sorted(project.images) == sorted(item.name for item in shown)
    assert project.full_image_only
    for item in shown:
        present = set(objects(item, {"dog", "cat"}))
        ((labels, kind),) = project.images[item.name]  # exactly one whole-image label per image
        assert kind == "RECTANGLE" and len(labels) == 1 and labels[0] in present, (item.key, labels)


def test_single_task_limit_and_labels_from_the_command_line(coco, api, server_args, monkeypatch, capsys):
    root, truth = coco
    monkeypatch.setenv("COCO_PATH", str(root))
    name = unique("horse limit")
    module = load_example("create_coco_project_single_task")
    assert module.main([*server_args, "--labels", "horse", "--max-images", "2", "--project-name", name]) == 0
    project = held(api, name)
    assert project.tasks == [("detection", ["horse"])]
    assert len(project.images) == 2
    assert set(project.images) <= {item.name for item in items_with(truth, {"horse"})}


# -- create_coco_project_task_chain.py (as a real subprocess, settings from the environment) --------------
def test_task_chain_detects_dog_and_segments_dog_shape(coco, api, sc_server):
    root, truth = coco
    name = unique("dog chain")
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password, "COCO_PATH": str(root)}
    result = subprocess.run([sys.executable, str(EXAMPLES / "create_coco_project_task_chain.py"),
                             "--project-name", name], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    dogs = items_with(truth, {"dog"})
    assert f"images: {len(dogs)}" in result.stdout
    project = held(api, name)
    assert project.tasks == [("detection", ["dog"]), ("segmentation", ["dog shape"])]
    assert sorted(project.images) == sorted(item.name for item in dogs)
    for item in dogs:
        n = len(objects(item, {"dog"}))
        assert project.shapes(item.name) == Counter({(("dog",), "RECTANGLE"): n, (("dog shape",), "POLYGON"): n})


# -- create_demo_projects.py ------------------------------------------------------------------------------
def test_six_demo_projects(coco, api, server_args, capsys):
    root, truth = coco
    prefix = unique("demo") + " "
    module = load_example("create_demo_projects")
    assert module.main([*server_args, "--coco-path", str(root), "--prefix", prefix]) == 0, capsys.readouterr().err
    assert "6 of 6 demo projects created" in capsys.readouterr().out

    def check(name: str, tasks: list, names: set[str], expected_of) -> None:
        project = held(api, prefix + name)
        assert project.tasks == tasks, name
        shown = items_with(truth, names)
        assert sorted(project.images) == sorted(item.name for item in shown), name
        for item in shown:
            assert project.shapes(item.name) == expected_of(item), (name, item.key)

    def per_object(item: MediaItem, names: set[str], *forms) -> Counter:
        return Counter(form(c) for c in objects(item, names) for form in forms)

    people = {"dog", "person"}
    check("COCO segmentation: dog, person", [("segmentation", sorted(people))], people,
          lambda it: per_object(it, people, lambda c: ((c,), "POLYGON")))
    check("COCO detection: horse, cat", [("detection", ["cat", "horse"])], {"horse", "cat"},
          lambda it: per_object(it, {"horse", "cat"}, lambda c: ((c,), "RECTANGLE")))
    classes = held(api, prefix + "COCO classification: horse vs dog vs cat")
    assert classes.tasks == [("classification", sorted(ANIMALS))]
    assert sorted(classes.images) == sorted(item.name for item in items_with(truth, ANIMALS))
    assert classes.full_image_only and all(len(anns) == 1 for anns in classes.images.values())

    vehicles = {"car", "bicycle"}
    check("COCO anomaly: animals vs cars and bicycles", [("anomaly_classification", ["Anomalous", "Normal"])],
          ANIMALS | vehicles,
          lambda it: Counter({(("Anomalous" if objects(it, vehicles) else "Normal",), "RECTANGLE"): 1}))
    check("COCO animal detection -> segmentation",
          [("detection", ["animal"]), ("segmentation", sorted(ANIMALS))], ANIMALS,
          lambda it: per_object(it, ANIMALS, lambda c: (("animal",), "RECTANGLE"), lambda c: ((c,), "POLYGON")))
    check("COCO animal detection -> classification",
          [("detection", ["animal"]), ("classification", sorted(ANIMALS))], ANIMALS,
          lambda it: per_object(it, ANIMALS, lambda c: (tuple(sorted(("animal", c))), "RECTANGLE")))


# -- create_vitens_project.py ----------------------------------------------------------------------------
@pytest.mark.parametrize("project_type", ["detection", "segmentation"])
def test_vitens_project(tmp_path, api, server_args, capsys, project_type):
    from sc_importers_vitens.synthetic import make_vitens_dataset

    folder = tmp_path / "vitens"
    truth = make_vitens_dataset(folder, n_images=4, seed=3, colonies=(3, 8), polygon_fraction=0.3,
                                n_unannotated=1)
    assert truth.points and truth.polygons
    name = unique(f"vitens {project_type}")
    module = load_example("create_vitens_project")
    assert module.main([*server_args, "--vitens-path", str(folder), "--project-type", project_type,
                        "--project-name", name]) == 0, capsys.readouterr().err
    assert "images: 4" in capsys.readouterr().out
    project = held(api, name)
    assert project.tasks == [(project_type, ["aeromonas"])]
    assert sorted(project.images) == sorted(p.stem for p in truth.images)
    kinds = Counter(kind for anns in project.images.values() for labels, kind in anns if labels == ("aeromonas",))
    if project_type == "detection":
        assert kinds == Counter({"RECTANGLE": truth.points + truth.polygons})
    else:
        assert kinds == Counter({"ELLIPSE": truth.points, "POLYGON": truth.polygons})


def test_vitens_generate_writes_synthetic_data_first(tmp_path, api, server_args, capsys):
    folder = tmp_path / "generated"
    name = unique("vitens generated")
    module = load_example("create_vitens_project")
    assert module.main([*server_args, "--vitens-path", str(folder), "--generate", "3", "--project-name", name]) == 0
    out = capsys.readouterr().out
    assert "Generated 3 synthetic plate images" in out and "images: 3" in out
    assert len(held(api, name).images) == 3


# -- bad settings and failures ----------------------------------------------------------------------------
def test_missing_server_settings_are_named(coco, monkeypatch, capsys):
    for var in ("SC_HOST", "SC_USERNAME", "SC_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    module = load_example("create_demo_projects")
    assert module.main(["--coco-path", str(coco[0]), "--host", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--username / SC_USERNAME" in err and "--password / SC_PASSWORD" in err and "SC_HOST" not in err


def test_missing_coco_folder_points_at_download_script(tmp_path, server_args, capsys):
    module = load_example("create_coco_project_task_chain")
    assert module.main([*server_args, "--coco-path", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "instances_val2017.json not found" in err and "download_coco.py" in err


def test_existing_project_and_wrong_password_fail_cleanly(coco, api, sc_server, server_args, capsys):
    root, _ = coco
    name = unique("twice")
    module = load_example("create_coco_project_single_task")
    assert module.main([*server_args, "--coco-path", str(root), "--project-name", name]) == 0
    capsys.readouterr()
    assert module.main([*server_args, "--coco-path", str(root), "--project-name", name]) == 1
    assert name in capsys.readouterr().err
    assert [p.name for p in api.list_projects()].count(name) == 1

    wrong = ["--host", sc_server.url, "--username", sc_server.username, "--password", "not-the-password"]
    assert module.main([*wrong, "--coco-path", str(root), "--project-name", unique("never")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "not-the-password" not in err
