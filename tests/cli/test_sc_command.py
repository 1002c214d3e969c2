"""The ``sc`` command tree and its aliases, as subprocesses against a real local sc-server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sc_importers.synthetic import make_coco_dataset

BIN = Path(sys.executable).parent
SC = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]


def run(args: list[str], server=None, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``sc ARGS`` with the server's SC 1.0 login in the environment (never on the command line)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    if server is not None:
        full_env.update(SC_HOST=server.url, SC_USERNAME=server.username, SC_PASSWORD=server.password)
    full_env.update(env or {}, SC_CONFIG=os.devnull)
    return subprocess.run(SC + args, capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "coco"
    make_coco_dataset(folder, 4, ["dog", "cat"], seed=3, image_size=(64, 48))
    return folder


def _import(dataset: Path, server, name: str) -> None:
    done = run(["import", str(dataset), "--format", "coco", "--type", "detection", "--project-name", name], server)
    assert done.returncode == 0, done.stdout + done.stderr


def test_projects_list_show_delete(fresh_sc_server, dataset: Path):
    _import(dataset, fresh_sc_server, "Dogs")
    _import(dataset, fresh_sc_server, "Cats")
    listed = run(["projects", "list", "--json"], fresh_sc_server)
    assert listed.returncode == 0, listed.stderr
    assert [p["name"] for p in json.loads(listed.stdout)] == ["Cats", "Dogs"]
    plain = run(["projects", "list"], fresh_sc_server)
    assert "Dogs" in plain.stdout and "detection" in plain.stdout

    shown = run(["projects", "show", "Dogs", "--json"], fresh_sc_server)
    assert shown.returncode == 0, shown.stderr
    project = json.loads(shown.stdout)
    assert project["media"] == {"image": 4, "video": 0}
    assert {lb["name"] for lb in project["tasks"][0]["labels"]} >= {"dog", "cat"}
    assert project["viewer_url"].startswith(fresh_sc_server.url + "/viewer/projects/")

    missing = run(["projects", "show", "Horses", "--json"], fresh_sc_server)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)
    assert error["exit_code"] == 2 and "'Horses'" in error["error"] and "'Dogs'" in error["error"]

    unconfirmed = run(["projects", "delete", "Dogs"], fresh_sc_server)  # no terminal, no --yes
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert "Dogs" in run(["projects", "list"], fresh_sc_server).stdout

    deleted = run(["projects", "delete", "Dogs", "--yes", "--json"], fresh_sc_server)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout) == [{"project": "Dogs", "id": project["id"], "deleted": True}]
    assert [p["name"] for p in json.loads(run(["projects", "list", "--json"], fresh_sc_server).stdout)] == ["Cats"]


def test_verify_several_folders_and_all(fresh_sc_server, dataset: Path, tmp_path: Path):
    _import(dataset, fresh_sc_server, "Dogs")
    _import(dataset, fresh_sc_server, "Cats")
    backups = tmp_path / "backups"
    exported = run(["export", "--all", "--target-folder", str(backups)], fresh_sc_server)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    folders = sorted(p for p in backups.iterdir() if p.is_dir())
    assert len(folders) == 2

    both = run(["verify", *map(str, folders), "--json"], fresh_sc_server)
    assert both.returncode == 0, both.stdout + both.stderr
    assert [r["identical"] for r in json.loads(both.stdout)] == [True, True]

    (backups / "stray").mkdir()  # not a backup: --all skips it
    run(["projects", "delete", "Cats", "--yes"], fresh_sc_server)
    every = run(["verify", "--all", str(backups), "--json"], fresh_sc_server)
    assert every.returncode == 2, every.stdout + every.stderr  # Cats is gone: not comparable
    results = {Path(r["folder"]).name: r for r in json.loads(every.stdout)}
    assert set(results) == {f.name for f in folders}
    assert results[folders[1].name]["identical"] is True
    assert "no project named 'Cats'" in results[folders[0].name]["error"]

    # the old spelling still works, now through the same comparison
    old = subprocess.run([str(BIN / "sc-export"), "--verify", str(folders[1])], capture_output=True, text=True,
                         env={**os.environ, "SC_HOST": fresh_sc_server.url, "SC_USERNAME": "admin",
                              "SC_PASSWORD": fresh_sc_server.password, "SC_CONFIG": os.devnull})
    assert old.returncode == 0 and "identical" in old.stdout, old.stdout + old.stderr

    # 4 ("no differences, but no manifest") must not hide a folder that could not be compared
    (folders[1] / "manifest.json").unlink()
    mixed = run(["verify", "--all", str(backups), "--json"], fresh_sc_server)
    assert mixed.returncode == 2, mixed.stdout + mixed.stderr


def test_formats_types_version_and_aliases():
    formats = run(["formats", "--json"])
    assert formats.returncode == 0
    assert {"coco", "backup", "yolo"} <= {f["name"] for f in json.loads(formats.stdout)}
    types = run(["types", "--json"])
    assert {"name": "detection", "tasks": ["detection"]}.items() <= next(
        t for t in json.loads(types.stdout) if t["name"] == "detection").items()
    assert run(["--version"]).stdout.startswith("sc ")
    for alias, expected in (("sc-import", "sc-import"), ("sc-export", "sc-export"), ("sc-server", "sc-server")):
        done = subprocess.run([str(BIN / alias), "--version"], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.startswith(expected), done.stdout + done.stderr
    old = subprocess.run([str(BIN / "sc-import"), "--list-formats"], capture_output=True, text=True)
    assert old.returncode == 0 and "coco" in old.stdout


def test_usage_error_is_json_with_exit_2():
    done = run(["projects", "list", "--json"])  # no host anywhere
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"].startswith("--host")
    unknown = run(["nosuch"])
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_every_option_from_the_environment(fresh_sc_server, dataset: Path):
    env = {"SC_IMPORT_FORMAT": "coco", "SC_IMPORT_TYPE": "detection", "SC_IMPORT_PROJECT_NAME": "From env"}
    done = run(["import", str(dataset)], fresh_sc_server, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "From env" in run(["projects", "list"], fresh_sc_server).stdout


def test_several_verify_results_give_the_most_severe_code():
    from sc_importers.cli.verify_cmd import overall_exit_code

    assert overall_exit_code([0, 4]) == 4 and overall_exit_code([4, 1]) == 1 and overall_exit_code([1, 4, 2]) == 2
    assert overall_exit_code([0, 0]) == 0 and overall_exit_code([4, 3]) == 3


def test_environment_names_follow_one_rule_for_sc_and_its_aliases(dataset: Path, tmp_path: Path):
    """SC_<COMMAND>_<OPTION> (README): SC_VERIFY_WORKERS for sc verify as SC_EXPORT_WORKERS for sc export,
    and SC_IMPORT_TYPE read by sc-import as by sc import; sc --help says the rule."""
    verify = run(["verify", str(tmp_path)], env={"SC_VERIFY_WORKERS": "0"})
    assert verify.returncode == 2 and "--workers" in verify.stderr, verify.stderr
    alias = [sys.executable, "-c", "from sc_importers.cli.import_cmd import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    env.update(SC_CONFIG=os.devnull, SC_IMPORT_TYPE="no_such_type")
    done = subprocess.run([*alias, str(dataset), "--format", "coco", "--dry-run"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 2 and "unknown project type 'no_such_type'" in done.stderr, done.stdout + done.stderr
    top_help = run(["--help"]).stdout
    assert "SC_IMPORT_TYPE" in top_help and "4 (verify)" in top_help, top_help


@pytest.mark.skipif(shutil.which("sc", path=str(BIN)) is None, reason="the sc console script is not installed")
def test_sc_console_script_runs():
    done = subprocess.run([str(BIN / "sc"), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "projects" in done.stdout


def test_sc_server_serves_like_sc_server(tmp_path: Path):
    from sc_importers.server.testing import free_port

    port = free_port()
    env = {**os.environ, "SC_SERVER_PASSWORD": "-dash-first", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(SC + ["server", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = ""
        while "serving" not in line:
            line = process.stdout.readline()
            assert line, "sc server exited before serving"
        assert f"http://127.0.0.1:{port}" in line
        server = type("S", (), {"url": f"http://127.0.0.1:{port}", "username": "admin", "password": "-dash-first"})
        listed = run(["projects", "list"], server)
        assert listed.returncode == 0 and "(no projects)" in listed.stdout, listed.stderr
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_taken_name_points_to_sc_projects_delete(fresh_sc_server, dataset: Path):
    _import(dataset, fresh_sc_server, "Dogs and cats")
    again = run(["import", str(dataset), "--format", "coco", "--type", "detection", "--project-name",
                 "Dogs and cats", "--json"], fresh_sc_server)
    assert again.returncode == 2
    assert "sc projects delete 'Dogs and cats'" in again.stdout + again.stderr


def test_shell_completion_of_subcommands_options_and_profiles(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[profiles.lab]\nhost = "https://lab"\n[profiles.geti]\nhost = "https://geti"\n')

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_SC_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1), "SC_CONFIG": str(config)}
        done = subprocess.run(SC, capture_output=True, text=True, env=env, timeout=60)
        return [line.split(",", 1)[1] for line in done.stdout.splitlines()]

    assert complete("sc pro") == ["projects"]
    assert complete("sc projects d") == ["delete"]
    assert "--type" in complete("sc import --ty")
    assert complete("sc --profile l") == ["lab"]


def test_aliases_print_errors_as_json_too(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    env.update(SC_CONFIG=os.devnull)
    for alias in ("sc-export", "sc-import"):
        args = ["--all", "--json"] if alias == "sc-export" else [str(tmp_path), "--type", "detection", "--json"]
        done = subprocess.run([str(BIN / alias), *args], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2, done.stdout + done.stderr
        error = json.loads(done.stdout)  # one shape for every command's error
        assert error["exit_code"] == 2 and error["error"], done.stdout


def test_projects_show_open_opens_the_viewer_page(fresh_sc_server, dataset: Path, tmp_path: Path):
    _import(dataset, fresh_sc_server, "Dogs")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n')
    browser.chmod(0o755)
    done = run(["projects", "show", "Dogs", "--open"], fresh_sc_server, env={"BROWSER": f"{browser} %s"})
    assert done.returncode == 0, done.stderr
    project_id = json.loads(run(["projects", "show", "Dogs", "--json"], fresh_sc_server).stdout)["id"]
    assert opened.read_text().split() == [f"{fresh_sc_server.url}/viewer/projects/{project_id}"]
