"""Known values from issue 3, derivatives, vector properties, domains and the time budget."""

from __future__ import annotations

import time

import pytest
import sympy as sp

import symact
from symact.analysis import (
    BudgetExceeded,
    analyze,
    analyze_catalog,
    derivative,
    format_properties,
    time_budget,
)
from symact.budget import attempt
from symact.errors import AnalysisError
from symact.model import Activation

x = sp.Symbol("x", real=True)


@pytest.fixture(scope="module")
def results() -> dict:
    return analyze_catalog(jobs=2)


def close(a, b, digits=12) -> bool:
    return abs(sp.N(a, 30) - sp.N(b, 30)) < sp.Float(10) ** -digits


@pytest.mark.parametrize("name, expected", [
    ("sigmoid", sp.Interval.open(0, 1)),
    ("relu", sp.Interval(0, sp.oo)),
    ("hardtanh", sp.Interval(-1, 1)),
    ("elu", sp.Interval.open(-1, sp.oo)),
    ("tanh", sp.Interval.open(-1, 1)),
    ("step", sp.FiniteSet(0, 1)),
    ("signum", sp.FiniteSet(-1, 0, 1)),
    ("softsign", sp.Interval.open(-1, 1)),
    ("sinusoid", sp.Interval(-1, 1)),
])
def test_exact_ranges(results, name, expected):
    fact = results[name].range
    assert fact.status == "proved"
    assert fact.value == expected


def test_selu_range(results):
    fact = results["selu"].range
    assert fact.status == "proved"
    lam_alpha = -results["selu"].limits.value["-oo"]
    assert fact.value.left_open and close(fact.value.inf, -lam_alpha)
    assert close(fact.value.inf, -1.7580993408473766, 14)
    assert fact.value.sup == sp.oo


def test_silu_minimum_closed_form(results):
    fact = results["silu"].range
    assert fact.status == "proved"
    assert not fact.value.left_open
    assert sp.simplify(fact.value.inf + sp.LambertW(sp.exp(-1))) == 0


@pytest.mark.parametrize("name, minimum", [
    ("gelu", "-0.16997120747990647"),
    ("mish", "-0.30884341301725040663"),
    ("sinc", "-0.21723362821122166"),
])
def test_numeric_minima(results, name, minimum):
    fact = results[name].range
    assert fact.status == "numeric"
    assert abs(sp.N(fact.value.inf) - sp.Float(minimum)) < 1e-12
    assert not fact.value.left_open


@pytest.mark.parametrize("name, value, at", [
    ("sigmoid", sp.Rational(1, 4), [0]),
    ("tanh", sp.S.One, [0]),
    ("arctan", sp.S.One, [0]),
])
def test_max_gradient(results, name, value, at):
    fact = results[name].max_gradient
    assert fact.status == "proved"
    assert fact.value["value"] == value
    assert fact.value["at"] == at


def test_relu_moments(results):
    props = results["relu"]
    m = props.gaussian_moments
    assert m.status == "proved"
    assert sp.simplify(m.value["E[f]"] - 1 / sp.sqrt(2 * sp.pi)) == 0
    assert m.value["E[f^2]"] == sp.Rational(1, 2)
    assert m.value["E[f'^2]"] == sp.Rational(1, 2)
    assert props.init_gain.value == sp.sqrt(2)
    assert props.torch_gain.value == sp.sqrt(2)


def test_selu_self_normalising(results):
    m = results["selu"].gaussian_moments
    assert m.status == "proved"
    assert abs(sp.N(m.value["E[f]"], 40)) < 1e-30
    assert abs(sp.N(m.value["E[f^2]"], 40) - 1) < 1e-30
    assert results["selu"].torch_gain.value == sp.Rational(3, 4)


def test_parity_symmetry_identities(results):
    assert results["tanh"].parity.value == "odd"
    assert results["gaussian"].parity.value == "even"
    assert results["relu"].parity.value == "neither"
    assert results["sigmoid"].symmetry.value["point"] == (0, sp.S.Half)
    for name in ("softplus", "silu", "gelu"):
        assert sp.simplify(results[name].odd_even_identity.value - x) == 0, name


def test_monotonic_and_continuity(results):
    assert results["sigmoid"].monotonic.value == "increasing"
    assert results["relu"].monotonic.value == "non-decreasing"
    assert results["silu"].monotonic.value == "none"
    assert results["gaussian"].monotonic.value == "none"
    assert results["relu"].continuity.value == 0
    assert results["relu"].nondifferentiable_points.value == [0]
    assert results["step"].continuity.value == -1
    assert results["elu"].continuity.value == 1
    assert results["sqnl"].continuity.value == 1
    assert results["tanh"].continuity.value == sp.oo
    assert results["tanh"].identity_near_origin.value is True
    assert results["elu"].identity_near_origin.value is True
    assert results["relu"].identity_near_origin.value is False


def test_parameter_conditions(results):
    assert "alpha = 1" in results["elu"].parameter_conditions.value["continuity"]
    assert "weight >= 0" in results["prelu"].parameter_conditions.value["monotonic"].replace(
        "0 <= weight", "weight >= 0")


def test_parameter_conditions_with_parametric_breakpoints():
    from symact.analysis.params import parameter_conditions

    th = parameter_conditions(symact.get("threshold"), 20.0)
    assert th.status == "proved"
    assert th.value == {"continuity": "continuous iff threshold = value",
                        "monotonic": "non-decreasing iff threshold >= value"}
    sr = parameter_conditions(symact.get("srelu"), 20.0)
    assert sr.value["continuity"] == "C^1 iff a_l = 1 and a_r = 1 (for t_l < t_r)"
    assert "a_l >= 0 and a_r >= 0" in sr.value["monotonic"]
    for name in ("hardtanh", "softshrink", "hardshrink"):
        got = parameter_conditions(symact.get(name), 20.0)
        assert got.status == "proved" and got.value == {}, name
        assert "as at the defaults" in got.method
    apl = parameter_conditions(symact.get("apl"), 20.0)
    assert apl.status == "unknown" and "coincide at the defaults" in apl.method


def test_selu_through_output_is_exact(results):
    f = sp.Symbol("f", real=True)
    form = results["selu"].derivative_through_output
    assert form.status == "proved"
    low = form.value.args[0][0]  # x <= 0: f + lambda alpha
    lam_alpha = sp.Float("1.0507009873554804934193349852946", 40) * \
        sp.Float("1.6732632423543772848170429916717", 40)
    assert sp.diff(low, f) == 1
    assert abs(sp.N(low - f, 30) - lam_alpha) < 1e-25


def test_derivatives_and_through_output(results):
    assert derivative(symact.get("relu")) == sp.Piecewise((0, x <= 0), (1, True))
    sig = symact.get("sigmoid")
    f = sp.Symbol("f", real=True)
    assert sp.expand(results["sigmoid"].derivative_through_output.value - f * (1 - f)) == 0
    assert sp.expand(results["tanh"].derivative_through_output.value - (1 - f**2)) == 0
    elu = results["elu"].derivative_through_output.value
    assert elu.args[0][0] == f + 1
    d2 = sig.derivative(2)
    assert sp.simplify(d2 - sp.diff(sig.expr, x, 2)) == 0
    with pytest.raises(AnalysisError):
        derivative(sig, -1)


def test_vector_properties(results):
    sm = results["softmax"]
    assert sm.jacobian.status == "proved"
    assert sm.shift_invariance.value is True
    assert sm.simplex.value is True
    assert sm.jacobian_norm_bound.value == sp.Rational(1, 2)
    assert "sigmoid(x1 - x2)" in sm.scalar_relation.value
    assert results["glu"].shift_invariance.value is False
    assert results["log_softmax"].simplex.value is False


def test_format_properties(results):
    text = format_properties(results["sinc"])
    assert "Range" in text and "[numeric]" in text and "-0.2172336282" in text
    assert len(text.splitlines()) > 30


def test_domain_of_user_expressions():
    log_act = symact.define("log(x)", name="mylog")
    props = analyze(log_act, budget=5)
    assert props.domain.value == sp.Interval.open(0, sp.oo)
    assert props.range.value == sp.S.Reals or props.range.value == sp.Interval(-sp.oo, sp.oo)
    assert props.monotonic.value == "increasing"
    sq = analyze(symact.define("sqrt(x)", name="mysqrt"), budget=5)
    assert sq.domain.value == sp.Interval(0, sp.oo)
    assert sq.range.value == sp.Interval(0, sp.oo)


def test_time_budget_interrupts():
    start = time.monotonic()
    with pytest.raises(BudgetExceeded):
        with time_budget(0.3):
            while True:
                sp.factorint(2**200 + 1235)
    assert time.monotonic() - start < 3
    got = attempt(lambda: sp.integrate(sp.exp(sp.sin(x) ** 3 * sp.cos(x**2)), x), 0.5)
    assert not got and got.timed_out and "timed out" in got.reason


def test_pathological_expression_is_bounded():
    expr = sp.exp(sp.sin(x) ** 7 * sp.cos(x**3 + sp.tanh(x))) * sp.atan(x**5 - sp.erf(x))
    act = Activation(name="pathological", expr=expr, user_defined=True)
    start = time.monotonic()
    props = analyze(act, budget=0.5)
    elapsed = time.monotonic() - start
    assert elapsed < 90
    assert any("timed out" in f.method for f in props.facts().values()) or elapsed < 10


def test_budget_validation():
    with pytest.raises(AnalysisError):
        analyze(symact.get("relu"), budget=0)
    with pytest.raises(ValueError):
        with time_budget(-1):
            pass


def test_threaded_call_uses_a_process():
    import threading

    out = {}

    def run():
        out["p"] = analyze(symact.get("relu"), budget=5)

    t = threading.Thread(target=run)
    t.start()
    t.join(120)
    assert out["p"].range.value == sp.Interval(0, sp.oo)


def test_artifacts_deterministic(results, tmp_path):
    import json

    from symact.analysis import artifacts

    calls = []
    first = artifacts.write(tmp_path / "a", lambda d, t, label: calls.append((d, t)))
    second = artifacts.write(tmp_path / "b", lambda d, t, label: None)
    assert [p.name for p in first] == ["properties.json", "properties.md"]
    for p, q in zip(first, second, strict=True):
        assert p.read_bytes() == q.read_bytes()
    data = json.loads(first[0].read_text())
    assert set(data) == set(symact.names())
    assert data["relu"]["range"]["value"] == "Interval(0, oo)"
    md = first[1].read_text()
    assert "| `relu` |" in md and "†" in md and "Identity near origin" in md
    assert calls and calls[-1][0] == calls[-1][1]


def test_periodic_facts_are_families(results):
    from symact.analysis.facts import Periodic

    cos = results["cos"]
    assert cos.critical_points.status == "proved"
    (crit,) = cos.critical_points.value
    assert isinstance(crit, Periodic) and crit.base == 0 and crit.period == sp.pi
    inc = cos.monotonic_intervals.value["increasing"]
    assert cos.monotonic_intervals.status == "proved"
    assert [str(i) for i in inc] == ["Interval.open(pi, 2*pi) + 2*pi*k, k in Z"]
    snake = results["snake"]
    assert snake.monotonic.value == "increasing" and snake.monotonic.status == "proved"
    assert snake.extrema.value == [] and snake.extrema.status == "proved"
    assert results["sinusoid"].inflection_points.status == "proved"


def test_gaussian_moments_of_trigonometric_activations(results):
    mom = results["cos"].gaussian_moments
    assert mom.status == "proved"
    assert sp.simplify(mom.value["E[f]"] - sp.exp(-sp.Rational(1, 2))) == 0
    assert sp.simplify(mom.value["E[f^2]"] - (1 + sp.exp(-2)) / 2) == 0


def test_user_defined_log_and_sqrt_through_output():
    f = sp.Symbol("f", real=True)
    log = symact.define("log(x)", name="my_log").properties()
    assert log.domain.value == sp.Interval.open(0, sp.oo)
    assert log.derivative_through_output.value == sp.exp(-f)
    sq = symact.define("sqrt(x)", name="my_sqrt").properties()
    assert sp.simplify(sq.derivative_through_output.value - 1 / (2 * f)) == 0


def test_relu6_point_symmetry_off_the_origin(results):
    sym = results["relu6"].symmetry
    assert sym.status == "proved" and sym.value["point"] == (3, 3)
    assert results["relu6"].gaussian_moments.value["E[f]"] != 3  # E[f] uses only centre 0
