"""``sc-export``: back up projects from a server into folders, or verify a backup against a server.

    sc-export "My project" "Other project" --target-folder backups/
    sc-export --all --target-folder backups/
    sc-export --verify backups/My_project "My project"

A backup is restored with ``sc-import FOLDER --format backup [--project-name NEW]`` (or
``sc-import DIR --format backup --all``). Exit codes: 0 when everything asked for was written
(or, with ``--verify``, the folder is a complete backup, with its manifest, identical to the
project); 1 otherwise (with ``--verify``: differences found); 2 refused before anything was written
(usage errors, login refused, no such project, a folder that cannot be compared); 3 when the server
was lost part-way (no answer within ``--retries``/``--retry-max-seconds``): a re-run resumes; 4 only
with ``--verify``: no differences found, but the folder has no ``manifest.json`` (a folder of another
tool such as geti-sdk, or an sc-export that did not finish), so it is not called identical.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sc_importers import __version__
from sc_importers.cli import EXIT_INTERRUPTED, run_command
from sc_importers.cli.options import ConnectionOptions, connection_params, resolve_connection
from sc_importers.export.download import DownloadReport, ExportInterrupted, ProjectNotFound, download_projects
from sc_importers.rest.base import ConnectionLost, ServerAPI, ServerError
from sc_importers.rest.session import shown_host
from sc_importers.terminal import progress_wanted
from sc_importers.viewer_link import open_in_browser, viewer_url


class Refused(click.ClickException):
    """Refused before anything changed (login refused, no such project): exit 2, as in the exit-code
    table of ``sc`` (sc_importers/cli/sc.py)."""

    exit_code = 2


class Lost(click.ClickException):
    """The server stopped answering part-way (no answer within the retry policy): exit 3; a re-run resumes."""

    exit_code = 3


def _connect(connection: ConnectionOptions, workers: int) -> ServerAPI:
    """The logged-in API, or a one-line error (exit 2) naming the host and what happened when that is
    not possible: a malformed address, a host that cannot be reached, a certificate that is not trusted,
    credentials refused, a server of unknown dialect (:func:`sc_importers.rest.connect.connect_failure`)."""
    import requests

    from sc_importers.rest.connect import connect, connect_failure

    try:
        return connect(connection.host, connection.username, connection.password,
                       verify=connection.verify, workers=workers, retry=connection.retry_policy(),
                       **connection.dialect_options)
    except (ServerError, ValueError, requests.RequestException) as exc:
        raise Refused(connect_failure(connection.host, exc)) from None


def _open_viewer(host: str, project_id: str | None) -> None:
    """``--open``: the project's page in the viewer of a local sc-server, in the user's browser."""
    link = viewer_url(host, project_id)
    if link is None:
        click.echo(f"--open: {shown_host(host)} is not a local sc-server; it has no viewer to open", err=True)
    elif not open_in_browser(link):
        click.echo(f"--open: no browser could be started; open {link} yourself", err=True)


def _verify(api: ServerAPI, folder: Path, project_name: str | None, json_output: bool, workers: int, host: str,
            open_viewer: bool) -> int:
    from sc_importers.cli.verify_cmd import verify_one  # sc verify's comparison (several folders there)

    return verify_one(api, folder, project_name, json_output, workers, host, open_viewer)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sc-export")
@click.argument("project_names", nargs=-1)
@click.option("--all", "export_all", is_flag=True, help="Back up every project of the server.")
@click.option("--target-folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write one sub-folder per project into.")
@click.option("--verify", "verify_folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Compare this backup folder with the project (named, or the one it was taken from).")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True, help="Parallel downloads.")
@click.option("--json", "json_output", is_flag=True, help="Print machine-readable JSON.")
@click.option("--open", "open_viewer", is_flag=True,
              help="Then open the project(s) in the web viewer of a local sc-server, in your browser.")
@click.option("--chain-task", type=click.Choice(["detection", "classification", "segmentation"]),
              help="--verify against Geti 3: the --chain-task the backup was imported with.")
@click.option("--rotated-as", type=click.Choice(["polygon", "box"]),
              help="--verify against Geti 3: the --rotated-as the backup was imported with.")
@click.option("--anomaly-as", type=click.Choice(["classification"]),
              help="--verify against Geti 3: the --anomaly-as the backup was imported with.")
@connection_params
def command(project_names: tuple[str, ...], export_all: bool, target_folder: Path, verify_folder: Path | None,
            workers: int, json_output: bool, open_viewer: bool, **connection: object) -> None:
    """Back up SC projects (images, videos, annotations, labels, configuration) into folders."""
    if verify_folder is not None:
        if export_all or len(project_names) > 1:
            raise click.UsageError("--verify takes one folder and at most one project name")
        conn = resolve_connection(connection)
        api = _connect(conn, workers)
        sys.exit(_verify(api, verify_folder, project_names[0] if project_names else None, json_output, workers,
                         conn.host, open_viewer))
    if export_all == bool(project_names):
        raise click.UsageError("name the projects to back up, or pass --all (not both)")
    conn = resolve_connection(connection)
    api = _connect(conn, workers)
    try:  # after the login (a refused one leaves no empty folder behind), before anything is downloaded
        target_folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"cannot create --target-folder {target_folder}: {exc.strerror or exc}") from None
    try:
        reports = download_projects(api, None if export_all else list(project_names), target_folder, workers,
                                    show_progress=not json_output and progress_wanted())
    except ProjectNotFound as exc:
        raise Refused(str(exc)) from exc
    except ExportInterrupted as exc:
        sys.exit(_interrupted(exc.reports, json_output))
    except ConnectionLost as exc:
        raise Lost(f"lost the server: {exc}") from None
    except ServerError as exc:
        raise click.ClickException(f"server error: {exc}") from exc
    if json_output:
        click.echo(json.dumps(_summary(reports), indent=2))
    else:
        for r in reports:
            if "project" in r.failures:  # nothing of this project could be read or written
                click.echo(f"{r.project}: FAILED: {r.failures['project']}", err=True)
                continue
            state = "complete" if r.ok else f"INCOMPLETE ({len(r.failures)} media failed; re-run to resume)"
            click.echo(f"{r.project}: {state} -> {r.folder} ({r.media_downloaded} media downloaded, "
                       f"{r.media_kept} kept, {r.annotation_files} annotation files, "
                       f"{r.bytes_downloaded / 1e6:.1f} MB in {r.seconds:.1f} s)")
            for name, error in sorted(r.failures.items()):
                click.echo(f"  failed: {name}: {error}")
    if open_viewer:
        for r in reports:
            try:
                found = api.find_project(r.project)
            except ServerError as exc:
                click.echo(f"--open: cannot find project {r.project!r}: {exc}", err=True)
                continue
            if found is not None:
                _open_viewer(conn.host, found.id)
    refused_all = bool(reports) and all(r.refused for r in reports)  # nothing written at all: exit 2
    sys.exit(0 if all(r.ok for r in reports) else 3 if any(r.server_lost for r in reports)
             else 2 if refused_all else 1)


def _summary(reports: list[DownloadReport]) -> list[dict]:
    """One JSON record per project (``--json``)."""
    return [{"project": r.project, "folder": str(r.folder), "media_downloaded": r.media_downloaded,
             "media_kept": r.media_kept, "annotation_files": r.annotation_files, "bytes": r.bytes_downloaded,
             "seconds": round(r.seconds, 3), "failures": r.failures, "complete": r.ok} for r in reports]


def _interrupted(reports: list[DownloadReport], json_output: bool) -> int:
    """Ctrl-C: say what was written before it (the last report is the interrupted project) and that a re-run
    of the same command resumes safely; exit 130."""
    done, current = reports[:-1], reports[-1]
    message = (f"interrupted (Ctrl-C) while backing up {current.project!r} into {current.folder}: "
               f"{current.media_downloaded + current.media_kept} media written so far ({current.media_downloaded} "
               f"downloaded, {current.media_kept} kept from an earlier run), {current.annotation_files} annotation "
               "files; the folder has no manifest.json yet. Re-run the same command to resume: media already "
               "written are checked and kept, the rest is downloaded, nothing twice")
    if json_output:
        click.echo(json.dumps({"error": message, "exit_code": EXIT_INTERRUPTED, "interrupted": True,
                               "projects": [*_summary(done), {**_summary([current])[0], "complete": False}]},
                              indent=2))
    else:
        for r in done:
            click.echo(f"{r.project}: {'complete' if r.ok else 'INCOMPLETE'} -> {r.folder} "
                       f"({r.media_downloaded} media downloaded, {r.media_kept} kept, {r.annotation_files} "
                       "annotation files)")
    click.echo(f"Error: {message}", err=True)
    return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``sc export`` is the same command, with the same SC_EXPORT_... variables)."""
    from sc_importers.cli.sc import environment_names

    environment_names(command, "SC_EXPORT")
    run_command(command, argv, "sc-export")
