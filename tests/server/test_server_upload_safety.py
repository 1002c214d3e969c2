"""Upload and query hardening over real HTTP: hostile multipart file names, non-ASCII digits in
numeric path and query parts, and that files only ever land under the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

HOSTILE_NAMES = ["../../escape.jpg", "/tmp/abs-escape.jpg", "..\\..\\win-escape.jpg", "nul.j\x00pg",
                 "two\x00.jpg", "dots.jpg/..", "newline.jpg\n", "a." + "x" * 300]


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("filename", HOSTILE_NAMES)
def test_hostile_file_names_land_only_in_the_project_folder(fresh_sc_server, h, filename) -> None:
    api = h.make_api(fresh_sc_server)
    project = api.create_project("detection")
    root = fresh_sc_server.data_dir
    outside_before = _files_under(root.parent) - _files_under(root)
    answer = api.upload(project, h.jpeg_bytes(), filename=filename)
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert "/" not in record["name"] and "\\" not in record["name"] and "\x00" not in record["name"]
    stored = _files_under(root / "media")
    assert len(stored) == 1
    (path,) = stored
    assert path.parent == root / "media" / project["id"] and path.name.startswith(record["id"])
    assert _files_under(root.parent) - _files_under(root) == outside_before
    full = api.session.get(f"{api.dataset_url(project)}/media/images/{record['id']}/display/full", timeout=30)
    assert full.status_code == 200 and full.content == h.jpeg_bytes()


@pytest.mark.parametrize("top", ["\u00b2", "\u0663", "1\u00b2"])
def test_non_ascii_digits_in_top_get_400(api, top) -> None:
    project = api.create_project("detection")
    answer = api.session.get(f"{api.dataset_url(project)}/media/images", params={"top": top}, timeout=30)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("frame", ["\u00b2", "\u0663", "-1", "24"])
def test_frame_index_outside_the_video_gets_400(api, shared, frame) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"  # 24 frames
    project = api.create_project("detection")
    video = api.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    base = f"{api.dataset_url(project)}/media/videos/{video['id']}/frames/{frame}"
    for answer in (api.session.get(f"{base}/display/full", timeout=30),
                   api.session.get(f"{base}/annotations/latest", timeout=30),
                   api.session.post(f"{base}/annotations", json={"annotations": []}, timeout=30)):
        assert answer.status_code == 400, answer.text
        assert "is not a frame of video" in answer.json()["message"]
