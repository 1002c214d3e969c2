"""``sc``: one command for everything, with subcommands in the style of gh/hf.

    sc import DATASET --type detection        # = sc-import
    sc export "Dogs" --target-folder backups  # = sc-export
    sc verify backups/Dogs backups/Cats       # or: sc verify --all backups
    sc projects list | show NAME [--open] | delete NAME [--yes]
    sc formats | sc types
    sc server --data-dir ./sc-data            # = sc-server

Subcommands are imported only when one runs, so ``sc --help`` and ``sc --version`` load no plugin,
numpy, OpenCV, Datumaro or FastAPI. ``sc-import``, ``sc-export`` and ``sc-server`` stay as aliases.

Exit codes (all subcommands): 0 ok; 1 partial (some items failed) or differences found; 2 refused
before anything changed (usage error, unreadable dataset, login refused, no such project); 3 stopped
part-way (server lost); 4 (verify only) no differences, but a folder has no manifest.json; 130
interrupted (Ctrl-C). With ``--json`` an error is printed on stdout as
``{"error": MESSAGE, "exit_code": N}``, plus keys saying where (``source``, ``folder``) where there are any.

Shell completion (click's): ``eval "$(_SC_COMPLETE=bash_source sc)"`` in ``~/.bashrc``
(``zsh_source``/``fish_source`` for zsh and fish).
"""

from __future__ import annotations

import importlib
import logging

import click

from sc_importers import __version__
from sc_importers.cli import run_command
from sc_importers.cli.options import PROFILE_META_KEY

#: name -> (module, attribute or factory "name()", one-line help shown by ``sc --help``).
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "import": ("sc_importers.cli.import_cmd", "build_command()", "Import a dataset or restore a backup as a project."),
    "export": ("sc_importers.cli.export_cmd", "command", "Back up projects into folders."),
    "verify": ("sc_importers.cli.verify_cmd", "command", "Compare backup folders with their projects."),
    "projects": ("sc_importers.cli.projects_cmd", "group", "List, show and delete the projects of a server."),
    "formats": ("sc_importers.cli.sc_lists", "formats", "List the format readers and their options."),
    "types": ("sc_importers.cli.sc_lists", "types", "List the project types and their tasks."),
    "server": ("sc_importers.cli.sc_lists", "server", "Run the local SC-compatible server (= sc-server)."),
}

class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; the help lists them from SUBCOMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        module_name, attribute, _ = SUBCOMMANDS[name]
        module = importlib.import_module(module_name)
        if attribute.endswith("()"):
            command = getattr(module, attribute[:-2])()
        else:
            command = getattr(module, attribute)
        command.name = name
        environment_names(command, f"SC_{name.upper()}")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, _, text) in SUBCOMMANDS.items()])


def environment_names(command: click.Command, prefix: str) -> None:
    """Give every option without its own ``SC_...`` variable one named after its flag:
    ``sc import --type`` reads ``SC_IMPORT_TYPE``, ``sc projects delete --yes`` ``SC_PROJECTS_DELETE_YES``.
    The aliases ``sc-import`` and ``sc-export`` read the same names (``SC_IMPORT_...``, ``SC_EXPORT_...``)."""
    for param in command.params:
        if isinstance(param, click.Option) and param.envvar is None and param.name not in ("help", "version"):
            flag = max(param.opts, key=len).lstrip("-")
            param.envvar = f"{prefix}_{flag.upper().replace('-', '_')}"
    for name, sub in getattr(command, "commands", {}).items():
        environment_names(sub, f"{prefix}_{name.upper()}")


def _complete_profile(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of ``--profile``: the profiles of the config file."""
    from sc_importers.cli.profiles import ProfileError, profile_names

    try:
        return [name for name in profile_names() if name.startswith(incomplete)]
    except ProfileError:
        return []


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"sc {__version__}")
        ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 ok, 1 partial or differences, 2 refused before anything changed, "
                    "3 stopped part-way (server lost), 4 (verify) no differences but no manifest.json, 130 Ctrl-C. "
                    "Every option also comes from the "
                    "environment: the connection's as SC_HOST, SC_USERNAME, SC_PASSWORD, SC_API_KEY, ..., "
                    "the others as SC_<COMMAND>_<OPTION>, e.g. SC_IMPORT_TYPE, SC_EXPORT_TARGET_FOLDER.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and exit.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, envvar="SC_QUIET", help="Only errors; no progress bars (env SC_QUIET).")
@click.option("--profile", metavar="NAME", envvar="SC_PROFILE", shell_complete=_complete_profile,
              help="Connection profile of ~/.config/sc-importers/config.toml (env SC_PROFILE).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, profile: str | None) -> None:
    """Move computer-vision datasets into, out of and between Sonoma Creek / Intel Geti servers."""
    level = logging.ERROR if quiet else logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.getLogger().setLevel(level)
    if quiet:
        import os

        os.environ["SC_QUIET"] = "1"  # no progress bars (sc_importers.terminal)
    if profile:
        ctx.meta[PROFILE_META_KEY] = profile


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs ``cli`` with the exit-code table (JSON errors with --json)."""
    run_command(cli, argv, "sc")
