"""Every route of the Geti 2.x dialect, with each id of its path malformed in turn: a 400 in Geti's
JSON error shape, naming the parameter, never a 500 or a framework default."""

from __future__ import annotations

import re

from sc_importers.server import geti as geti_dialect

ERROR_KEYS = {"error_code", "http_status", "message"}
_PARAM = re.compile(r"{(\w+)}")


def _routes() -> list[tuple[str, str]]:
    return sorted({(method, geti_dialect.API + route.path) for router in geti_dialect.ROUTERS
                   for route in router.routes for method in route.methods - {"HEAD"}})


def _ids(geti, shared, h) -> dict:
    """Valid values for every path parameter: a detection project with an image and a video."""
    project = geti.create_project()
    image = geti.upload(project, h.jpeg_bytes(64, 48)).json()
    video_file = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    video = geti.upload(project, video_file.read_bytes(), filename=video_file.name, kind="videos").json()
    return {"organization_id": geti.organization_id, "workspace_id": geti.workspace_id,
            "project_id": project["id"], "dataset_id": project["datasets"][0]["id"], "image_id": image["id"],
            "video_id": video["id"], "task_id": project["pipeline"]["tasks"][1]["id"], "frame_index": "0",
            "annotation_id": "latest", "job_id": "a" * 24}


def test_malformed_path_ids_are_400_on_every_route(geti, shared, h) -> None:
    ids = _ids(geti, shared, h)
    routes = _routes()
    assert {name for _, path in routes for name in _PARAM.findall(path)} <= set(ids)
    problems, checked = [], 0
    for method, path in routes:
        for param in set(_PARAM.findall(path)) - {"organization_id"}:  # another organization: the gateway's 401
            url = geti.url + _PARAM.sub(lambda m, p=param: "bad-id" if m.group(1) == p else ids[m.group(1)], path)
            answer = geti.session.request(method, url, json={}, timeout=60)
            checked += 1
            if param == "annotation_id" and path.endswith("/media/videos/{video_id}/annotations/{annotation_id}"):
                expected = 405  # Geti serves only "latest" for whole videos
            else:
                expected = 400
            body = answer.json() if answer.headers.get("content-type") == "application/json" else None
            if answer.status_code != expected or body is None or set(body) != ERROR_KEYS:
                problems.append(f"{method} {path} [{param}]: {answer.status_code} {answer.text[:150]}")
    assert checked > 100 and not problems, "\n".join(problems)
