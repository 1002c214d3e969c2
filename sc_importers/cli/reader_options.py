"""Turn every loaded reader's ``options`` into ``sc-import`` command-line options.

A reader declares ``options = {"datumaro_format": "help"}``; the CLI then accepts
``--datumaro-format VALUE`` and passes ``datumaro_format=VALUE`` to that reader's ``read`` only when
it is the chosen reader. Two readers declaring the same option share one command-line option.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import click

from sc_importers.formats import FormatReader

#: Prefix of the click parameter names of reader options, so they never clash with core ones.
PARAM_PREFIX = "reader_opt__"


@dataclass
class ReaderOption:
    """One command-line option and the readers that accept it."""

    name: str
    help: str
    readers: list[str] = field(default_factory=list)
    #: an on/off option (a reader's ``flags``): given without a value, passed as ``"yes"``
    is_flag: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def reader_option_table(
    readers: dict[str, FormatReader], reserved_flags: set[str]
) -> dict[str, ReaderOption]:
    """Every reader option by name; an option whose flag clashes with a core flag is skipped
    with a warning naming the reader (it could never be given)."""
    table: dict[str, ReaderOption] = {}
    for reader_name, reader in sorted(readers.items()):
        declared = [(name, help_text, False) for name, help_text in (getattr(reader, "options", None) or {}).items()]
        declared += [(name, help_text, True) for name, help_text in (getattr(reader, "flags", None) or {}).items()]
        for name, help_text, is_flag in declared:
            option = table.get(name) or ReaderOption(name, help_text, is_flag=is_flag)
            if option.flag in reserved_flags:
                warnings.warn(
                    f"sc-importers: reader {reader_name!r} option {name!r} clashes with the core "
                    f"option {option.flag} and cannot be given",
                    RuntimeWarning, stacklevel=2,
                )
                continue
            option.readers.append(reader_name)
            table[name] = option
    return table


def click_options(table: dict[str, ReaderOption]) -> list[click.Option]:
    """The click options for ``table``; help says which readers use each."""
    return [
        click.Option([option.flag, PARAM_PREFIX + name], is_flag=True, default=False,
                     help=f"[{', '.join(option.readers)}] {option.help}")
        if option.is_flag else
        click.Option(
            [option.flag, PARAM_PREFIX + name], metavar="VALUE", default=None,
            help=f"[{', '.join(option.readers)}] {option.help}",
        )
        for name, option in sorted(table.items())
    ]


def pop_reader_options(params: dict) -> dict[str, str]:
    """Remove the reader options from click's ``params`` and return the given ones by name."""
    given = {}
    for key in [k for k in params if k.startswith(PARAM_PREFIX)]:
        value = params.pop(key)
        if value is True:  # a flag that was given
            given[key[len(PARAM_PREFIX):]] = "yes"
        elif value is not None and value is not False:
            given[key[len(PARAM_PREFIX):]] = value
    return given


def options_for(reader_name: str, given: dict[str, str], table: dict[str, ReaderOption]) -> dict[str, str]:
    """The given options to pass to reader ``reader_name``; raises click.UsageError for an option
    that belongs only to other readers."""
    foreign = [name for name in given if reader_name not in table[name].readers]
    if foreign:
        details = "; ".join(
            f"{table[n].flag} belongs to {', '.join(table[n].readers)}" for n in foreign
        )
        raise click.UsageError(f"option(s) not accepted by the {reader_name!r} reader: {details}")
    return dict(given)
