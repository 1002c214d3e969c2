"""The core options of ``sc-import`` (reader options are added by :mod:`.reader_options`).

Kept as a list of click parameters, rather than decorators, because the command is assembled at
run time once the plugins (and so the reader options) are known.
"""

from __future__ import annotations

from pathlib import Path

import click

from sc_importers.cli.options import connection_click_options


def core_params() -> list[click.Parameter]:
    """Fresh click parameters for every core option of ``sc-import`` (a new list on each call)."""
    return [
        click.Argument(["source"], required=False, type=click.Path(exists=True, path_type=Path)),
        click.Option(["--format", "format_name"], metavar="NAME",
                     help="Format reader to use (default: auto-detect; list them with: sc formats)."),
        click.Option(["--type", "type_name"], metavar="TYPE",
                     help="Project type to create (list them with: sc types). Default: the backup's own type; "
                          "required for an upload otherwise."),
        click.Option(["--labels"], metavar="A,B", help="Keep only these labels (names after --label-map)."),
        click.Option(["--label-map"], metavar="OLD=NEW", multiple=True,
                     help="Rename a label; repeat for several. Two labels renamed to one name merge."),
        click.Option(["--add-labels"], metavar="A,B",
                     help="Also create these labels, though no annotation uses them (e.g. for a dataset of "
                          "unannotated videos to annotate on the server)."),
        click.Option(["--dry-run"], is_flag=True,
                     help="Only read and check the dataset and print a report; never contacts a server."),
        click.Option(["--json", "json_output"], is_flag=True, help="Print machine-readable JSON."),
        click.Option(["--html", "html_report"], metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
                     help="With --dry-run: also write the report as a web page, with a sample of the media and "
                          "their annotations drawn as the project would get them."),
        click.Option(["--list-formats"], is_flag=True, help="List format readers and exit (= sc formats)."),
        click.Option(["--list-types"], is_flag=True, help="List project types and exit (= sc types)."),
        click.Option(["--project-name"], metavar="NAME", help="Project name (default: the dataset's name)."),
        click.Option(["--resume"], is_flag=True,
                     help="Finish an interrupted import: the project must exist and match; media already "
                          "there are not uploaded again, missing annotations are posted."),
        click.Option(["--workers"], type=click.IntRange(1, 64),
                     help="Parallel uploads (default: the uploader's measured default, 16)."),
        click.Option(["--auto-train/--no-auto-train"], default=None,
                     help="Let the server start training after the upload (default: off; a restored "
                          "backup keeps its own setting)."),
        click.Option(["--iterations"], type=click.IntRange(min=1),
                     help="Training iterations (default: the server's; a restored backup keeps its own)."),
        click.Option(["--empty-label-for-unannotated"], is_flag=True,
                     help="Give media without annotations the empty label instead of none."),
        click.Option(["--chain-label"], metavar="NAME", help="Label of the first task of a task chain."),
        click.Option(["--anomalous-labels"], metavar="A,B",
                     help="For anomaly projects: the labels that mean 'Anomalous'."),
        *connection_click_options(),
        click.Option(["--chain-task"], type=click.Choice(["detection", "classification", "segmentation"]),
                     help="Geti 3 target: of a task chain, keep this task (Geti 3 has one task per project; "
                          "classification: boxes labelled with their classification label)."),
        click.Option(["--rotated-as"], type=click.Choice(["polygon", "box"]),
                     help="Geti 3 target: rotated boxes become 4-corner polygons (instance segmentation) "
                          "or enclosing boxes (detection)."),
        click.Option(["--anomaly-as"], type=click.Choice(["classification"]),
                     help="Geti 3 target: an anomaly project becomes a Normal/Anomalous classification project."),
        click.Option(["--all", "restore_all"], is_flag=True,
                     help="Import every folder directly under SOURCE; with --format backup, every backup "
                          "folder (one holding project.json) at or under SOURCE. With --json, one report "
                          "per line."),
    ]
