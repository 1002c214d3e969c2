"""``sc projects list|show|delete``: what is on the server, without asking sc-export for a missing project.

    sc projects list [--json]
    sc projects show "Dogs" [--json] [--open]      # --open: the project's page in a local sc-server's viewer
    sc projects delete "Dogs" "Cats" [--yes]       # asks first unless --yes

Exit codes: 0 done, 1 some deletions failed, 2 refused before anything changed (no such project, not
confirmed, login refused), 3 the server was lost part-way.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from sc_importers.cli.export_cmd import Lost, Refused, _connect, _open_viewer
from sc_importers.cli.options import connection_params, resolve_connection
from sc_importers.rest.base import ConnectionLost, RemoteProject, ServerAPI, ServerError
from sc_importers.viewer_link import viewer_url

P = ParamSpec("P")
T = TypeVar("T")

CONTEXT = {"help_option_names": ["-h", "--help"]}


def describe(project: RemoteProject) -> dict:
    """The neutral description of a project that ``--json`` prints."""
    return {"id": project.id, "name": project.name,
            "tasks": [{"title": t.title, "type": t.task_type,
                       "labels": [{"name": lb.name, "color": lb.color, "empty": lb.is_empty,
                                   **({"parent": lb.parent_id} if lb.parent_id else {})} for lb in t.labels]}
                      for t in project.trainable_tasks]}


def pipeline(project: RemoteProject) -> str:
    """``detection -> segmentation``: the trainable task types in order."""
    return " -> ".join(t.task_type for t in project.trainable_tasks) or "(no trainable task)"


def _api(connection: dict) -> tuple[ServerAPI, str]:
    conn = resolve_connection(connection)
    return _connect(conn, 4), conn.host


def _named(api: ServerAPI, names: tuple[str, ...]) -> list[RemoteProject]:
    """The projects called ``names`` (one listing), or Refused naming the missing ones and those there."""
    projects = {p.name: p for p in api.list_projects()}
    missing = [n for n in names if n not in projects]
    if missing:
        raise Refused(f"no project named {', '.join(map(repr, missing))} on the server; projects there: "
                      f"{', '.join(map(repr, sorted(projects))) or '(none)'}")
    return [projects[n] for n in names]


def _server_errors(function: Callable[P, T]) -> Callable[P, T]:
    """Server errors as one line: exit 3 for a lost server, else 2 (a listing changes nothing)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except ConnectionLost as exc:
            raise Lost(f"lost the server: {exc}") from None
        except ServerError as exc:
            raise Refused(f"server error: {exc}") from None
    return wrapper


@click.group("projects", context_settings=CONTEXT)
def group() -> None:
    """List, show and delete the projects of a server."""


@group.command("list", context_settings=CONTEXT)
@click.option("--json", "json_output", is_flag=True, help="Print a JSON list of projects.")
@connection_params
@_server_errors
def list_command(json_output: bool, **connection: object) -> None:
    """List the projects: name, pipeline, id."""
    api, _ = _api(connection)
    projects = sorted(api.list_projects(), key=lambda p: p.name)
    if json_output:
        click.echo(json.dumps([describe(p) for p in projects], indent=2))
    elif not projects:
        click.echo("(no projects)")
    else:
        width = max(len(p.name) for p in projects)
        for p in projects:
            click.echo(f"{p.name:<{width}}  {pipeline(p):<40}  {p.id}")


@group.command("show", context_settings=CONTEXT)
@click.argument("name")
@click.option("--json", "json_output", is_flag=True, help="Print the project as JSON.")
@click.option("--open", "open_viewer", is_flag=True,
              help="Open the project in the web viewer of a local sc-server, in your browser.")
@connection_params
@_server_errors
def show_command(name: str, json_output: bool, open_viewer: bool, **connection: object) -> None:
    """Show one project: tasks, labels, media counts and (for a local sc-server) its viewer address."""
    api, host = _api(connection)
    (project,) = _named(api, (name,))
    shown = describe(project)
    shown["media"] = {kind: sum(1 for _ in api.list_media(project, kind)) for kind in ("image", "video")}
    link = viewer_url(host, project.id)
    if link:
        shown["viewer_url"] = link
    if json_output:
        click.echo(json.dumps(shown, indent=2))
    else:
        click.echo(f"{project.name}  (id {project.id})")
        click.echo(f"  media: {shown['media']['image']} images, {shown['media']['video']} videos")
        for task in project.trainable_tasks:
            labels = ", ".join(lb.name + (" (empty)" if lb.is_empty else "") for lb in task.labels)
            click.echo(f"  {task.title} ({task.task_type}): {labels}")
        if link:
            click.echo(f"  viewer: {link}")
    if open_viewer:
        _open_viewer(host, project.id)


@group.command("delete", context_settings=CONTEXT)
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask; needed when there is no terminal to ask on.")
@click.option("--json", "json_output", is_flag=True, help="Print what was deleted as JSON.")
@connection_params
@_server_errors
def delete_command(names: tuple[str, ...], yes: bool, json_output: bool, **connection: object) -> None:
    """Delete projects and everything in them (media, annotations) from the server. Asks first."""
    api, _ = _api(connection)
    projects = _named(api, names)
    if not yes:
        if not sys.stdin.isatty():
            raise Refused("not deleting without confirmation: pass --yes (there is no terminal to ask on)")
        listed = ", ".join(repr(p.name) for p in projects)
        if not click.confirm(f"Delete {listed} and all their media and annotations from the server?", err=True):
            raise Refused("nothing deleted")
    results = []
    for project in projects:
        try:
            api.delete_project(project)
        except ConnectionLost:
            raise
        except ServerError as exc:
            results.append({"project": project.name, "id": project.id, "deleted": False, "error": str(exc)})
        else:
            results.append({"project": project.name, "id": project.id, "deleted": True})
    if json_output:
        click.echo(json.dumps(results, indent=2))
    else:
        for r in results:
            click.echo(f"deleted {r['project']!r}" if r["deleted"]
                       else f"could not delete {r['project']!r}: {r['error']}")
    sys.exit(0 if all(r["deleted"] for r in results) else 1)
