"""``sc-import``: read a dataset in any supported format, check it, and upload it as an SC project.

The command is built at run time (:func:`build_command`), after plugins are loaded, because every
reader's options become command-line options.

Exit codes of ``--dry-run``: 0 when the dataset can be imported as asked (items with errors are
listed and would be skipped), 1 when it cannot (no media or no labels left, a project type that
cannot be built from it, every item in error, an unreadable dataset), 2 for usage errors (unknown
format, type or option; a reader, or videos, whose install extra is missing). Without ``--dry-run`` a
dataset that cannot be read, or options that do not fit it, exit with 2 (nothing was created); the
upload itself is done by
:func:`sc_importers.uploader.run_import` (exit codes: :mod:`sc_importers.uploader.report`).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sc_importers import __version__, plugins
from sc_importers.cli import run_command
from sc_importers.cli.import_params import core_params
from sc_importers.cli.options import CONNECTION_KEYS, GETI3_KEYS, ConnectionOptions, UploadOptions, resolve_connection
from sc_importers.cli.reader_options import (
    ReaderOption,
    click_options,
    options_for,
    pop_reader_options,
    reader_option_table,
)
from sc_importers.cli.render import render_report
from sc_importers.cli.server_mapping import server_adaptation
from sc_importers.conversion_counts import ConversionCounts
from sc_importers.extras import MissingExtra, install_hint, missing
from sc_importers.formats import FormatError, FormatReader, choose_dataset
from sc_importers.item_summary import ItemSummary
from sc_importers.item_walk import WalkFailed
from sc_importers.labels import LabelError, apply_label_options, parse_label_list, parse_label_map
from sc_importers.model import Dataset, printable
from sc_importers.project_types.base import BuildError, BuildOptions, ProjectPlan, ProjectType
from sc_importers.sources import single_dataset_folder, unpacked
from sc_importers.validation import build_report, skipped_items, validate

if TYPE_CHECKING:
    from sc_importers.rest.base import ServerAPI


def missing_extra(reader: FormatReader) -> str | None:
    """The install extra ``reader`` needs and lacks (None: it can run)."""
    extra = getattr(reader, "extra", None)
    return extra if extra and missing(extra) else None


def list_formats(readers: dict[str, FormatReader]) -> str:
    """One line per reader: name, the plugin (entry point) that registered it, description; a reader whose
    install extra is missing says so first. A last line says when videos cannot be read (no [video])."""
    if not readers:
        return "no format readers are registered"
    lines = []
    for name, reader in readers.items():
        opts = ", ".join("--" + o.replace("_", "-") for o in [*(getattr(reader, "options", None) or {}),
                                                              *(getattr(reader, "flags", None) or {})])
        extra = missing_extra(reader)
        lacking = f"NOT INSTALLED: {install_hint(extra)}. " if extra else ""
        lines.append(f"{name}\t[plugin {plugins.plugin_of('format', name)}]\t{lacking}{reader.description}"
                     + (f" (options: {opts})" if opts else ""))
    if missing("video"):
        lines.append(f"(videos cannot be read without the [video] extra: {install_hint('video')})")
    return "\n".join(lines)


def list_types(types: dict[str, ProjectType]) -> str:
    """One line per project type: name, its trainable task types, description."""
    if not types:
        return "no project types are registered"
    return "\n".join(
        f"{name}\t{' -> '.join(t.task_types)}\t{t.description}" for name, t in sorted(types.items())
    )


@dataclass
class Request:
    """Everything the command line asked for, minus the source path."""

    format_name: str | None
    type_name: str | None
    build_options: BuildOptions
    reader_options: dict[str, str]
    dry_run: bool
    json_output: bool
    #: --all --json prints one compact report per line (JSON Lines) instead of one indented report.
    json_lines: bool = False
    #: --dry-run --html FILE: also write the report as a web page.
    html_report: Path | None = None


class ImportRefused(click.ClickException):
    """The dataset cannot be read, or the options do not fit it: nothing was created. Exit code 2
    for an import (as :mod:`sc_importers.uploader.report` says of refusals), 1 for a dry run
    (its "cannot be imported")."""

    exit_code = 2

    def __new__(cls, message: str, dry_run: bool) -> ImportRefused:
        # click declares exit_code a class variable (8.2+): the dry run's refusal is its own class
        return super().__new__(DryRunRefused if dry_run else cls, message)

    def __init__(self, message: str, dry_run: bool) -> None:
        super().__init__(message)


class DryRunRefused(ImportRefused):
    """:class:`ImportRefused` of a dry run: exit code 1."""

    exit_code = 1


#: A detected format at or above this confidence is taken as certain: no note about readers not installed.
_SURE = 0.9


def _pick_reader(source: Path, request: Request, readers: dict[str, FormatReader],
                 table: dict[str, ReaderOption]) -> tuple[FormatReader, dict[str, str], dict | None, Path]:
    """The reader, its options, the detection report (None with --format) and the folder to read."""
    if request.format_name is not None:
        if request.format_name not in readers:
            raise click.UsageError(
                f"unknown format {request.format_name!r}; available: {', '.join(readers) or '(none)'} "
                "(describe them with: sc formats)")
        reader, detection = readers[request.format_name], None
        inner = single_dataset_folder(source)
        if inner is not None and not reader.detect(source).confidence >= 0.5:
            click.echo(f"{source} holds one folder beside README/LICENSE-like files: reading {inner}", err=True)
            source = inner
    else:
        try:
            choice = choose_dataset(source, list(readers.values()))
        except FormatError as exc:
            raise ImportRefused(str(exc), request.dry_run) from exc
        for note in choice.notes:
            click.echo(note, err=True)
        source = choice.path or source
        reader = choice.reader
        verdicts: dict[str, dict[str, Any]] = {
            r.name: {"confidence": d.confidence, "reasons": d.reasons} for r, d in choice.verdicts}
        why = "; ".join(verdicts[reader.name]["reasons"]) or "no reason given"
        click.echo(f"{source}: detected format {reader.name} "
                   f"(confidence {verdicts[reader.name]['confidence']:.2f}: {why})", err=True)
        for other, det in choice.verdicts:
            if other is not reader:
                click.echo(f"  not {other.name}: confidence {det.confidence:.2f} "
                           f"({'; '.join(det.reasons) or 'no reason given'})", err=True)
        lacking = [r for r in readers.values() if missing_extra(r)]
        if lacking and verdicts[reader.name]["confidence"] < _SURE:  # a guess: a missing reader may know better
            for other in lacking:
                hint = install_hint(missing_extra(other) or "")
                click.echo(f"note: the {other.name} reader is not installed ({hint}); if this dataset is in a "
                           "format only it reads, install it and run again", err=True)
        detection = {"chosen": reader.name, "verdicts": verdicts, "path": str(source), "notes": choice.notes}
    return reader, options_for(reader.name, request.reader_options, table), detection, source


def _project_type_named(name: str) -> ProjectType:
    types = plugins.project_types()
    if name not in types:
        available = ", ".join(sorted(types)) or "(none)"
        raise click.UsageError(f"unknown project type {name!r}; available: {available} "
                               "(describe them with: sc types)")
    return types[name]


def _pick_type(dataset: Dataset, request: Request) -> tuple[str | None, ProjectType | None]:
    name = request.type_name or dataset.project_type
    if name is None:
        return None, None
    return name, _project_type_named(name)


def _dry_run(dataset: Dataset, kept: Dataset, type_name: str | None, project_type: ProjectType | None,
             request: Request, detection: dict | None, connection: dict | None = None) -> int:
    plan = plan_error = conversion = server = counter = None
    if project_type is not None:
        try:
            plan = project_type.plan(kept, request.build_options)
        except BuildError as exc:
            plan_error = str(exc)
        else:  # the conversion is counted in validation's walk, as a tally beside the report's counts
            counter = ConversionCounts(project_type, kept, plan, request.build_options, skipped_items(kept.problems))
    summary = ItemSummary()  # the report's counts, made in validation's walk over the items
    try:
        problems = validate(kept, check_images=True, tallies=[summary] if counter is None else [summary, counter])
    except WalkFailed as exc:
        raise click.ClickException(str(exc)) from None
    created: dict = {}
    if counter is not None:
        try:
            server = server_adaptation(connection or {}, counter.project_type, kept, counter.plan,
                                       request.build_options, skipped_items(problems))
        except BuildError as exc:
            plan_error, plan = str(exc), None
        else:
            conversion, convert_problems = counter.result()
            created = counter.created
            problems.extend(convert_problems)
    report = build_report(dataset, kept, problems, plan, project_type=type_name, plan_error=plan_error,
                          conversion=conversion, created=created or None, summary=summary)
    report["detection"] = detection
    if server:
        report["server"] = server
    if request.html_report is not None:
        _write_html(request.html_report, request, report, kept, project_type, plan, skipped_items(problems))
    if request.json_output:
        click.echo(json.dumps(report, indent=None if request.json_lines else 2))
    else:
        click.echo(printable(render_report(report)))
    return 0 if report["importable"] else 1


def _write_html(path: Path, request: Request, report: dict, kept: Dataset, project_type: ProjectType | None,
                plan: ProjectPlan | None, skip: set[str]) -> None:
    from sc_importers.html_report import write_html_report

    try:
        write_html_report(path, report, kept, project_type=project_type if plan else None,
                          plan=plan, options=request.build_options, skip=skip)
    except OSError as exc:
        raise click.ClickException(f"cannot write the HTML report {request.html_report}: "
                                   f"{exc.strerror or exc}") from exc
    click.echo(f"HTML report written to {request.html_report}", err=True)


@dataclass
class Login:
    """The server an import goes to: its connection options and the API logged in to before any dataset
    is read (wrong credentials or a server that is down are told in a second, not after minutes of reading)."""

    options: ConnectionOptions
    api: ServerAPI


def _login(connection: dict, upload: UploadOptions) -> Login:
    """Resolve the connection options (prompting for a password on a terminal) and log in, or refuse with
    exit 2 saying what happened (:func:`sc_importers.cli.export_cmd._connect`)."""
    from sc_importers.cli.export_cmd import _connect
    from sc_importers.uploader.run import DEFAULT_WORKERS

    options = resolve_connection(connection)
    return Login(options, _connect(options, upload.workers or DEFAULT_WORKERS))


def _upload(kept: Dataset, project_type: ProjectType | None, request: Request, login: Login,
            upload: UploadOptions, filtered: int) -> int:
    if project_type is None:
        raise click.UsageError("--type is required for an upload (list the project types with: sc types)")
    from sc_importers.uploader import run_import  # imports requests & co only when uploading

    result = run_import(kept, project_type, request.build_options, login.options, upload, request.json_output,
                        json_lines=request.json_lines, already_filtered=filtered, api=login.api)
    return result if isinstance(result, int) else 0


def _import_one(source: Path, request: Request, readers: dict[str, FormatReader],
                table: dict[str, ReaderOption], connection: dict, upload: UploadOptions,
                login: Login | None) -> int:
    """Read, check and import (or dry-run) one source; an archive is unpacked for the duration."""
    try:
        with unpacked(source) as (folder, note):
            if note:
                click.echo(note, err=True)
            return _import_folder(folder, request, readers, table, connection, upload, login)
    except FormatError as exc:  # the archive cannot be unpacked
        raise ImportRefused(str(exc), request.dry_run) from exc


def _import_folder(source: Path, request: Request, readers: dict[str, FormatReader],
                   table: dict[str, ReaderOption], connection: dict, upload: UploadOptions,
                   login: Login | None) -> int:
    reader, options, detection, source = _pick_reader(source, request, readers, table)
    # an upload with no label option starts while the reader is still reading (its first item
    # within 2 s on a train2017-size COCO file); the dry run and the label options want it whole
    streaming = not request.dry_run and not request.build_options.changes_labels
    try:
        dataset = (reader.read_streaming if streaming else reader.read)(source, **options)
    except MissingExtra as exc:  # the installation, not the dataset, is wrong: a usage error (2), dry run or not
        raise ImportRefused(str(exc), dry_run=False) from exc
    except FormatError as exc:
        raise ImportRefused(str(exc), request.dry_run) from exc
    try:
        kept = apply_label_options(dataset, request.build_options.labels, request.build_options.label_map,
                                   request.build_options.add_labels)
    except LabelError as exc:
        raise ImportRefused(str(exc), request.dry_run) from exc
    type_name, project_type = _pick_type(dataset, request)
    if request.dry_run:
        return _dry_run(dataset, kept, type_name, project_type, request, detection, connection)
    assert login is not None, "a real import logs in before reading"
    return _upload(kept, project_type, request, login, upload, len(dataset.items) - len(kept.items))


def _sources(source: Path, restore_all: bool, format_name: str | None) -> list[Path]:
    """The folders to import: SOURCE, or with ``--all`` the folders under it. A reader with a
    ``list_datasets(root)`` method says itself which folders count (the backup reader: only folders
    holding a ``project.json``, so a stray folder next to the backups is not mistaken for one); the
    reader is reached through the plugin manager, never by importing its plugin."""
    if not restore_all:
        return [source]
    reader = plugins.format_readers().get(format_name) if format_name else None
    list_datasets = getattr(reader, "list_datasets", None)
    if list_datasets is not None:
        folders = list_datasets(source)
        if not folders:
            what = "backup folder (with project.json)" if format_name == "backup" else f"{format_name} dataset"
            raise click.UsageError(f"{source}: --all given but no {what} is under it")
        return folders
    folders = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise click.UsageError(f"{source}: --all given but there is no folder under it")
    return folders


#: Exit code after Ctrl-C (128 + SIGINT), as :mod:`sc_importers.uploader.report` uses it.
EXIT_INTERRUPTED = 130


def _refuse_missing_extra(reader: FormatReader) -> int:
    """Refuse a source because ``reader``'s install extra is missing (a usage error: exit 2)."""
    raise ImportRefused(str(MissingExtra(f"the {reader.name} reader", missing_extra(reader) or "")), dry_run=False)


def _import_each(sources: list[Path], run_one: Callable[[Path], int], request: Request) -> int:
    """Import every source in turn and return the worst exit code (130 after Ctrl-C).

    A source that cannot be read (a damaged backup, a dataset the options do not fit) is reported
    and, with several sources, the others still go ahead; after Ctrl-C none is started. With
    ``--json`` such a refusal is printed as JSON too, so a script reads one report per source."""
    codes = []
    for source in sources:
        try:
            codes.append(run_one(source))
        except click.UsageError:
            raise
        except click.ClickException as exc:
            if len(sources) == 1 and not request.json_output:
                raise
            message = exc.format_message()
            if request.json_output:
                # the one JSON error shape of every command ({"error", "exit_code"} + context); "refused"
                # repeats the message for scripts written before (it was this error's only key)
                click.echo(json.dumps({"error": message, "exit_code": exc.exit_code, "source": str(source),
                                       "refused": message}, indent=None if request.json_lines else 2))
            click.echo(f"Error: {message if str(source) in message else f'{source}: {message}'}", err=True)
            codes.append(exc.exit_code)
        if codes[-1] == EXIT_INTERRUPTED:
            return EXIT_INTERRUPTED
    return max(codes)


def _run(readers: dict[str, FormatReader], table: dict[str, ReaderOption], **params: Any) -> None:
    given_reader_options = pop_reader_options(params)
    if params["list_formats"]:
        click.echo(list_formats(readers))
        return
    if params["list_types"]:
        click.echo(list_types(plugins.project_types()))
        return
    source = params["source"]
    if source is None:
        raise click.UsageError("missing SOURCE: the dataset folder or archive to import (list the formats "
                               "read with: sc formats, the project types with: sc types)")
    try:
        label_map = parse_label_map(params["label_map"])
    except LabelError as exc:
        raise click.UsageError(str(exc)) from exc
    request = Request(
        format_name=params["format_name"], type_name=params["type_name"],
        build_options=BuildOptions(
            labels=parse_label_list(params["labels"]), label_map=label_map,
            empty_label_for_unannotated=params["empty_label_for_unannotated"],
            chain_label=params["chain_label"], anomalous_labels=parse_label_list(params["anomalous_labels"]),
            add_labels=parse_label_list(params["add_labels"]),
        ),
        reader_options=given_reader_options, dry_run=params["dry_run"], json_output=params["json_output"],
        json_lines=params["restore_all"], html_report=params["html_report"],
    )
    if request.html_report is not None and not request.dry_run:
        raise click.UsageError("--html needs --dry-run: it writes the dry run's report as a web page")
    if request.html_report is not None and params["restore_all"]:
        raise click.UsageError("--html writes the report of one --dry-run, not of --all")
    connection = {key: params[key] for key in (*CONNECTION_KEYS, *GETI3_KEYS)}
    upload = UploadOptions(params["project_name"], params["workers"], params["auto_train"],
                           params["iterations"], resume=params["resume"])
    if params["restore_all"] and params["project_name"]:
        raise click.UsageError("--project-name names one project; it cannot be used with --all")
    if request.type_name is not None:
        _project_type_named(request.type_name)  # a typo is a usage error before any dataset is read
    sources = _sources(source, params["restore_all"], params["format_name"])
    chosen = readers.get(request.format_name) if request.format_name else None
    if not request.dry_run and chosen is not None and missing_extra(chosen):
        # the installation is wrong: refuse as reading would (same message, same JSON), before logging in
        sys.exit(_import_each(sources, lambda _source: _refuse_missing_extra(chosen), request))
    login = None
    try:
        login = None if request.dry_run else _login(connection, upload)  # before minutes of reading
        code = _import_each(sources, lambda s: _import_one(s, request, readers, table, connection, upload, login),
                            request)
    except KeyboardInterrupt:  # outside an upload (reading, checking, logging in): no summary to print
        click.echo("Interrupted (Ctrl-C); nothing more was done.", err=True)
        code = EXIT_INTERRUPTED
    finally:
        if login is not None:
            login.api.close()
    sys.exit(code)


def build_command() -> click.Command:
    """The ``sc-import`` click command, with one option per option of every loaded reader."""
    readers = plugins.format_readers()
    params = core_params()
    reserved = {opt for p in params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    table = reader_option_table(readers, reserved)
    command = click.Command(
        "sc-import", params=[*params, *click_options(table)],
        context_settings={"help_option_names": ["-h", "--help"]},
        callback=functools.partial(_run, readers, table),
        help="Read the dataset at SOURCE, check it, and import it into an SC / Geti server as a project.",
        epilog="Reader options are listed with the readers that accept them in brackets.",
    )
    return click.version_option(__version__, prog_name="sc-import")(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``sc import`` is the same command, with the same SC_IMPORT_... variables)."""
    from sc_importers.cli.sc import environment_names

    command = build_command()
    environment_names(command, "SC_IMPORT")
    run_command(command, argv, "sc-import")
