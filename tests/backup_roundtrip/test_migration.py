"""Migration: every project of one server downloaded with ``SCRESTClient.download_all_projects`` and
re-created on a SECOND server with ``upload_all_projects``: a task chain, an anomaly project and a
hierarchical classification (with two media of one name), each compared backup against backup."""

from __future__ import annotations

import pytest

from sc_importers.client import SCRESTClient
from sc_importers.model import Annotation, Dataset, Label, MediaItem
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset


@pytest.fixture
def old_server(tmp_path):
    """The server migrated from: only this test's projects on it."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path / "old-server") as server:
        yield server


def _fill(api, folder, tmp_path) -> dict[str, str]:
    """Create the three projects on ``api``; returns project name -> project type."""
    make_coco_dataset(folder, 6, ["dog", "cat"], seed=21, image_size=(160, 120), unannotated=1)
    coco = format_readers()["coco"].read(folder)
    created = {}
    for name, kind, options, extra in [
        ("chain", "detection_to_classification", BuildOptions(chain_label="animal"), {"iterations": 4}),
        ("anomaly", "anomaly_classification", BuildOptions(anomalous_labels=["cat"]), {"auto_train": True}),
    ]:
        report = import_dataset(api, coco, kind, options, name, workers=4, show_progress=False, **extra)
        assert report.exit_code() == 0, report.render()
        created[name] = kind
    # hierarchy (groups, parents, hotkeys) and two different images that share the name "twin"
    labels = [Label("animal", group="kingdom", hotkey="a", color="#123456ff"),
              Label("dog", group="species", parent="animal", hotkey="d"),
              Label("cat", group="species", parent="animal", hotkey="c")]
    sources = [i for i in coco.items if i.annotations][:4]
    items = [MediaItem(path=i.path, key=i.key, annotations=[Annotation(("animal", i.annotations[0].labels[0]))])
             for i in sources]
    for n, source in enumerate(sources[:2]):
        twin = tmp_path / f"twin{n}" / "twin.jpg"
        twin.parent.mkdir()
        twin.write_bytes(source.path.read_bytes())
        items.append(MediaItem(path=twin, key=f"twin{n}/twin.jpg", annotations=[Annotation(("animal", "dog"))]))
    hier = Dataset(name="hier", format="test", root=folder, labels=labels, items=items)
    report = import_dataset(api, hier, "classification", BuildOptions(), "hier", workers=4, show_progress=False)
    assert report.exit_code() == 0, report.render()
    created["hier"] = "classification"
    return created


def test_migrate_every_project_to_a_second_server(old_server, fresh_sc_server, tmp_path, kit):
    old_api = kit.open_api(old_server)
    try:
        created = _fill(old_api, tmp_path / "coco", tmp_path)
    finally:
        old_api.close()

    old = SCRESTClient(old_server.url, old_server.username, old_server.password)
    folders = old.download_all_projects(tmp_path / "backups")
    assert sorted(f.name for f in folders) == sorted(created)

    new = SCRESTClient(fresh_sc_server.url, fresh_sc_server.username, fresh_sc_server.password)
    restored = new.upload_all_projects(tmp_path / "backups")
    assert sorted(p.name for p in restored) == sorted(created)
    assert sorted(p.name for p in new.api.list_projects()) == sorted(created)
    types = {p.name: "_to_".join(t.task_type for t in p.trainable_tasks) for p in restored}
    assert types == {"chain": "detection_to_classification", "anomaly": "anomaly_classification",
                     "hier": "classification"}

    # backed-up training settings came along (4 iterations on the chain, auto-training on anomaly)
    chain = new.api.find_project("chain")
    assert all(new.api.get_iterations(chain, t) == 4 for t in chain.trainable_tasks)
    assert all(new.api.get_auto_training(chain, t) is False for t in chain.trainable_tasks)
    anomaly = new.api.find_project("anomaly")
    assert new.api.get_auto_training(anomaly, anomaly.trainable_tasks[0]) is True

    for name in created:
        again = new.download_project(name, tmp_path / "after" / name)
        before, after = kit.backup_view(tmp_path / "backups" / name), kit.backup_view(again)
        assert before["media"], name
        kit.assert_same_backup(before, after)
    hier = kit.backup_view(tmp_path / "after" / "hier")
    assert hier["labels"]["dog"]["parent"] == "animal" and hier["labels"]["dog"]["hotkey"] == "d"
    assert hier["labels"]["animal"]["color"] == "#123456ff"
    assert [name for _, name, _ in hier["media"]].count("twin") == 2, "same-named media keep their name"

    # migrating again is refused project by project, and creates nothing
    with pytest.raises(Exception, match="already exists"):
        new.upload_all_projects(tmp_path / "backups")
    assert len(new.api.list_projects()) == len(created)
