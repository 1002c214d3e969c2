"""The plugin manager: entry-point loading, SC_IMPORTERS_PLUGINS, broken and clashing plugins."""

from __future__ import annotations

import warnings

import pytest

from sc_importers import plugins

READER_PLUGIN = '''
from sc_importers.formats import Detection, FormatReader
from sc_importers.hookspecs import hookimpl


class R(FormatReader):
    name = "{name}"
    description = "test reader {name}"

    def detect(self, path):
        return Detection(0.0, ["test"])


@hookimpl
def register_format_readers():
    return [R()]
'''

TYPE_PLUGIN = '''
from sc_importers.hookspecs import hookimpl
from sc_importers.project_types.base import ProjectType


class T(ProjectType):
    name = "{name}"
    task_types = ("detection",)


@hookimpl
def register_project_types():
    return [T()]
'''


def test_third_party_reader_and_type_load_through_entry_points(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "tp_reader,tp_type")
    plugin_site("tp-plugin", {"tp_reader": "tp_reader_mod", "tp_type": "tp_type_mod"},
                {"tp_reader_mod": READER_PLUGIN.format(name="tpfmt"),
                 "tp_type_mod": TYPE_PLUGIN.format(name="tptype")})
    assert list(plugins.format_readers()) == ["tpfmt"]
    assert plugins.plugin_of("format", "tpfmt") == "tp_reader"
    types = plugins.project_types()
    assert "tptype" in types and "detection" in types  # core builders load regardless of the env var
    assert plugins.plugin_of("type", "tptype") == "tp_type"


def test_env_var_limits_loaded_plugins(plugin_site, monkeypatch) -> None:
    plugin_site("two", {"one_ep": "one_mod", "two_ep": "two_mod"},
                {"one_mod": READER_PLUGIN.format(name="one"), "two_mod": READER_PLUGIN.format(name="two")})
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "two_ep")
    plugins.reset()
    assert list(plugins.format_readers()) == ["two"]
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "one_ep, two_ep")
    plugins.reset()
    assert list(plugins.format_readers()) == ["one", "two"]


def test_broken_plugin_warns_by_name_and_others_still_load(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "broken_ep,fine_ep")
    plugin_site("mixed", {"broken_ep": "broken_mod", "fine_ep": "fine_mod"},
                {"broken_mod": "raise RuntimeError('boom at import')\n",
                 "fine_mod": READER_PLUGIN.format(name="fine")})
    with pytest.warns(RuntimeWarning) as record:
        readers = plugins.format_readers()
    assert list(readers) == ["fine"]
    [message] = [str(w.message) for w in record]
    assert "plugin 'broken_ep' (broken_mod) could not be loaded and is skipped" in message
    assert "RuntimeError: boom at import" in message


def test_hook_that_raises_is_skipped_with_a_warning(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "bad_hook")
    source = ("from sc_importers.hookspecs import hookimpl\n\n@hookimpl\n"
              "def register_format_readers():\n    raise ValueError('no readers today')\n")
    plugin_site("badhook", {"bad_hook": "bad_hook_mod"}, {"bad_hook_mod": source})
    with pytest.warns(RuntimeWarning, match="plugin 'bad_hook' failed in register_format_readers"):
        assert plugins.format_readers() == {}


def test_two_readers_with_one_name_warn_naming_both_and_the_first_wins(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "first,second,coco")
    plugin_site("clash", {"first": "first_mod", "second": "second_mod"},
                {"first_mod": READER_PLUGIN.format(name="same"), "second_mod": READER_PLUGIN.format(name="same")})
    with pytest.warns(RuntimeWarning) as caught:
        readers = plugins.format_readers()
        owner = plugins.plugin_of("format", "same")
    message = " ".join(str(w.message) for w in caught)
    assert "register 'same' in register_format_readers" in message
    assert "'first'" in message and "'second'" in message and "'second' is ignored" in message
    assert owner == "first"
    assert "coco" in readers  # the other plugins still work


def test_a_third_party_reader_cannot_take_a_built_in_name(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "aaa_impostor,coco")
    plugin_site("impostor", {"aaa_impostor": "impostor_mod"}, {"impostor_mod": READER_PLUGIN.format(name="coco")})
    with pytest.warns(RuntimeWarning, match="'aaa_impostor' is ignored"):
        readers = plugins.format_readers()
        owner = plugins.plugin_of("format", "coco")
    assert owner == "coco"
    assert type(readers["coco"]).__module__.startswith("sc_importers_coco")


def test_reset_rereads_entry_points(plugin_site, monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "late")
    plugins.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugins.format_readers() == {}
    plugin_site("late", {"late": "late_mod"}, {"late_mod": READER_PLUGIN.format(name="late")})
    assert list(plugins.format_readers()) == ["late"]
