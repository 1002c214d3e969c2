"""The Geti 2.x JSON of stored projects, datasets, media items and annotation scenes.

Only keys geti-sdk 2.13 accepts are emitted (it refuses unknown keys in labels, datasets,
``performance``, ``preprocessing``, ``annotation_state_per_task``, scenes, annotations and scored
labels), and every label carries ``is_empty``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sc_importers.server.geti.common import media_url, project_url
from sc_importers.server.geti.shapes import to_pixels
from sc_importers.server.project_builder import ANOMALY_TYPES, trainable_tasks
from sc_importers.server.settings import ServerSettings
from sc_importers.server.storage import MediaRow, media_path

#: Task types whose annotations cover the whole media item (one full-image rectangle).
GLOBAL_TYPES = frozenset({"classification", *ANOMALY_TYPES})


def task_type_view(task_type: str) -> str:
    """Geti 2.x reports every anomaly task as ``anomaly`` (the store keeps SC's anomaly_* types)."""
    return "anomaly" if task_type in ANOMALY_TYPES else task_type


def label_view(task: dict, label: dict) -> dict:
    return {"id": label["id"], "name": label["name"], "color": label["color"].lower(), "group": label["group"],
            "hotkey": label.get("hotkey") or "", "parent_id": label.get("parent_id"),
            "is_empty": bool(label.get("is_empty")),
            "is_anomalous": task["task_type"] in ANOMALY_TYPES and label["name"] == "Anomalous"}


def id_time(ident: str) -> str:
    """The creation time an ObjectId-style id carries (its first 8 hex digits are epoch seconds)."""
    return datetime.fromtimestamp(int(ident[:8], 16), timezone.utc).isoformat()


def dataset_view(project: dict, index: int) -> dict:
    """A dataset: exactly ``id, name, use_for_training, creation_time``. The first dataset is the
    training dataset and was created with the project; later ones carry their creation in their id."""
    dataset = project["datasets"][index]
    created = project["creation_time"] if index == 0 else id_time(dataset["id"])
    return {"id": dataset["id"], "name": dataset["name"], "use_for_training": index == 0, "creation_time": created}


def datasets_view(project: dict) -> list[dict]:
    return [dataset_view(project, i) for i in range(len(project["datasets"]))]


def _task_view(task: dict) -> dict:
    view = {"id": task["id"], "title": task["title"], "task_type": task_type_view(task["task_type"])}
    if "labels" in task:
        view["label_schema_id"] = task["label_schema_id"]
        view["labels"] = [label_view(task, label) for label in task["labels"]]
    return view


def project_view(settings: ServerSettings, project: dict, with_datasets: bool = True) -> dict:
    """The project as ``GET P`` answers it (list items leave ``datasets`` out, as Geti does)."""
    view = {
        "id": project["id"], "name": project["name"], "creation_time": project["creation_time"],
        "creator_id": settings.username,
        "thumbnail": f"{project_url(settings, project['id'])}/thumbnail",
        "performance": {"score": None, "task_performances": [{"task_id": t["id"], "score": None}
                                                             for t in trainable_tasks(project)]},
        "storage_info": {},
        "pipeline": {"tasks": [_task_view(t) for t in project["pipeline"]["tasks"]],
                     "connections": [{"from": c["from"], "to": c["to"]} for c in project["pipeline"]["connections"]]},
    }
    if with_datasets:
        view["datasets"] = datasets_view(project)
    return view


def media_view(settings: ServerSettings, project: dict, row: MediaRow, annotated: set[str],
               annotated_frames: int = 0) -> dict:
    """An image or video as Geti 2.x describes it; ``annotated`` are the task ids its annotations cover."""
    base = media_url(settings, row["project_id"], row["dataset_id"], row["kind"], row["id"])
    path = media_path(settings.data_dir, row)
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        size = 0
    info: dict = {"display_url": f"{base}/display/full", "width": row["width"], "height": row["height"],
                  "size": size, "extension": path.suffix}
    tasks = trainable_tasks(project)
    view: dict = {"id": row["id"], "name": row["name"], "type": row["kind"], "upload_time": row["upload_time"],
                  "uploader_id": settings.username}
    if row["kind"] == "video":
        fps = row["fps"]
        info.update(display_url=f"{base}/display/stream", frame_count=row["frame_count"], frame_rate=fps,
                    frame_stride=max(1, int(fps)), duration=int(row["frame_count"] // fps) if fps else 0)
        view["annotation_state_per_task"] = [{"task_id": t["id"], "state": None} for t in tasks]
        view["annotation_statistics"] = {"annotated": annotated_frames, "partially_annotated": 0,
                                         "unannotated": max(0, row["frame_count"] - annotated_frames)}
    else:
        view["annotation_state_per_task"] = [{"task_id": t["id"], "state": "annotated" if t["id"] in annotated
                                              else "none"} for t in tasks]
    view.update(media_information=info, thumbnail=f"{base}/display/thumb", preprocessing={"status": "FINISHED"})
    return view


def scene_view(settings: ServerSettings, project: dict, scene: dict, annotated: set[str], width: int, height: int,
               label_only: bool = False) -> dict:
    """A stored annotation scene in Geti's form: pixel shapes, labels as ``id, probability, source``."""
    known = {label["id"] for task in trainable_tasks(project) for label in task["labels"]}
    source = {"user_id": settings.username, "model_id": None, "model_storage_id": None}
    annotations = []
    for ann in scene["annotations"]:
        labels = [{"id": lb["id"], "probability": lb["probability"], "source": dict(source)}
                  for lb in ann["labels"] if lb["id"] in known]  # labels deleted since are left out
        item = {"id": ann["id"], "modified": ann["modified"], "labels": labels,
                "labels_to_revisit": list(ann.get("labels_to_revisit", []))}
        if not label_only:
            item["shape"] = to_pixels(ann["shape"], width, height)
        annotations.append(item)
    return {"id": scene["id"], "kind": "annotation", "modified": scene["modified"],
            "media_identifier": scene["media_identifier"],
            "labels_to_revisit_full_scene": list(scene.get("labels_to_revisit_full_scene", [])),
            "annotation_state_per_task": [{"task_id": t["id"], "state": "annotated" if t["id"] in annotated
                                           else "none"} for t in trainable_tasks(project)],
            "annotations": annotations}
