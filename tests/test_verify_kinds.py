"""Every claim kind: right claims confirmed, wrong ones refuted with a correct counterexample
(re-checked here independently with mpmath), parameter-dependent claims decided for the given
params, disagreement between engine and numeric check reported as undecided, and time-budget
expiry reported as undecided, never as a wrong verdict."""

from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

import symact
from symact.analysis.facts import Fact
from symact.verify import engine

mp.mp.dps = 30


def one(claim: dict, budget: float | None = 20.0):
    (v,) = symact.verify([claim], budget=budget)
    return v


def x_of(v) -> mp.mpf:
    return mp.mpf(v.counterexample["x"])


def f_at(name: str, t, **params):
    return symact.get(name, **params).evaluate(sp.Rational(mp.nstr(t, 25)), dps=30)


# ------------------------------------------------------------------------------ equals
def test_equals_confirmed_by_proof():
    v = one({"activation": "symmetric_sigmoid", "equals": "tanh(x/2)"})
    assert (v.verdict, v.status) == ("confirmed", "proved")
    assert v.activation == "symmetric_sigmoid" and v.claim == 'equals = "tanh(x/2)"'


def test_equals_refuted_with_counterexample():
    v = one({"activation": "relu", "equals": "x"})
    assert v.verdict == "refuted"
    t = x_of(v)
    assert t < 0
    assert f_at("relu", t) == 0 != t
    assert mp.mpf(v.counterexample["value"]) == 0
    assert mp.mpf(v.counterexample["claimed"]) == t


def test_equals_detects_a_difference_at_a_single_point():
    # relu' (kink convention: 0 at 0) differs from step (1 at 0) only at x = 0
    v = one({"activation": "relu", "derivative_equals": "step(x)"})
    assert v.verdict == "refuted" and v.status == "proved"
    assert v.counterexample == {"x": "0", "value": "0", "claimed": "1"}


# ------------------------------------------------------------------------------ derivative
def test_derivative_equals_through_the_output():
    v = one({"activation": "sigmoid", "derivative_equals": "f*(1 - f)"})
    assert (v.verdict, v.status) == ("confirmed", "proved")


def test_derivative_equals_refuted_names_true_derivative():
    v = one({"activation": "tanh", "derivative_equals": "1 - f"})
    assert v.verdict == "refuted" and "true derivative" in v.detail
    t = x_of(v)
    true = 1 - mp.tanh(t) ** 2
    assert abs(mp.mpf(v.counterexample["value"]) - true) < 1e-10
    assert abs(true - (1 - mp.tanh(t))) > 1e-6


# ------------------------------------------------------------------------------ range
def test_range_confirmed_and_refuted_with_true_range():
    assert one({"activation": "relu", "range": "[0, oo)"}).verdict == "confirmed"
    v = one({"activation": "signum", "range": "[-1, 1]"})
    assert (v.verdict, v.status) == ("refuted", "proved")
    assert "{-1, 0, 1}" in v.detail


def test_range_refuted_by_a_value_outside():
    v = one({"activation": "relu6", "range": "[0, 5]"})
    assert v.verdict == "refuted"
    assert "[0, 6]" in v.detail
    t = x_of(v)
    assert f_at("relu6", t) > 5


def test_range_union():
    v = one({"activation": "hardshrink", "range": "(-oo, -0.5) U {0} U (0.5, oo)"})
    assert v.verdict == "confirmed"
    v = one({"activation": "hardshrink", "range": "(-oo, -0.5) U {0}"})
    assert v.verdict == "refuted" and "(0.5, oo)" in v.detail
    assert f_at("hardshrink", x_of(v)) > 0.5


def test_range_with_parameters_decided_for_the_given_params():
    assert one({"activation": "elu", "params": {"alpha": 2}, "range": "(-alpha, oo)"}
               ).verdict == "confirmed"
    v = one({"activation": "elu", "params": {"alpha": 2}, "range": "(-1, oo)"})
    assert v.verdict == "refuted"
    assert f_at("elu", x_of(v), alpha=2) <= -1


def test_range_with_an_end_in_x_is_refuted_pointwise():
    v = one({"activation": "relu", "range": "[0, x)"})
    assert v.verdict == "refuted" and "pointwise" in v.detail
    t = x_of(v)
    value = f_at("relu", t)
    assert not (0 <= value < t)


# ------------------------------------------------------------------------------ parity
def test_parity():
    assert one({"activation": "softsign", "parity": "odd"}).verdict == "confirmed"
    assert one({"activation": "relu", "parity": "neither"}).verdict == "confirmed"
    v = one({"activation": "elu", "parity": "odd"})
    assert v.verdict == "refuted"
    t = x_of(v)
    assert abs(f_at("elu", t) + f_at("elu", -t)) > 1e-6


# ------------------------------------------------------------------------------ monotonic
def test_monotonic_strictness():
    assert one({"activation": "relu", "monotonic": "non-decreasing"}).verdict == "confirmed"
    assert one({"activation": "leaky_relu", "monotonic": "non-decreasing"}).verdict == \
        "confirmed"  # strictly increasing implies non-decreasing
    v = one({"activation": "relu", "monotonic": "increasing"})
    assert v.verdict == "refuted"
    a, b = (mp.mpf(s) for s in v.counterexample["x"].split(" < "))
    assert a < b and f_at("relu", a) >= f_at("relu", b)


def test_monotonic_refuted_by_a_decrease():
    v = one({"activation": "prelu", "params": {"weight": -1}, "monotonic": "non-decreasing"})
    assert v.verdict == "refuted"
    a, b = (mp.mpf(s) for s in v.counterexample["x"].split(" < "))
    assert f_at("prelu", a, weight=-1) > f_at("prelu", b, weight=-1)


# ------------------------------------------------------------------------------ continuity
def test_continuity():
    assert one({"activation": "relu", "continuity": 0}).verdict == "confirmed"
    assert one({"activation": "softsign", "continuity": "exactly 1"}).verdict == "confirmed"
    v = one({"activation": "relu", "continuity": -1})
    assert v.verdict == "refuted" and "C^0" in v.detail
    v = one({"activation": "step", "continuity": 0})
    assert v.verdict == "refuted" and v.counterexample["x"] == "0"
    v = one({"activation": "softsign", "continuity": 2})
    assert v.verdict == "refuted" and v.counterexample["x"] == "0"


# ------------------------------------------------------------------------------ origin, bounds
def test_identity_near_origin():
    assert one({"activation": "hardtanh", "identity_near_origin": True}).verdict == "confirmed"
    v = one({"activation": "relu", "identity_near_origin": True})
    assert v.verdict == "refuted" and "f'(0) = 0" in v.detail


def test_bounded():
    assert one({"activation": "relu6", "bounded": True}).verdict == "confirmed"
    v = one({"activation": "relu", "bounded": True})
    assert v.verdict == "refuted" and v.status == "proved"


# ------------------------------------------------------------------------------ limits, values
def test_limit():
    v = one({"activation": "relu", "limit": {"at": "oo", "value": "oo"}})
    assert (v.verdict, v.status) == ("confirmed", "proved")
    v = one({"activation": "step", "limit": {"at": "-oo", "value": "1"}})
    assert v.verdict == "refuted" and "is 0" in v.detail
    v = one({"activation": "elu", "limit": {"at": "-oo", "value": "0", "of": "df"}})
    assert v.verdict == "confirmed"


def test_limit_at_a_point_needs_both_sides():
    v = one({"activation": "step", "limit": {"at": 0, "value": "1"}})
    assert (v.verdict, v.status) == ("refuted", "proved")
    assert "from the left is 0, from the right 1" in v.detail
    assert one({"activation": "sinc", "limit": {"at": 0, "value": "1"}}).verdict == "confirmed"
    v = one({"activation": "softsign", "limit": {"at": 0, "value": "1", "of": "df"}})
    assert v.verdict == "confirmed"


def test_value_with_tolerance_and_exact():
    v = one({"activation": "sigmoid", "value": {"at": 4, "value": 0.982}})
    assert v.verdict == "confirmed" and "0.98201" in v.detail
    v = one({"activation": "tanh", "value": {"at": -0.567, "value": -0.5131}})
    assert v.verdict == "refuted"
    assert abs(mp.mpf(v.counterexample["value"]) - mp.tanh(mp.mpf("-0.567"))) < 1e-9
    v = one({"activation": "step", "value": {"at": 0, "value": 0}})
    assert (v.verdict, v.status) == ("refuted", "proved")
    assert v.counterexample == {"x": "0", "value": "1", "claimed": "0"}


def test_max_derivative():
    v = one({"activation": "hardtanh", "max_derivative": "1"})
    assert v.verdict == "confirmed"
    v = one({"activation": "hardtanh", "max_derivative": "1/2"})
    assert v.verdict == "refuted"
    t = x_of(v)
    assert -1 < t < 1  # where hardtanh' = 1 > 1/2


# ------------------------------------------------------------------------------ inequality
def test_inequality():
    v = one({"activation": "leaky_relu", "inequality": "f <= relu(x)"})
    assert (v.verdict, v.status) == ("confirmed", "proved")
    v = one({"activation": "relu", "inequality": "f <= x"})
    assert v.verdict == "refuted"
    t = x_of(v)
    assert f_at("relu", t) > t
    v = one({"activation": "relu", "inequality": "d2f == 0"})
    assert v.verdict == "confirmed"


def test_claimed_expression_undefined_somewhere_is_refuted():
    v = one({"activation": "relu", "equals": "sqrt(-1 - x**2)"})
    assert (v.verdict, v.status) == ("refuted", "proved")
    assert v.counterexample["claimed"] == "undefined"
    v = one({"activation": "relu", "inequality": "f <= log(x)"})
    assert v.verdict == "refuted" and mp.mpf(v.counterexample["x"]) <= 0


def test_inequality_not_equal_finds_a_root():
    v = one({"activation": "gelu", "inequality": "df != 0"})
    assert v.verdict == "refuted"
    t = x_of(v)
    assert abs(t - mp.mpf("-0.7517915247")) < 1e-8  # gelu's minimum


def test_inequality_tight_near_a_maximum_is_refuted():
    # |f''| of LeCun's tanh peaks at x ~ 0.988, not at x = 1 (within 1e-4 of f''(1))
    bound = "abs(-1.7159*8/9*tanh(2/3)*(1 - tanh(2/3)**2))"
    v = one({"activation": "lecun_tanh", "inequality": f"abs(d2f) <= {bound}"})
    assert v.verdict == "refuted"
    assert abs(abs(x_of(v)) - mp.mpf("0.98771842")) < 1e-6


# ------------------------------------------------------------------------------ parameters
def test_claim_true_only_for_some_parameter_values():
    formula = "max(x, weight*x)"
    assert one({"activation": "prelu", "params": {"weight": 0.5}, "equals": formula}
               ).verdict == "confirmed"
    v = one({"activation": "prelu", "params": {"weight": 2}, "equals": formula})
    assert v.verdict == "refuted" and v.activation == "prelu[weight=2]"
    t = x_of(v)
    assert f_at("prelu", t, weight=2) != max(t, 2 * t)
    assert one({"activation": "leaky_relu", "params": {"negative_slope": 1}, "equals": "x"}
               ).verdict == "confirmed"
    assert one({"activation": "leaky_relu", "equals": "x"}).verdict == "refuted"


def test_user_expression_claims():
    v = one({"expr": "x*tanh(softplus(x))", "equals": "mish(x)"})
    assert v.verdict == "confirmed"
    v = one({"expr": "a*x", "params": {"a": 3}, "derivative_equals": "a"})
    assert (v.verdict, v.status) == ("confirmed", "proved")


# ------------------------------------------------------------------------------ soundness
def test_engine_numeric_contradiction_is_undecided(monkeypatch):
    """A wrong analysis fact never becomes a verdict: the numeric check contradicts it."""
    real = engine.fact

    def lying(act, name, budget):
        if name == "range":
            return Fact(sp.Interval(0, 1), "proved", "wrong on purpose"), ""
        if name == "continuity":
            return Fact(sp.oo, "proved", "wrong on purpose"), ""
        return real(act, name, budget)

    monkeypatch.setattr(engine, "fact", lying)
    v = one({"activation": "relu6", "range": "[0, 1]"})
    assert v.verdict == "undecided" and "contradiction" in v.detail
    v = one({"activation": "step", "continuity": "oo"})
    assert v.verdict == "undecided" and "contradiction" in v.detail


def test_without_analysis_engine_claims_fall_back_to_numeric(monkeypatch):
    monkeypatch.setattr(engine, "properties", lambda act, budget: (None, "disabled"))
    v = one({"activation": "softsign", "max_derivative": "1"})
    assert (v.verdict, v.status) == ("confirmed", "numeric")
    v = one({"activation": "relu", "monotonic": "increasing"})
    assert (v.verdict, v.status) == ("refuted", "numeric")
    v = one({"activation": "relu", "continuity": -1})
    assert v.verdict == "refuted"


HARD = "exp(exp(exp(sin(x)**7 + cos(x**3))))*erf(tanh(x**5 + 1))**9 + log1p(exp(x**11))"


@pytest.mark.parametrize("claim", [
    {"expr": HARD, "equals": "x"},
    {"expr": HARD, "range": "(0, oo)"},
    {"expr": HARD, "inequality": "f >= 0"},
    {"expr": HARD, "max_derivative": "1"},
    {"expr": HARD, "monotonic": "increasing"},
    {"expr": HARD, "parity": "odd"},
])
def test_tiny_budget_gives_undecided_never_wrong(claim):
    v = one(claim, budget=0.002)
    assert v.verdict == "undecided" and v.status is None
    assert "timed out" in v.detail


# ------------------------------------------------------------------------------ seed claims
WRONG_SEED_CLAIMS = {
    ("signum", 'range = "[-1, 1]"'): "{-1, 0, 1}",
    ("relu", 'range = "[0, x)"'): "at x = 0",
    ("relu", "continuity = -1"): "C^0",
    ("step", "value = {at = 0, value = 0}"): "f(0) = 1",
    ("tanh", "value = {at = -0.567, value = -0.5131}"): "-0.51315",
    ("prelu[weight=2]", 'equals = "max(x, weight*x)"'): "at x = 1",
    ("gelu", 'inequality = "df != 0"'): "-0.75179",
    ("selu", 'value = {at = "-oo", value = "-1.0507*1.6726", tolerance = 5e-05}'): "-1.7580993",
}


def test_wrong_seed_claims_are_refuted_with_the_truth():
    from pathlib import Path

    from symact.verify import check, load

    claims, _ = load(Path(__file__).resolve().parents[1] / "claims" / "seeds.toml")
    chosen = [c for c in claims if (c.label, c.text) in WRONG_SEED_CLAIMS]
    assert len(chosen) == len(WRONG_SEED_CLAIMS)
    for claim in chosen:
        v = check(claim)
        assert v.verdict == "refuted", (claim.text, v.detail)
        assert WRONG_SEED_CLAIMS[(claim.label, claim.text)] in v.detail, v.detail
