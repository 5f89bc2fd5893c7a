"""tf.app.run and tf.app.flags (== tf.flags) against TensorFlow 2.21's recorded behaviour
(tests/fixtures/pyapi.json, written by gen_pyapi.py): parse results, flag states and the exact
error classes and messages; FLAGS parsing sys.argv on first use; tf.app.run in a child process."""
import re

import pytest

import metarun as tf
from pyapi_replay import as_json, expected, gen, metarun_scripts

FLAG_CASES = {name: (defs, argv, known_only) for name, defs, argv, known_only in gen.FLAG_CASES}


def _strip_modules(result):
    """DuplicateFlagError names the defining modules, which differ between the two runs."""
    text = as_json(result)
    for part in text.values():
        if isinstance(part, dict) and part.get("error") == "DuplicateFlagError":
            part["message"] = re.sub(r"First from .*, second from .*\. ", "First from M, second from M. ",
                                     part["message"])
    return text


@pytest.mark.parametrize("name", sorted(FLAG_CASES))
def test_parse(name):
    defs, argv, known_only = FLAG_CASES[name]
    got = gen.run_flag_case(tf, defs, argv, known_only)
    assert _strip_modules(got) == _strip_modules(expected()["flags"][name])


def test_every_case_recorded():
    assert sorted(expected()["flags"]) == sorted(FLAG_CASES)


_API = {}


def _api():
    if not _API:
        _API.update(as_json(gen.flags_api(tf)))
    return _API


@pytest.mark.parametrize("key", sorted(expected()["flags_api"]))
def test_flag_values_api(key):
    assert _api()[key] == expected()["flags_api"][key]


@pytest.mark.parametrize("name", sorted(set(expected()["scripts"]["app"]) - {"helpfull"}))  # absl lists its own flags
def test_app_run(name):
    assert metarun_scripts()["app"][name] == expected()["scripts"]["app"][name]


@pytest.mark.parametrize("name", sorted(expected()["scripts"]["implicit"]))
def test_flags_parse_sys_argv_on_first_read(name):
    assert metarun_scripts()["implicit"][name] == expected()["scripts"]["implicit"][name]


def test_namespaces():
    assert tf.app.flags is tf.flags
    assert isinstance(tf.flags.FLAGS, tf.flags.FlagValues)
    for name in ("DEFINE_string", "DEFINE_integer", "DEFINE_float", "DEFINE_boolean", "DEFINE_bool",
                 "DEFINE_enum", "DEFINE_list", "DEFINE_multi_string", "mark_flag_as_required", "FLAGS"):
        assert hasattr(tf.app.flags, name), name


def test_helpfull_lists_flags_of_every_module():
    got = metarun_scripts()["app"]["helpfull"]
    assert got["returncode"] == 1
    assert any("--steps" in line for line in got["stdout"])
