"""``sc formats``, ``sc types`` (also ``sc-import --list-formats/--list-types``, the aliases) and ``sc server``."""

from __future__ import annotations

import json

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.command("formats", context_settings=CONTEXT)
@click.option("--json", "json_output", is_flag=True, help="Print a JSON list.")
def formats(json_output: bool) -> None:
    """List the format readers: name, the plugin that registered it, description, options; a reader whose
    install extra is missing is marked NOT INSTALLED with the pip command that installs it."""
    from sc_importers import plugins
    from sc_importers.cli.import_cmd import list_formats, missing_extra

    readers = plugins.format_readers()
    if not json_output:
        click.echo(list_formats(readers))
        return
    click.echo(json.dumps([{"name": name, "plugin": plugins.plugin_of("format", name),
                            "description": reader.description,
                            # the install extra it needs (null: none) and whether that is missing
                            "extra": getattr(reader, "extra", None),
                            "extra_missing": missing_extra(reader) is not None,
                            "options": {"--" + o.replace("_", "-"): text
                                        for o, text in (getattr(reader, "options", None) or {}).items()}}
                           for name, reader in readers.items()], indent=2))


@click.command("types", context_settings=CONTEXT)
@click.option("--json", "json_output", is_flag=True, help="Print a JSON list.")
def types(json_output: bool) -> None:
    """List the project types: name, trainable tasks, description."""
    from sc_importers import plugins
    from sc_importers.cli.import_cmd import list_types

    registered = plugins.project_types()
    if not json_output:
        click.echo(list_types(registered))
        return
    click.echo(json.dumps([{"name": name, "tasks": list(t.task_types), "description": t.description}
                           for name, t in sorted(registered.items())], indent=2))


@click.command("server", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def server(args: tuple[str, ...]) -> None:
    """Run the local SC-compatible server; every option is sc-server's (sc server --help)."""
    import sys

    from sc_importers.server.cli import main as server_main

    sys.argv[0] = "sc server"
    server_main(list(args))
