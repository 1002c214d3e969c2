"""The Geti dialect's choice of configuration API against a stand-in Geti gateway (a few canned
answers over a real socket): a 2.13 server whose ``project_configuration`` is switched off (403
``feature_not_available``, as Geti answers without its feature flag) is configured through the legacy
API, with no new login; a server with neither API gets one clear error."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from sc_importers.rest import ServerError, connect

ORG, WS, PROJECT, TASK = "org-1", "ws-1", "p" * 24, "t" * 24
W = f"/api/v1/organizations/{ORG}/workspaces/{WS}"
LEGACY = {"task_id": TASK, "components": [
    {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE", "task_id": TASK},
     "parameters": [{"name": "auto_training", "value": True}]},
    {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters",
                           "model_storage_id": "ms"},
     "parameters": [{"name": "num_iters", "value": 100}]}]}


MODERN = {"task_configs": [{"task_id": TASK, "training": {"constraints": [{"key": "min_images_per_label", "value": 0}]},
                            "auto_training": [{"key": "enable", "value": False},
                                              {"key": "enable_dynamic_required_annotations", "value": True},
                                              {"key": "min_images_per_label", "value": 12}]}]}
MODERN_TRAINING = {"task_id": TASK, "training": [{"key": "max_epochs", "value": 30}]}


class FakeGeti:
    def __init__(self, legacy: bool = True, modern_status: int = 403):
        self.posts: list[tuple[str, dict]] = []
        self.logins = 0
        routes = {
            "/api/v1/product_info": {"product-version": "2.13.0"},
            "/api/v1/personal_access_tokens/organization": {"organizationId": ORG},
            f"/api/v1/organizations/{ORG}/workspaces": {"workspaces": [{"id": WS, "name": "Default"}]},
            f"{W}/projects/{PROJECT}": {
                "id": PROJECT, "name": "P", "datasets": [{"id": "d", "name": "Dataset", "use_for_training": True}],
                "pipeline": {"tasks": [{"id": "t0", "title": "Dataset", "task_type": "dataset"},
                                       {"id": TASK, "title": "Detection", "task_type": "detection", "labels": []}]}},
        }
        if legacy:
            routes[f"{W}/projects/{PROJECT}/configuration"] = {"global": [], "task_chain": [LEGACY]}
            routes[f"{W}/projects/{PROJECT}/configuration/task_chain/{TASK}"] = LEGACY
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path.endswith("/personal_access_tokens/organization"):
                    fake.logins += 1
                if path.endswith(("/project_configuration", "/training_configuration")) and modern_status == 200:
                    self._answer(200, MODERN_TRAINING if path.endswith("/training_configuration") else MODERN)
                elif path.endswith(("/project_configuration", "/training_configuration")):
                    self._answer(modern_status, {"error_code": "feature_not_available", "http_status": modern_status,
                                                 "message": "The feature is not available."})
                elif path in routes:
                    self._answer(200, routes[path])
                else:
                    self._answer(404, {"error_code": "not_found", "message": "no such route", "http_status": 404})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.posts.append((self.path, body))
                if self.path.split("?")[0].endswith("/media:query"):
                    self._answer(200, {"media": [], "total_matched_images": 0, "total_matched_videos": 0})
                else:
                    self._answer(200, {"result": "success"})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_geti(request):
    fake = FakeGeti(**getattr(request, "param", {}))
    yield fake
    fake.close()


def test_switched_off_project_configuration_falls_back_to_the_legacy_api(fake_geti):
    api = connect(fake_geti.url, api_key="geti_pat_x", api="geti")
    project = api.get_project(PROJECT)
    (task,) = project.trainable_tasks
    assert api.get_iterations(project, task) == 100 and api.get_auto_training(project, task) is True
    api.set_iterations(project, task, 7)
    path, body = fake_geti.posts[-1]
    assert path == f"{W}/projects/{PROJECT}/configuration/task_chain/{TASK}"
    assert body == {"components": [{"entity_identifier": LEGACY["components"][1]["entity_identifier"],
                                    "parameters": [{"name": "num_iters", "value": 7}]}]}
    assert fake_geti.logins == 1, "a 403 of a switched-off feature is no reason to log in again"
    api.close()


@pytest.mark.parametrize("fake_geti", [{"legacy": False, "modern_status": 404}], indirect=True)
def test_no_configuration_api_at_all_is_one_clear_error(fake_geti):
    api = connect(fake_geti.url, api_key="geti_pat_x", api="geti")
    project = api.get_project(PROJECT)
    with pytest.raises(ServerError, match="no configuration API this client knows"):
        api.get_settings(project)
    api.close()


@pytest.mark.parametrize("fake_geti", [{"legacy": False, "modern_status": 200}], indirect=True)
def test_a_backup_of_a_server_without_the_legacy_configuration_api(fake_geti, tmp_path):
    """Geti 2.12+ may have no legacy ``GET /configuration``: sc-export reads the settings through
    ``project_configuration`` / ``training_configuration`` only, and the backup holds them."""
    from sc_importers.export.download import download_project

    api = connect(fake_geti.url, api_key="geti_pat_x", api="geti")
    project = api.get_project(PROJECT)
    report = download_project(api, project, tmp_path / "backup")
    api.close()
    assert report.ok and (tmp_path / "backup" / "manifest.json").is_file()
    settings = json.loads((tmp_path / "backup" / "settings.json").read_text())
    assert settings["tasks"][0]["parameters"] == {"training.min_images_per_label": 0, "auto_training": False,
                                                  "dynamic_required_annotations": True, "min_images_per_label": 12,
                                                  "iterations": 30}
    assert not (tmp_path / "backup" / "configuration.json").exists()
