"""`symact verify FILE [--json] [--markdown OUT]`: output, exit statuses 0/1/2, the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symact.cli import main
from symact.verify import artifacts

GOOD = """
title = "good"
[[claim]]
activation = "relu"
equals = "max(0, x)"
note = "doc A"
[[claim]]
activation = "step"
range = "{0, 1}"
"""

BAD = GOOD + """
[[claim]]
activation = "step"
value = {at = 0, value = 0}
note = "doc B, says f(0) = 0"
"""


def write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_exit_0_when_nothing_is_refuted(tmp_path, capsys):
    assert main(["verify", str(write(tmp_path, GOOD))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert out[0].startswith("confirmed (proved)") and "relu: equals" in out[0]
    assert out[-1] == "2 claim(s): 2 confirmed, 0 refuted, 0 undecided"


def test_exit_1_when_something_is_refuted_and_json(tmp_path, capsys):
    assert main(["verify", str(write(tmp_path, BAD)), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["verdict"] for d in data] == ["confirmed", "confirmed", "refuted"]
    last = data[-1]
    assert {"activation", "claim", "verdict", "status", "detail"} <= set(last)
    assert last["activation"] == "step" and last["status"] == "proved"
    assert last["counterexample"] == {"x": "0", "value": "1", "claimed": "0"}
    assert last["note"] == "doc B, says f(0) = 0"


def test_exit_2_on_malformed_file_with_line_and_key(tmp_path, capsys):
    path = write(tmp_path, GOOD + '[[claim]]\nactivation = "relu"\nparity = "odd"\nrange2 = "x"\n')
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symact: error: c.toml:13: claim #3")
    assert "unknown key 'range2'" in err and "\n" == err[-1] and err.count("\n") == 1
    assert main(["verify", str(tmp_path / "missing.toml")]) == 2


def test_markdown_report_is_written_and_deterministic(tmp_path, capsys):
    path = write(tmp_path, BAD)
    out1, out2 = tmp_path / "r1.md", tmp_path / "sub" / "r2.md"
    assert main(["verify", str(path), "--markdown", str(out1)]) == 1
    assert main(["verify", str(path), "--markdown", str(out2)]) == 1
    text = out1.read_text(encoding="utf-8")
    assert text == out2.read_text(encoding="utf-8")
    assert text.startswith("# good\n")
    assert "| refuted | 1 | 1 | 0 |" in text
    assert "## Claims that do not hold (1)" in text and "f(0) = 1, claimed 0" in text
    assert "source: doc B" in text


def test_console_script_exit_status(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "symact.cli", "verify",
                           str(write(tmp_path, BAD))], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1 and "refuted (proved)" in proc.stdout


def test_build_stage_writes_seed_report(tmp_path, monkeypatch):
    assert artifacts.seeds_path().name == "seeds.toml"
    claims = write(tmp_path, BAD, "seeds.toml")
    monkeypatch.setattr(artifacts, "seeds_path", lambda: claims)
    seen = []
    out = tmp_path / "gen"
    out.mkdir()
    files = artifacts.write(out, lambda done, total, label: seen.append((done, total)))
    assert files == [out / "seed_claims.md"]
    assert seen[-1] == (3, 3)
    first = files[0].read_bytes()
    artifacts.write(out, lambda *a: None)
    assert files[0].read_bytes() == first
    assert str(tmp_path) not in first.decode()


def test_missing_seeds_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(artifacts, "__file__", str(tmp_path / "a" / "b" / "artifacts.py"))
    with pytest.raises(Exception, match="claims/seeds.toml not found"):
        artifacts.seeds_path()
