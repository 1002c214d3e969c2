"""``POST D/media:query``: the Geti 2.x way to list a dataset's media, with filter rules, sorting,
``limit``/``skip`` paging, exact totals and ``next_page``.

Filter fields served: ``media_type``, ``media_name``, ``media_upload_date``, ``media_width``,
``media_height``, ``media_size`` and ``annotation_scene_state``; field, operator and enum values are
matched case-insensitively (geti-sdk sends ``MEDIA_TYPE``/``EQUAL``). Other fields (labels, shapes,
users, subsets) are refused with 400 ``invalid_filter`` rather than ignored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request

from sc_importers.server.body import read_json
from sc_importers.server.db import Database
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import DATASET, load_dataset_project, load_media
from sc_importers.server.geti.media import annotation_summary, view_of
from sc_importers.server.geti.media_sql import order_by, page_ids, translate
from sc_importers.server.geti.views import media_view
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.settings import settings_of
from sc_importers.server.storage import media_path

#: Whether one media row's facts (see :func:`_facts`) pass a filter.
Matcher = Callable[[dict], bool]

router = APIRouter()
MAX_LIMIT = 1000
_SORT = ("media_name", "media_upload_date", "media_width", "media_height", "media_size")
_OPERATORS = {
    "equal": lambda a, b: a == b, "not_equal": lambda a, b: a != b, "greater": lambda a, b: a > b,
    "less": lambda a, b: a < b, "greater_or_equal": lambda a, b: a >= b, "less_or_equal": lambda a, b: a <= b,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b, "contains": lambda a, b: str(b) in str(a),
}


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_filter", message)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise bad_request(f"Invalid request parameters: '{name}'. Expected an integer from {low} to {high}, "
                          f"got '{raw}'.")
    return int(raw)


def _facts(row: sqlite3.Row, summary: dict, data_dir: Path) -> dict:
    """What the filters and sort keys look at, for one media row."""
    entry = summary.get(row["id"])
    state = "annotated" if entry and entry["tasks"] else "unannotated"
    path = media_path(data_dir, row)
    return {"media_type": row["kind"], "media_name": row["name"], "media_upload_date": row["upload_time"],
            "media_width": row["width"], "media_height": row["height"],
            "media_size": path.stat().st_size if path.exists() else 0, "annotation_scene_state": state}


def _rule_test(rule: object) -> Matcher:
    if not isinstance(rule, dict) or not all(k in rule for k in ("field", "operator", "value")):
        raise _invalid(f"Every filter rule needs 'field', 'operator' and 'value', got {rule!r}.")
    field, operator, value = str(rule["field"]).lower(), str(rule["operator"]).lower(), rule["value"]
    if field not in ("media_type", "media_name", "media_upload_date", "media_width", "media_height", "media_size",
                     "annotation_scene_state"):
        raise _invalid(f"Filtering on field '{rule['field']}' is not supported by this server.")
    if operator not in _OPERATORS:
        raise _invalid(f"Unknown filter operator '{rule['operator']}'.")
    if field in ("media_type", "annotation_scene_state"):  # enum values, looked up upper-cased by Geti
        value = [str(v).lower() for v in value] if isinstance(value, list) else str(value).lower()
    if operator in ("in", "not_in") and not isinstance(value, list):
        raise _invalid(f"Operator '{operator}' needs a list value, got {value!r}.")
    compare = _OPERATORS[operator]

    def test(facts: dict) -> bool:
        try:
            return bool(compare(facts[field], value))
        except TypeError as exc:
            raise _invalid(f"Value {value!r} cannot be compared with field '{field}'.") from exc

    return test


def _matcher(body: object) -> Matcher:
    if not isinstance(body, dict):
        raise _invalid("The filter must be a JSON object; pass {} for all media.")
    if not body:
        return lambda facts: True
    rules = body.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _invalid('Can not create filter with a condition but no rules. Pass "{}" to get all media.')
    condition = str(body.get("condition", "and")).lower()
    if condition not in ("and", "or"):
        raise _invalid(f"Unknown filter condition '{body.get('condition')}'; use 'and' or 'or'.")
    tests = [_rule_test(rule) for rule in rules]
    combine = all if condition == "and" else any
    return lambda facts: combine(test(facts) for test in tests)


@router.post(DATASET + "/media:query")
async def query_media(request: Request, organization_id: str, workspace_id: str, project_id: str,
                      dataset_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    limit = _int_param(request, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    skip = _int_param(request, "skip", 0, 0, 10 ** 12)
    sort_by = request.query_params.get("sort_by", "media_name").lower()
    direction = request.query_params.get("sort_direction", "asc").lower()
    if sort_by not in _SORT or direction not in ("asc", "dsc"):
        raise bad_request(f"Invalid request parameters: sort_by must be one of {list(_SORT)} and "
                          f"sort_direction 'asc' or 'dsc', got '{sort_by}', '{direction}'.")
    if not (await request.body()).strip():
        raise ApiError(400, "missing_payload", "The request needs a JSON body with the filter; pass {} for all media.")
    rules = await read_json(request, "Media filter")
    matches = _matcher(rules)  # validates the filter even when SQL answers it
    where, order = translate(rules), order_by(sort_by, direction)
    with settings.db.read() as conn:
        totals = settings.db.media_counts(conn, dataset_id)
        if where is not None and order is not None:
            page, matched = _sql_page(conn, dataset_id, where, sort_by, direction, skip, limit)
        else:
            page, matched = _python_page(conn, dataset_id, matches, sort_by, direction, skip, limit,
                                         settings.data_dir)
        summary = annotation_summary(conn, [row["id"] for row in page])
    media = []
    for row in page:
        item = view_of(settings, project, row, summary)
        if row["kind"] == "image":
            item.update(annotation_scene_id=(summary.get(row["id"]) or {}).get("scene"), roi_id=None,
                        last_annotator_id=settings.username if row["id"] in summary else None)
        media.append(item)
    body = {
        "media": media,
        "total_matched_images": matched["images"],
        "total_matched_videos": matched["videos"],
        "total_matched_video_frames": matched["frames"],
        "total_images": totals.get("image", 0),
        "total_videos": totals.get("video", 0),
    }
    matched_count = matched["images"] + matched["videos"]
    if skip + len(page) < matched_count:  # only while more remain
        body["next_page"] = (f"{request.url.path}?limit={limit}&skip={skip + len(page)}&sort_by={sort_by}"
                             f"&sort_direction={direction}")
    return body


@router.post(DATASET + "/media/videos/{video_id}:query")
async def query_video_frames(request: Request, organization_id: str, workspace_id: str, project_id: str,
                             dataset_id: str, video_id: str) -> dict:
    """The annotated frames of one video (what Geti answers for an empty filter), paged by
    ``limit``/``skip``; ``include_frame_details`` (default true) adds one item per frame."""
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    video = load_media(settings, dataset_id, "video", video_id)
    limit = _int_param(request, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    skip = _int_param(request, "skip", 0, 0, 10 ** 12)
    details = request.query_params.get("include_frame_details", "true").lower() != "false"
    if (await request.body()).strip() and await read_json(request, "Frame filter") != {}:
        raise _invalid("This server filters video frames only with {} (the annotated frames).")
    with settings.db.read() as conn:
        rows = conn.execute("SELECT frame_index, json_extract(doc, '$.id') AS scene, annotated_tasks FROM annotations "
                            "WHERE media_id=? AND frame_index>=0 AND json_array_length(doc, '$.annotations')>0 "
                            "ORDER BY frame_index", (video_id,)).fetchall()
    page = rows[skip:skip + limit]
    view = media_view(settings, project, video, set())
    body: dict = {"video_frame_indices": [r["frame_index"] for r in page],
                  "total_matched_video_frames": len(rows), "video_information": view["media_information"]}
    if details:
        base = view["media_information"]["display_url"].rsplit("/display/", 1)[0]
        tasks = trainable_tasks(project)
        body["video_frames"] = [{
            "video_id": video_id, "frame_index": r["frame_index"], "name": f"{video['name']}_{r['frame_index']}",
            "type": "video_frame", "upload_time": video["upload_time"], "annotation_scene_id": r["scene"],
            "annotation_state_per_task": [{"task_id": t["id"], "state": "annotated" if t["id"] in annotated
                                           else "none"} for t in tasks],
            "media_information": {"display_url": f"{base}/frames/{r['frame_index']}/display/full",
                                  "width": video["width"], "height": video["height"]},
            "thumbnail": f"{base}/frames/{r['frame_index']}/display/thumb"}
            for r in page for annotated in [set(json.loads(r["annotated_tasks"]))]]
    if skip + len(page) < len(rows):
        body["next_page"] = f"{request.url.path}?limit={limit}&skip={skip + len(page)}"
    return body


def _sql_page(conn: sqlite3.Connection, dataset_id: str, where: tuple[str, list], sort_by: str, direction: str,
              skip: int, limit: int) -> tuple[list[sqlite3.Row], dict[str, int]]:
    """The page and the matched totals, filtered, sorted and paged by SQLite through the media indexes."""
    clause, values = where
    # ids first (the sort indexes hold them, so skipped rows are never read), then the page's rows
    ids = page_ids(conn, dataset_id, where, sort_by, direction, skip, limit)
    marks = ",".join("?" * len(ids))
    rows = {row["id"]: row for row in conn.execute(f"SELECT * FROM media WHERE id IN ({marks})", ids)}
    page = [rows[i] for i in ids]
    counts = {row[0]: (row[1], row[2] or 0) for row in conn.execute(
        f"SELECT kind, COUNT(*), SUM(frame_count) FROM media WHERE dataset_id=? AND {clause} GROUP BY kind",
        (dataset_id, *values))} if clause != "1" else {}
    if clause == "1":  # no filter: the kept counts (frames are only summed when videos exist)
        kept = Database.media_counts(conn, dataset_id)
        frames = conn.execute("SELECT SUM(frame_count) FROM media WHERE dataset_id=? AND kind='video'",
                              (dataset_id,)).fetchone()[0] if kept.get("video") else 0
        counts = {"image": (kept.get("image", 0), 0), "video": (kept.get("video", 0), frames or 0)}
    images, videos = counts.get("image", (0, 0)), counts.get("video", (0, 0))
    return page, {"images": images[0], "videos": videos[0], "frames": videos[1]}


def _python_page(conn: sqlite3.Connection, dataset_id: str, matches: Matcher, sort_by: str, direction: str, skip: int,
                 limit: int, data_dir: Path) -> tuple[list[sqlite3.Row], dict[str, int]]:
    """The page and the matched totals for filters SQL cannot answer (e.g. ``media_size``): every row of
    the dataset is looked at."""
    rows = conn.execute("SELECT * FROM media WHERE dataset_id=? ORDER BY id", (dataset_id,)).fetchall()
    summary = annotation_summary(conn, [row["id"] for row in rows])
    facts = {row["id"]: _facts(row, summary, data_dir) for row in rows}
    matched = [row for row in rows if matches(facts[row["id"]])]
    matched.sort(key=lambda r: (facts[r["id"]][sort_by], r["id"]), reverse=direction == "dsc")
    return matched[skip:skip + limit], {
        "images": sum(1 for r in matched if r["kind"] == "image"),
        "videos": sum(1 for r in matched if r["kind"] == "video"),
        "frames": sum(r["frame_count"] for r in matched if r["kind"] == "video")}
