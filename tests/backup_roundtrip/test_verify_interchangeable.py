"""The mvtec fixture that showed ``--verify`` false differences: ``category_0`` holds three
``000.png`` with identical bytes (one good, two with masks of different labels). Imported as
anomaly segmentation, backed up, verified against the source (old media ids pair them) and, after
a restore under a new name, against the restored project (pairing by agreeing annotations)."""

from __future__ import annotations

import json


def test_mvtec_twins_verify_identical(source_cli, shared, tmp_path, unique):
    root = shared.datasets("datumaro-test-assets/assets/mvtec_dataset/category_0")
    name = f"mvtec-{unique}"
    imported = source_cli.sc_import(str(root), "--format", "datumaro", "--datumaro-format", "mvtec_segmentation",
                                    "--type", "anomaly_segmentation", "--anomalous-labels", "label_1,label_2",
                                    "--project-name", name)
    assert imported.exit_code == 0, imported.output
    exported = source_cli.sc_export(name, "--target-folder", str(tmp_path / "b"))
    assert exported.exit_code == 0, exported.output
    folder = tmp_path / "b" / name
    manifest = json.loads((folder / "manifest.json").read_text())
    shas = [manifest["files"][rel]["sha256"] for rel, info in manifest["media"].items() if info["name"] == "000"]
    assert len(shas) == 3 and len(set(shas)) == 1, manifest["media"]
    scenes = {p.read_text() for p in (folder / "annotations").glob("000__*.json")}
    assert len(scenes) >= 2, "the twins differ in their annotations"

    verified = source_cli.sc_export("--verify", str(folder), name)
    assert verified.exit_code == 0 and "identical" in verified.output, verified.output

    restored = source_cli.sc_import(str(folder), "--format", "backup", "--project-name", f"{name}-copy")
    assert restored.exit_code == 0, restored.output
    against_copy = source_cli.sc_export("--verify", str(folder), f"{name}-copy")
    assert against_copy.exit_code == 0 and "identical" in against_copy.output, against_copy.output
