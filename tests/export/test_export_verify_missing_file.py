"""``sc verify`` of a backup whose annotation file was deleted names the file as missing (it used to say
"0 shape(s) in the backup", as if the project had been backed up without annotations there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sc_importers.synthetic import make_coco_dataset

SC = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]


def run(args: list[str], server) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    env.update(SC_HOST=server.url, SC_USERNAME=server.username, SC_PASSWORD=server.password, SC_CONFIG=os.devnull)
    return subprocess.run(SC + args, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)


def test_a_deleted_annotation_file_is_named_as_missing(sc_server, tmp_path: Path):
    make_coco_dataset(tmp_path / "coco", 3, ["dog", "cat"], seed=8, image_size=(64, 48))
    name = "Verify missing annotation file"
    imported = run(["import", str(tmp_path / "coco"), "--format", "coco", "--type", "detection",
                    "--project-name", name], sc_server)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    backups = tmp_path / "backups"
    exported = run(["export", name, "--target-folder", str(backups)], sc_server)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    (folder,) = [p for p in backups.iterdir() if p.is_dir()]
    assert json.loads(run(["verify", str(folder), "--json"], sc_server).stdout)[0]["identical"] is True
    deleted = sorted((folder / "annotations").glob("*.json"))[0]
    deleted.unlink()
    relative = deleted.relative_to(folder).as_posix()

    done = run(["verify", str(folder), "--json"], sc_server)
    assert done.returncode == 1, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)
    named = [d for d in result["differences"] if relative in d]
    assert len(named) == 1 and "missing from the backup folder" in named[0], result["differences"]
    assert not any("0 shape(s) in the backup" in d for d in result["differences"]), result["differences"]
    text = run(["verify", str(folder)], sc_server)
    assert text.returncode == 1 and relative in text.stdout and "missing" in text.stdout, text.stdout

    # without a manifest (another tool's folder) the file is still named
    (folder / "manifest.json").unlink()
    bare = run(["verify", str(folder), "--json"], sc_server)
    assert bare.returncode == 1, bare.stdout + bare.stderr
    assert any(relative in d and "missing" in d for d in json.loads(bare.stdout)[0]["differences"]), bare.stdout
