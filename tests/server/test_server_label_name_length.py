"""Label names over 1000 characters (Geti 2.x's maxLength for every JSON string; sc-server applies
the same to SC 1.0, whose limit is unrecorded): 400 naming the label by its first characters, and
nothing created or changed. 1000 characters are accepted."""

from __future__ import annotations

import uuid

LONG = "d" * 1001


def _assert_short_refusal(answer) -> None:
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert "d" * 40 in message and "1001 characters" in message and LONG not in message, message


def _sc_body(name: str, labels: list[dict]) -> dict:
    return {"name": name, "pipeline": {"connections": [{"from": "Dataset", "to": "Detection task"}],
                                       "tasks": [{"title": "Dataset", "task_type": "dataset"},
                                                 {"title": "Detection task", "task_type": "detection",
                                                  "labels": labels}]}}


def test_sc_dialect_refuses_a_label_name_over_1000(api) -> None:
    name = f"long-{uuid.uuid4().hex[:8]}"
    answer = api.session.post(f"{api.ws}/projects", json=_sc_body(name, [{"name": LONG}]), timeout=30)
    _assert_short_refusal(answer)
    listed = api.session.get(f"{api.ws}/projects", timeout=30).json()["items"]
    assert name not in {p["name"] for p in listed}
    api.create_project("detection", labels=[{"name": "d" * 1000}])


def test_geti_dialect_refuses_a_label_name_over_1000_on_create_and_put(geti) -> None:
    name = f"long-{uuid.uuid4().hex[:8]}"
    body = _sc_body(name, [{"name": LONG, "group": "g"}])
    _assert_short_refusal(geti.session.post(f"{geti.ws}/projects", json=body, timeout=30))
    project = geti.create_project("detection", labels=[{"name": "d" * 1000, "group": "g"}])
    url = f"{geti.ws}/projects/{project['id']}"
    put = {k: v for k, v in project.items() if k != "storage_info"}
    put["pipeline"]["tasks"][1]["labels"].append({"name": LONG, "group": "g"})
    _assert_short_refusal(geti.session.put(url, json=put, timeout=30))
    labels = geti.session.get(url, timeout=30).json()["pipeline"]["tasks"][1]["labels"]
    assert LONG not in {lb["name"] for lb in labels}
