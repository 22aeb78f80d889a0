"""Every numeric option of every command rejects a bad value with exit 2, one stderr line, no traceback.

The options are found by walking the argparse tree (`analysis.cli.build_parser`), so a command
added later is covered without editing this file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from analysis.cli import _common, build_parser, main
from analysis.cli.topics import seed_list, topic_counts

#: A value each validated type refuses, besides "abc" (refused by all).
BAD = {
    _common.positive_int: "0",
    _common.nonnegative_int: "-1",
    _common.positive_float: "0",
    _common.nonnegative_float: "-1",
    _common.probability: "1.5",
    _common.window_value: "-1",
    topic_counts: "1",
    seed_list: "-1",
}


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(argv prefix, parser) for every leaf command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _commands(child, prefix + (name,))


def _positionals(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for a in parser._actions:
        if not a.option_strings and not isinstance(a, argparse._SubParsersAction) and a.dest != "help":
            n = a.nargs if isinstance(a.nargs, int) else 1
            out += ["x"] * (n if a.nargs not in ("?", "*") else 0)
    return out


def _numeric_options():
    cases = []
    for prefix, parser in _commands(build_parser()):
        for a in parser._actions:
            if a.option_strings and a.type in (int, float):
                cases.append(pytest.param(prefix, a, id=f"{' '.join(prefix)} {a.option_strings[-1]} (unvalidated)"))
            elif a.option_strings and a.type in BAD:
                cases.append(pytest.param(prefix, a, id=f"{' '.join(prefix)} {a.option_strings[-1]}"))
    return cases


CASES = _numeric_options()


def test_the_walk_finds_the_numeric_options():
    ids = {c.id for c in CASES}
    assert any(i.startswith("kwic --window") for i in ids) and any(i.startswith("keyness --top") for i in ids)
    assert len(CASES) >= 20


@pytest.mark.parametrize("prefix,action", CASES)
def test_bad_numeric_value_is_one_line_and_exit_2(prefix, action, capsys):
    assert action.type in BAD, f"{action.option_strings[-1]} of `tifa {' '.join(prefix)}` uses an unvalidated type " \
                               "(use a type from analysis.cli._common.NUMERIC_TYPES)"
    flag = action.option_strings[-1]
    nargs = action.nargs if isinstance(action.nargs, int) else 1
    for bad in ("abc", BAD[action.type]):
        argv = [*prefix, *_positionals_for(prefix), flag, *([bad] * nargs)]
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and flag in err, (argv, err)


def _positionals_for(prefix: tuple[str, ...]) -> list[str]:
    for p, parser in _commands(build_parser()):
        if p == prefix:
            return _positionals(parser)
    return []


def test_a_bad_value_in_a_real_process_prints_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "analysis", "kwic", "security", "--window", "-3"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
