"""``sc-import`` and ``sc-export --verify`` name the viewer page of the project they touched when the
server is local, and ``sc-export --open`` opens it in the user's browser (``$BROWSER``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import requests
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.synthetic import make_coco_dataset
from sc_importers.viewer_link import viewer_url

SC_EXPORT = [sys.executable, "-c", "from sc_importers.cli.export_cmd import main; main()"]


def test_only_a_local_server_gets_a_link():
    assert viewer_url("http://127.0.0.1:5000", "ab" * 12) == f"http://127.0.0.1:5000/viewer/projects/{'ab' * 12}"
    assert viewer_url("https://localhost/", "x") == "https://localhost/viewer/projects/x"
    assert viewer_url("http://[::1]:8080", "x") == "http://[::1]:8080/viewer/projects/x"
    assert viewer_url("https://sc.example.com", "x") is None
    assert viewer_url("http://127.0.0.1:5000", None) is None


def _viewer_page(server, url: str) -> requests.Response:
    session = requests.Session()
    form = session.get(f"{server.url}/user/login", timeout=30)
    session.post(form.url, data={"login": server.username, "password": server.password}, timeout=30)
    return session.get(url, timeout=30)


def test_import_and_verify_print_the_viewer_url_and_open_it(sc_server, tmp_path):
    folder = tmp_path / "viewer-link-dataset"
    make_coco_dataset(folder, 3, ["dog"], seed=4, image_size=(120, 90))
    name = f"viewer-link-{uuid.uuid4().hex[:8]}"
    login = ["--host", sc_server.url, "--username", sc_server.username, "--password", sc_server.password]
    done = CliRunner().invoke(build_command(), [str(folder), "--type", "detection", "--project-name", name, *login])
    assert done.exit_code == 0, done.output
    line = next(x for x in done.stdout.splitlines() if x.startswith("View it in a browser: "))
    link = line.split(": ", 1)[1]
    assert link.startswith(f"{sc_server.url}/viewer/projects/")
    page = _viewer_page(sc_server, link)
    assert page.status_code == 200 and name in page.text and page.text.count('class="card ') == 3

    backups = tmp_path / "backups"
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password}
    export = subprocess.run([*SC_EXPORT, name, "--target-folder",
                             str(backups), "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert export.returncode == 0, export.stderr
    backup = json.loads(export.stdout)[0]["folder"]

    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys\nopen({str(opened)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    env["BROWSER"] = f"{sys.executable} {recorder} %s"
    verify = subprocess.run([*SC_EXPORT, "--verify", backup, name,
                             "--open"], env=env, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"View it in a browser: {link}" in verify.stdout
    assert opened.read_text().split() == [link]
