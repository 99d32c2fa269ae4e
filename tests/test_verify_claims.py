"""Claims files: parsing, validation and clear errors (claim, line and key named)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp

from symact import ClaimError
from symact.verify.claims import KINDS, load, parse_text
from symact.verify.intervals import PointwiseBounds

ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = ROOT.parent / "shared" / "seeds"


def _error(text: str) -> str:
    with pytest.raises(ClaimError) as info:
        parse_text(text, "c.toml")
    return str(info.value)


def test_valid_file_parses_every_kind():
    text = """
title = "t"
[[claim]]
activation = "sigmoid"
equals = "1/(1 + exp(-x))"
[[claim]]
activation = "tanh"
derivative_equals = "1 - f**2"
[[claim]]
activation = "elu"
params = {alpha = 2}
range = "(-alpha, oo)"
[[claim]]
activation = "softsign"
parity = "odd"
[[claim]]
activation = "relu"
monotonic = "non-decreasing"
[[claim]]
activation = "softsign"
continuity = 1
[[claim]]
activation = "tanh"
identity_near_origin = true
[[claim]]
activation = "relu6"
bounded = true
[[claim]]
activation = "sigmoid"
limit = {at = "oo", value = "1"}
[[claim]]
activation = "sigmoid"
value = {at = 4, value = 0.982, tolerance = 5e-4}
[[claim]]
expr = "x*sigmoid(beta*x)"
params = {beta = 1}
max_derivative = "1.1"
[[claim]]
activation = "silu"
inequality = "f <= relu(x)"
note = "somewhere"
"""
    claims, title = parse_text(text)
    assert title == "t"
    assert [c.kind for c in claims] == list(KINDS)
    elu = claims[2]
    assert elu.data["set"] == sp.Interval.open(-2, sp.oo)
    assert elu.label == "elu[alpha=2]"
    assert claims[-1].note == "somewhere"
    assert claims[9].data["tolerance"] == sp.Rational(5, 10000)
    assert [c.line for c in claims][:2] == [3, 6]


def test_implied_tolerance_is_half_a_unit_in_the_last_decimal():
    claims, _ = parse_text('[[claim]]\nactivation = "sigmoid"\nvalue = {at = -3, value = 0.0474}')
    assert claims[0].data["tolerance"] == sp.Rational(5, 10**5)
    claims, _ = parse_text('[[claim]]\nactivation = "sigmoid"\nvalue = {at = 0, value = "1/2"}')
    assert claims[0].data["tolerance"] == 0


def test_range_with_an_end_depending_on_x_is_read_pointwise():
    claims, _ = parse_text('[[claim]]\nactivation = "relu"\nrange = "[0, x)"')
    bounds = claims[0].data["set"]
    assert isinstance(bounds, PointwiseBounds)
    assert (bounds.lo, bounds.lo_open, bounds.hi_open) == (0, False, True)


def test_list_of_dicts_is_accepted():
    claims, _ = load([{"activation": "relu", "bounded": False}])
    assert claims[0].kind == "bounded" and claims[0].line is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[claim]]\nactivation = "relu"\n\n\nranges = "[0, oo)"',
         r"c\.toml:5: claim #1 \(\[\[claim\]\] at line 1\), key 'ranges': unknown key 'ranges' "
         r"\(did you mean 'range'\?\)"),
        ('[[claim]]\nactivation = "relu"\nbounded = true\n[[claim]]\nactivation = "relu"\n'
         'parity = "odd"\nmonotonic = "none"',
         r"c\.toml:4: claim #2 .*exactly one claim key is required \(found: parity, monotonic\)"),
        ('[[claim]]\nactivation = "relu"\nnote = "no claim"',
         r"claim #1 .*exactly one claim key is required \(found: none\)"),
        ('[[claim]]\nactivation = "reluu"\nbounded = true',
         r"c\.toml:2: claim #1 .*key 'activation': unknown activation 'reluu'"),
        ('[[claim]]\nactivation = "relu"\nexpr = "x"\nbounded = true',
         r"exactly one of 'activation' .* or 'expr'"),
        ('[[claim]]\nactivation = "elu"\nparams = {beta = 2}\nbounded = true',
         r"c\.toml:3: .*key 'params': .*unknown parameter 'beta'"),
        ('[[claim]]\nactivation = "relu"\n\nequals = "__import__(\'os\')"',
         r"c\.toml:4: claim #1 .*key 'equals': names starting with '_' are not allowed"),
        ('[[claim]]\nactivation = "relu"\nequals = "x.real"',
         r"key 'equals': attribute access is not allowed"),
        ('[[claim]]\nactivation = "relu"\nrange = "[0, 1"',
         r"key 'range': .* is not interval notation"),
        ('[[claim]]\nactivation = "relu"\nrange = "(1, 0)"',
         r"key 'range': .*lower end exceeds the upper end"),
        ('[[claim]]\nactivation = "relu"\nrange = "[0, oo]"',
         r"infinite end must be open"),
        ('[[claim]]\nactivation = "relu"\nrange = "(0, y)"',
         r"key 'range': unknown symbol 'y'"),
        ('[[claim]]\nactivation = "relu"\nparity = "oddish"',
         r"key 'parity': \"oddish\" is not one of even, odd, neither"),
        ('[[claim]]\nactivation = "relu"\ncontinuity = 1.5',
         r"key 'continuity': continuity must be an integer"),
        ('[[claim]]\nactivation = "relu"\nbounded = "yes"',
         r"key 'bounded': bounded must be true or false"),
        ('[[claim]]\nactivation = "relu"\nlimit = {at = "oo"}',
         r"key 'limit': missing field 'value'"),
        ('[[claim]]\nactivation = "relu"\nvalue = {at = 1, value = 1, tol = 1}',
         r"key 'value': unknown field 'tol'"),
        ('[[claim]]\nactivation = "relu"\ninequality = "f + 1"',
         r"key 'inequality': .*is not a comparison"),
        ('[[claim]]\nactivation = "relu"\nequals = "f"',
         r"key 'equals': unknown symbol 'f'"),
        ('[[claim]]\nactivation = "relu"\nnote = 3\nbounded = true', r"key 'note': note must be"),
        ('[[claim]]\nactivation = "relu"\nbounded = true\n[other]\nx = 1',
         r"c\.toml:4: unknown top-level key 'other'"),
        ('[[claim]\nactivation = "relu"', r"c\.toml: not valid TOML: .*line 1"),
        ('title = "only a title"', r"no \[\[claim\]\] tables"),
    ],
)
def test_malformed_files_name_line_and_key(text, expected):
    assert re.search(expected, _error(text)), _error(text)


def test_missing_file_is_a_claim_error(tmp_path):
    with pytest.raises(ClaimError, match="not found"):
        load(tmp_path / "nope.toml")


def test_list_input_errors_name_the_claim():
    with pytest.raises(ClaimError, match=r"^claim #2, key 'parity': "):
        load([{"activation": "relu", "bounded": False},
              {"activation": "relu", "parity": "weird"}])


def test_seed_claims_cover_every_seed_document():
    claims, title = load(ROOT / "claims" / "seeds.toml")
    assert title and len(claims) >= 100
    assert all(c.note for c in claims), "every seed claim names its source"
    docs = sorted(p.name for p in SEEDS_DIR.glob("*.txt")) or [
        "000_839cbd39511f6501.txt", "001_3806eb56b313209b.txt", "002_6df67513e8dc84d5.txt",
        "003_9066dacfc0ab95e2.txt", "004_25ac74b36df546df.txt"]
    for doc in docs:
        assert sum(c.note.startswith(doc) for c in claims) >= 5, doc
    assert all(any(c.note.startswith(d) for d in docs) for c in claims)
    assert set(KINDS) <= {c.kind for c in claims}
