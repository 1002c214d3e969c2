"""Listing through the media indexes answers exactly as the whole-dataset path did: the Geti dialect's
``media:query`` filters and sorts answered by SQL give the same pages and totals as the same query forced
through the Python matcher (an always-true ``media_size`` rule), and SC 1.0's skiptoken paging visits
every media item once with the annotation state of each page's own items."""

from __future__ import annotations

import pytest

#: Filters SQL answers (the second element of each query pair adds a rule only the matcher can answer).
FILTERS = [
    {},
    {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": "IMAGE"}]},
    {"condition": "or", "rules": [{"field": "media_width", "operator": "greater", "value": 100},
                                  {"field": "media_name", "operator": "contains", "value": "b"}]},
    {"condition": "and", "rules": [{"field": "annotation_scene_state", "operator": "equal", "value": "annotated"}]},
    {"condition": "and", "rules": [{"field": "annotation_scene_state", "operator": "not_in",
                                    "value": ["ANNOTATED"]}]},
    {"condition": "and", "rules": [{"field": "media_height", "operator": "in", "value": [48, 60]}]},
    {"condition": "and", "rules": [{"field": "media_name", "operator": "less_or_equal", "value": "c"}]},
]


def _forced_python(body: dict) -> dict:
    """The same filter with a rule on ``media_size`` (on disk: only the matcher answers it) that changes
    nothing: always true in an "and", always false in an "or"."""
    if body.get("condition", "and") == "and":
        return {"condition": "and", "rules": [*body.get("rules", []),
                                              {"field": "media_size", "operator": "greater_or_equal", "value": 0}]}
    return {"condition": "or", "rules": [*body["rules"], {"field": "media_size", "operator": "less", "value": 0}]}


def _pages(geti, project: dict, body: dict, sort_by: str, direction: str) -> tuple[list[list[str]], dict]:
    url = f"{geti.dataset_url(project)}/media:query?limit=2&sort_by={sort_by}&sort_direction={direction}"
    pages, totals = [], {}
    while url:
        answer = geti.session.post(url, json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        pages.append([(m["id"], m["annotation_state_per_task"][0]["state"]) for m in data["media"]])
        totals = {k: v for k, v in data.items() if k.startswith("total")}
        url = geti.absolute(data["next_page"]) if data.get("next_page") else None
    return pages, totals


@pytest.fixture
def project(geti, h):
    project = geti.create_project("detection")
    sizes = {"a1.jpg": (64, 48), "b2.jpg": (200, 60), "c3.jpg": (120, 48), "ab4.jpg": (64, 60), "d5.jpg": (300, 90)}
    ids = {}
    for name, (w, hh) in sizes.items():
        ids[name] = geti.upload(project, h.jpeg_bytes(w, hh), filename=name).json()["id"]
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    for name in ("b2.jpg", "ab4.jpg"):
        url = f"{geti.dataset_url(project)}/media/images/{ids[name]}/annotations"
        shape = {"type": "RECTANGLE", "x": 1, "y": 1, "width": 10, "height": 10}
        posted = geti.session.post(url, json={"annotations": [{"labels": [{"id": label}], "shape": shape}]},
                                   timeout=30)
        assert posted.status_code == 200, posted.text
    return project


@pytest.mark.parametrize("body", FILTERS)
def test_sql_answers_media_query_as_the_matcher_does(geti, project, body) -> None:
    for sort_by, direction in (("media_name", "asc"), ("media_width", "dsc"), ("media_upload_date", "asc")):
        by_sql = _pages(geti, project, body, sort_by, direction)
        by_python = _pages(geti, project, _forced_python(body), sort_by, direction)
        assert by_sql == by_python
    if not body:
        pages, totals = by_sql
        assert totals["total_images"] == totals["total_matched_images"] == 5
        assert sum(len(p) for p in pages) == 5 and all(len(p) == 2 for p in pages[:-1])


def test_sc_skiptoken_paging_states_per_page(api, geti, project) -> None:
    sc_project = {"id": project["id"], "datasets": project["datasets"]}
    url = f"{api.dataset_url(sc_project)}/media/images?top=2"
    seen = []
    while url:
        data = api.session.get(url, timeout=30).json()
        seen += [(m["name"], m["annotation_state_per_task"][0]["state"]) for m in data["media"]]
        url = api.url + data["next_page"] if data.get("next_page") and data["media"] else None
    assert sorted(seen) == [("a1", "NONE"), ("ab4", "annotated"), ("b2", "annotated"), ("c3", "NONE"),
                            ("d5", "NONE")]


def test_counts_follow_uploads_and_deletes(api, geti, project, h) -> None:
    sc_project = {"id": project["id"], "datasets": project["datasets"]}
    listed = api.list_media(sc_project)
    assert listed["media_count"] == {"images": 5}
    doomed = listed["media"][0]["id"]
    assert api.session.delete(f"{api.dataset_url(sc_project)}/media/images/{doomed}", timeout=30).status_code == 200
    geti.upload(project, h.jpeg_bytes(64, 64), filename="late.jpg")
    assert api.list_media(sc_project)["media_count"] == {"images": 5}
    query = geti.session.post(f"{geti.dataset_url(project)}/media:query", json={}, timeout=30).json()
    assert query["total_images"] == query["total_matched_images"] == 5 and query["total_videos"] == 0
    assert doomed not in [m["id"] for m in query["media"]]


def test_thumbnails_are_cached_and_dropped_with_their_media(api, geti, project, h, sc_server) -> None:
    sc_project = {"id": project["id"], "datasets": project["datasets"]}
    item = api.list_media(sc_project)["media"][0]
    first = api.session.get(api.url + item["thumbnail"], timeout=30)
    again = api.session.get(api.url + item["thumbnail"], timeout=30)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert first.content.startswith(b"\xff\xd8")
    cached = list((sc_server.data_dir / "media" / ".thumbs" / project["id"]).glob("*.jpg"))
    assert [p.name.split(".")[0] for p in cached] == [item["id"]]
    assert api.session.delete(f"{api.dataset_url(sc_project)}/media/images/{item['id']}", timeout=30).ok
    assert not cached[0].exists()


def test_a_page_after_a_change_is_paged_afresh(geti, project, h) -> None:
    """A page's end is remembered to seek the next page; an upload in between must not shift it."""
    url = f"{geti.dataset_url(project)}/media:query?limit=2&sort_by=media_name&sort_direction=asc"
    first = geti.session.post(url, json={}, timeout=30).json()
    geti.upload(project, h.jpeg_bytes(64, 64), filename="a0.jpg")  # sorts before everything listed so far
    second = geti.session.post(geti.absolute(first["next_page"]), json={}, timeout=30).json()
    forced = geti.session.post(geti.absolute(first["next_page"]), json=_forced_python({}), timeout=30).json()
    # a cursor kept from before the upload would give b2, c3
    assert [m["name"] for m in second["media"]] == [m["name"] for m in forced["media"]] == ["ab4", "b2"]
