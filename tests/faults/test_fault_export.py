"""sc-export through the fault proxy: a media download cut half-way on every attempt leaves an INCOMPLETE backup
(named media, exit 3, no manifest, no truncated file under a final name) that a re-run completes
while keeping the files already finished; a server slower than the client's read timeout gives a
one-line error and a non-zero exit, never a traceback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.export_cmd import command as export_command
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset


def _export(proxy, name: str, target: Path, *extra: str):
    server = proxy.server
    args = [name, "--target-folder", str(target), "--host", proxy.url, "--username", server.username,
            "--password", server.password, "--workers", "4", *extra]
    return CliRunner().invoke(export_command, args)


def _project(direct_api, truth, name: str):
    report = import_dataset(direct_api, truth, "detection", BuildOptions(), name, workers=4, show_progress=False)
    assert report.exit_code() == 0, report.render()
    return direct_api.get_project(report.project_id)


def test_download_cut_half_way_is_incomplete_and_a_rerun_completes_it(proxy, direct_api, small_coco, tmp_path):
    _, truth = small_coco
    project = _project(direct_api, truth, "cut-download")
    media = sorted(direct_api.list_media(project, "image"), key=lambda m: m.name)
    victim = media[4]
    rule = proxy.on("GET", rf"/images/{victim.id}/display/full$").cut_body(0.5)  # every attempt
    folder = tmp_path / "backups" / "cut-download"

    result = _export(proxy, "cut-download", tmp_path / "backups", "--retries", "1")

    assert len(rule.fired) == 2  # downloaded again once from the first byte, cut again
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 3, result.output  # the connection kept breaking: "server lost", re-run
    assert "INCOMPLETE (1 media failed" in result.output
    assert f"failed: {victim.name}: " in result.output and "download interrupted" in result.output
    assert not (folder / "manifest.json").exists()
    files = {p.name: p for p in (folder / "images").rglob("*") if p.is_file()}
    finished = {n: p for n, p in files.items() if not n.endswith(".part")}
    assert sorted(Path(n).stem for n in finished) == sorted(m.name for m in media if m is not victim)
    inodes = {n: p.stat().st_ino for n, p in finished.items()}

    proxy.clear()
    result = _export(proxy, "cut-download", tmp_path / "backups")

    assert result.exit_code == 0, result.output
    assert "cut-download: complete" in result.output and "1 media downloaded, 11 kept" in result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len([f for f in manifest["files"] if f.startswith("images/")]) == len(media), manifest["files"].keys()
    after = {p.name: p for p in (folder / "images").rglob("*") if p.is_file()}
    assert not [n for n in after if n.endswith(".part")]
    assert {n: after[n].stat().st_ino for n in inodes} == inodes  # kept, not downloaded again
    (victim_file,) = [p for p in after.values() if p.stem == victim.name]
    on_server = tmp_path / "direct.bin"
    direct_api.download_media(project, victim, on_server)
    assert hashlib.sha256(victim_file.read_bytes()).digest() == hashlib.sha256(on_server.read_bytes()).digest()


def test_annotation_answer_cut_half_way_leaves_no_annotation_file(proxy, direct_api, small_coco, tmp_path):
    _, truth = small_coco
    project = _project(direct_api, truth, "cut-annotation")
    victim = next(m for m in sorted(direct_api.list_media(project, "image"), key=lambda m: m.name)
                  if direct_api.get_annotation_scene(project, m) is not None)
    rule = proxy.on("GET", rf"/images/{victim.id}/annotations/latest$", hits=[1, 2]).cut_body(0.5)
    folder = tmp_path / "backups" / "cut-annotation"

    result = _export(proxy, "cut-annotation", tmp_path / "backups", "--retries", "1")

    assert len(rule.fired) == 2
    assert result.exit_code == 3 and f"failed: {victim.name}: " in result.output, result.output
    assert not (folder / "manifest.json").exists()
    assert not (folder / "annotations" / f"{victim.name}.json").exists()
    assert not list(folder.rglob("*.part"))

    proxy.clear()
    result = _export(proxy, "cut-annotation", tmp_path / "backups")

    assert result.exit_code == 0, result.output
    saved = json.loads((folder / "annotations" / f"{victim.name}.json").read_text())
    assert saved == direct_api.get_annotation_scene(project, victim)


def test_a_download_cut_once_is_downloaded_again_within_the_run(proxy, direct_api, small_coco, tmp_path):
    _, truth = small_coco
    project = _project(direct_api, truth, "cut-once")
    victim = sorted(direct_api.list_media(project, "image"), key=lambda m: m.name)[2]
    rule = proxy.on("GET", rf"/images/{victim.id}/display/full$", hits=[1]).cut_body(0.5)

    result = _export(proxy, "cut-once", tmp_path / "backups")

    assert len(rule.fired) == 1
    assert result.exit_code == 0 and "cut-once: complete" in result.output, result.output
    folder = tmp_path / "backups" / "cut-once"
    manifest = json.loads((folder / "manifest.json").read_text())
    (saved,) = [p for p in (folder / "images").rglob(f"{victim.name}.*")]
    on_server = tmp_path / "direct.bin"
    direct_api.download_media(project, victim, on_server)
    digest = hashlib.sha256(on_server.read_bytes()).hexdigest()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest  # the hash restarted with the bytes
    assert manifest["files"][saved.relative_to(folder).as_posix()]["sha256"] == digest
