"""``sc verify``: compare backup folders with the projects they were taken from (``sc-export --verify``).

    sc verify backups/Dogs                     # with the project named in its project.json
    sc verify backups/Dogs --project "Dogs 2"  # with another project
    sc verify backups/Dogs backups/Cats        # several folders, one login
    sc verify --all backups/                   # every backup folder directly under backups/

Exit codes: 0 every folder is identical to its project, 1 some differ, 2 a folder or project could not be
compared (not a backup, no such project, login refused), 4 no differences but a folder has no
``manifest.json`` (another tool's folder, or an unfinished sc-export: never called identical); with
``--json`` one result per folder, an error as ``{"folder", "error", "exit_code"}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sc_importers.cli.export_cmd import Refused, _connect, _open_viewer
from sc_importers.cli.options import connection_params, resolve_connection
from sc_importers.export.download import MANIFEST
from sc_importers.export.files import JOURNAL_NAME
from sc_importers.export.verify import verify_project
from sc_importers.rest.base import ServerAPI, ServerError
from sc_importers.viewer_link import viewer_url

#: Nothing differs, but the folder has no manifest (never called identical).
EXIT_NO_MANIFEST = 4
#: Exit codes of single folders from the mildest to the most severe: 4 ("no differences, but no
#: manifest") is milder than 1 (differences), which is milder than 2 (not comparable).
_SEVERITY = (0, EXIT_NO_MANIFEST, 1, 2)


def overall_exit_code(codes: list[int]) -> int:
    """The exit code of several folders: the most severe one (any other code, 3 or 130, wins)."""
    return max(codes, key=lambda code: _SEVERITY.index(code) if code in _SEVERITY else len(_SEVERITY) + code)


def compare(api: ServerAPI, folder: Path, project_name: str | None, workers: int, host: str) -> dict:
    """The comparison of ``folder`` with its project, as the JSON ``--verify`` prints (plus ``project_id``)."""
    if not (folder / "project.json").is_file():
        raise Refused(f"{folder}: not a backup folder (no project.json)")
    try:
        saved = json.loads((folder / "project.json").read_text(encoding="utf-8"))
        project_name = project_name or saved["name"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{folder / 'project.json'}: not a project description ({exc})") from exc
    try:
        project = api.find_project(project_name)
        if project is None:
            names = sorted(p.name for p in api.list_projects())
            raise Refused(f"no project named {project_name!r} on the server; projects there: "
                                f"{', '.join(map(repr, names)) or '(none)'}")
        verification = verify_project(api, project, folder, workers=workers)
    except ServerError as exc:
        raise Refused(f"server error: {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{folder}: malformed backup file ({type(exc).__name__}: {exc})") from exc
    link = viewer_url(host, project.id)  # only for a local sc-server
    diffs, stated = verification.differences, verification.not_comparable
    has_manifest = (folder / MANIFEST).is_file()
    note = _completeness_note(folder, has_manifest)
    return {"folder": str(folder), "project": project_name, "identical": not diffs and has_manifest,
            "differences": diffs, "not_comparable": stated, "mappings": verification.mappings,
            "manifest": has_manifest, **({"note": note} if note else {}),
            **({"viewer_url": link} if link else {}), "project_id": project.id}


def exit_code(result: dict) -> int:
    """0 identical, 1 differences, :data:`EXIT_NO_MANIFEST` nothing differs but there is no manifest."""
    return 1 if result["differences"] else 0 if result["manifest"] else EXIT_NO_MANIFEST


def _completeness_note(folder: Path, has_manifest: bool) -> str | None:
    """What --verify says about a folder's manifest and journal, beyond the differences."""
    interrupted = (folder / JOURNAL_NAME).exists()
    if not has_manifest and interrupted:
        return (f"{folder} has no manifest.json: an sc export into it was interrupted ({JOURNAL_NAME} is its "
                "journal); re-run sc export to finish it")
    if not has_manifest:
        return (f"{folder} has no manifest.json (written by another tool such as geti-sdk, or damaged): its "
                "files' completeness and checksums cannot be checked against a manifest")
    if interrupted:
        return (f"an sc export re-run into {folder} was interrupted ({JOURNAL_NAME} is its journal); the "
                "comparison uses the manifest of the last complete backup. Re-run sc export to finish it")
    return None


def render(result: dict) -> str:
    """The comparison for people."""
    folder, name, diffs, stated = result["folder"], result["project"], result["differences"], result["not_comparable"]
    mappings = result.get("mappings") or []
    if diffs:
        lines = [f"{folder} and project {name!r} differ in {len(diffs)} place(s):", *(f"  {d}" for d in diffs)]
    elif result.get("manifest", True):
        modulo = f" modulo {len(mappings)} stated mapping(s)" if mappings else ""
        both = " on everything both dialects hold" if stated else ""
        lines = [f"{folder} and project {name!r} are identical{modulo}{both}"]
    else:
        lines = [f"{folder}: no differences from project {name!r} found, but the folder is not a complete backup "
                 f"(exit code {EXIT_NO_MANIFEST}):"]
    if result.get("note"):
        lines.append(f"  note: {result['note']}")
    lines += [f"mapped: {mapping}" for mapping in mappings]
    if stated:
        lines.append(f"Not comparable ({len(stated)}: differences of the two servers' dialects, not of the data):")
        lines += [f"  {line}" for line in stated]
    if result.get("viewer_url"):
        lines.append(f"View it in a browser: {result['viewer_url']}")
    return "\n".join(lines)


def verify_one(api: ServerAPI, folder: Path, project_name: str | None, json_output: bool, workers: int, host: str,
               open_viewer: bool) -> int:
    """``sc-export --verify FOLDER [NAME]``: compare, print, return the exit code (:func:`exit_code`)."""
    result = compare(api, folder, project_name, workers, host)
    project_id = result.pop("project_id")
    click.echo(json.dumps(result, indent=2) if json_output else render(result))
    if open_viewer:
        _open_viewer(host, project_id)
    return exit_code(result)


def backup_folders(parent: Path) -> list[Path]:
    """``--all PARENT``: PARENT itself when it is a backup, else every folder directly under it that is."""
    if (parent / "project.json").is_file():
        return [parent]
    return sorted(p.parent for p in parent.glob("*/project.json") if not p.parent.name.startswith("."))


@click.command("verify", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--all", "parent", metavar="PARENT", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Verify every backup folder directly under PARENT.")
@click.option("--project", "project_name", metavar="NAME",
              help="Compare with this project instead of the one named in project.json (one folder only).")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Parallel downloads (env SC_VERIFY_WORKERS).")
@click.option("--json", "json_output", is_flag=True, help="Print one JSON result per folder (a list).")
@click.option("--open", "open_viewer", is_flag=True, help="Open the verified projects in the local sc-server viewer.")
@connection_params
def command(folders: tuple[Path, ...], parent: Path | None, project_name: str | None, workers: int,
            json_output: bool, open_viewer: bool, **connection: object) -> None:
    """Compare backup folders with the projects on the server (0 identical, 1 differences, 2 not comparable,
    4 no differences but no manifest.json: an unfinished or another tool's backup)."""
    chosen = list(folders) + (backup_folders(parent) if parent is not None else [])
    if not chosen:
        raise click.UsageError("name backup folders, or --all PARENT" if parent is None
                               else f"{parent}: --all given but no backup folder (with project.json) is under it")
    if project_name and len(chosen) > 1:
        raise click.UsageError("--project names the project of one folder; several folders were given")
    conn = resolve_connection(connection)
    api = _connect(conn, workers)
    results, codes = [], []
    for folder in chosen:
        try:
            result = compare(api, folder, project_name, workers, conn.host)
        except click.ClickException as exc:
            results.append({"folder": str(folder), "error": exc.format_message(), "exit_code": exc.exit_code})
            codes.append(exc.exit_code)
            if not json_output:
                click.echo(f"Error: {exc.format_message()}", err=True)
            continue
        project_id = result.pop("project_id")
        results.append(result)
        codes.append(exit_code(result))
        if not json_output:
            click.echo(render(result))
        if open_viewer:
            _open_viewer(conn.host, project_id)
    if json_output:
        click.echo(json.dumps(results, indent=2))
    sys.exit(overall_exit_code(codes))
