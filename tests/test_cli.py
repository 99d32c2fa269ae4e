"""The command line: output, and user errors as one line on stderr with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

import symact
from symact.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_every_name_aligned(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and not err
    lines = out.splitlines()
    assert len(lines) == len(symact.names())
    assert [ln.split()[0] for ln in lines] == symact.names()
    formula_col = {ln.rindex(sp.sstr(symact.get(ln.split()[0]).expr)) for ln in lines}
    assert len(formula_col) == 1, "formula column is not aligned"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["show", "sigmod"], "unknown activation 'sigmod'. Did you mean: sigmoid"),
        (["show", "elu", "-p", "alpha=-1"], "alpha' must be > 0"),
        (["show", "elu", "-p", "alpha"], "not of the form name=value"),
        (["show", "elu", "-p", "beta=2"], "unknown parameter 'beta'"),
        (["define", "__import__('os')"], "names starting with '_' are not allowed"),
        (["latex", "nope"], "unknown activation"),
        (["build", "--only", "nothing"], "unknown build stage"),
    ],
)
def test_user_errors_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_build_catalog_stage(tmp_path, capsys):
    code, out, err = run(capsys, "build", "--out", str(tmp_path), "--only", "catalog")
    assert code == 0
    data = json.loads((tmp_path / "catalog.json").read_text())
    assert [d["name"] for d in data] == symact.names()
    assert "catalog" in err


def test_console_script_installed():
    proc = subprocess.run([sys.executable, "-m", "symact.cli", "show", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("symact: error: unknown activation 'nope'")
