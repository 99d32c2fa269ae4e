"""The catalog: every entry evaluates to an independent reference; names, parameters, metadata."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import sympy as sp

import symact
from symact import catalog

mp.mp.dps = 30

SELU_L = mp.mpf("1.0507009873554804934193349852946")
SELU_A = mp.mpf("1.6732632423543772848170429916717")


def _sig(t):
    return 1 / (1 + mp.exp(-t))


def _sp(t):
    return mp.log1p(mp.exp(t))


# Independent references, written from the papers' formulas with mpmath (defaults bound).
REFERENCE = {
    "absolute": lambda t: abs(t),
    "acon_c": lambda t: t * _sig(t),
    "apl": lambda t: max(0, t) - mp.mpf(1) / 5 * max(0, -t) + mp.mpf(1) / 10 * max(0, -t - 1),
    "arctan": mp.atan,
    "bent_identity": lambda t: (mp.sqrt(t * t + 1) - 1) / 2 + t,
    "celu": lambda t: t if t > 0 else mp.expm1(t),
    "cos": mp.cos,
    "elu": lambda t: t if t > 0 else mp.expm1(t),
    "exponential": mp.exp,
    "gaussian": lambda t: mp.exp(-t * t),
    "gelu": lambda t: t * mp.ncdf(t),
    "gelu_tanh": lambda t: t / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (t + mp.mpf("0.044715")
                                                                          * t**3))),
    "hard_sigmoid_legacy": lambda t: min(max(mp.mpf("0.2") * t + mp.mpf("0.5"), 0), 1),
    "hardshrink": lambda t: t if abs(t) > 0.5 else 0,
    "hardsigmoid": lambda t: min(max(t + 3, 0), 6) / 6,
    "hardswish": lambda t: t * min(max(t + 3, 0), 6) / 6,
    "hardtanh": lambda t: min(max(t, -1), 1),
    "identity": lambda t: t,
    "isrlu": lambda t: t if t >= 0 else t / mp.sqrt(1 + t * t),
    "isru": lambda t: t / mp.sqrt(1 + t * t),
    "leaky_relu": lambda t: t if t > 0 else mp.mpf("0.01") * t,
    "leaky_relu6": lambda t: min(t, 6) if t > 0 else mp.mpf("0.01") * t,
    "lecun_tanh": lambda t: mp.mpf("1.7159") * mp.tanh(2 * t / 3),
    "loglog": lambda t: 1 - mp.exp(-mp.exp(t)),
    "logsigmoid": lambda t: mp.log(_sig(t)),
    "mish": lambda t: t * mp.tanh(_sp(t)),
    "prelu": lambda t: t if t > 0 else t / 4,
    "relu": lambda t: max(t, 0),
    "relu6": lambda t: min(max(t, 0), 6),
    "rrelu": lambda t: t if t > 0 else (mp.mpf(1) / 8 + mp.mpf(1) / 3) / 2 * t,
    "selu": lambda t: SELU_L * (t if t > 0 else SELU_A * mp.expm1(t)),
    "sigmoid": _sig,
    "signum": mp.sign,
    "silu": lambda t: t * _sig(t),
    "sinc": lambda t: mp.sin(t) / t if t != 0 else mp.mpf(1),
    "sinusoid": mp.sin,
    "snake": lambda t: t + mp.sin(t) ** 2,
    "soft_exponential": lambda t: mp.expm1(t / 2) * 2 + mp.mpf(1) / 2,
    "softplus": _sp,
    "softshrink": lambda t: t - 0.5 if t > 0.5 else (t + 0.5 if t < -0.5 else 0),
    "softsign": lambda t: t / (1 + abs(t)),
    "sparse_plus": lambda t: 0 if t <= -1 else (t if t >= 1 else (t + 1) ** 2 / 4),
    "sparse_sigmoid": lambda t: min(max((t + 1) / 2, 0), 1),
    "sqnl": lambda t: (1 if t > 2 else t - t * t / 4 if t >= 0 else t + t * t / 4 if t >= -2
                       else -1),
    "squareplus": lambda t: (t + mp.sqrt(t * t + 4)) / 2,
    "srelu": lambda t: (-1 + (t + 1) / 10 if t <= -1 else 1 + (t - 1) / 10 if t >= 1 else t),
    "step": lambda t: 1 if t >= 0 else 0,
    "swish": lambda t: t * _sig(t),
    "symmetric_sigmoid": lambda t: mp.tanh(t / 2),
    "tanh": mp.tanh,
    "tanhshrink": lambda t: t - mp.tanh(t),
    "threshold": lambda t: t if t > 1 else 0,
}

POINTS = ["-7.5", "-3", "-2.5", "-1", "-0.5", "-0.125", "0", "0.3", "0.5", "1", "2", "3",
          "6", "11.25"]


def scalar_names():
    return [n for n in symact.names() if not symact.get(n).is_vector]


def test_catalog_size_and_kinds():
    assert len(symact.names()) >= 55
    assert symact.names() == sorted(symact.names())
    vectors = {n for n in symact.names() if symact.get(n).is_vector}
    assert vectors == {"softmax", "softmin", "log_softmax", "glu"}


def test_every_scalar_entry_has_an_independent_reference():
    assert set(REFERENCE) == set(scalar_names())


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_entry_matches_reference(name):
    act = symact.get(name)
    for p in POINTS:
        got = act.evaluate(sp.Rational(p), dps=30)
        want = mp.mpf(REFERENCE[name](mp.mpf(p)))
        assert abs(got - want) <= mp.mpf("1e-25") * max(1, abs(want)), (name, p, got, want)


def test_values_quoted_in_the_seeds():
    assert float(symact.get("sigmoid").evaluate(4)) == pytest.approx(0.982, abs=5e-4)
    assert float(symact.get("tanh").evaluate(-0.567)) == pytest.approx(-0.5131, abs=1e-4)  # truncated in seed


def test_selu_constants_are_exact_closed_forms():
    from symact.catalog.smooth import SELU_ALPHA, SELU_SCALE

    assert abs(mp.mpf(str(sp.N(SELU_ALPHA, 40))) - SELU_A) < mp.mpf("1e-28")
    assert abs(mp.mpf(str(sp.N(SELU_SCALE, 40))) - SELU_L) < mp.mpf("1e-28")
    assert not SELU_ALPHA.is_Float and not SELU_SCALE.is_Float


def test_vector_activations_components():
    xs = [mp.mpf("0.3"), mp.mpf("-1.2"), mp.mpf("2.5"), mp.mpf("0")]
    total = sum(mp.exp(v) for v in xs)
    cases = {
        "softmax": [mp.exp(v) / total for v in xs],
        "softmin": [mp.exp(-v) / sum(mp.exp(-w) for w in xs) for v in xs],
        "log_softmax": [v - mp.log(total) for v in xs],
        "glu": [xs[0] * _sig(xs[2]), xs[1] * _sig(xs[3])],
    }
    for name, want in cases.items():
        syms, out = symact.get(name).vector.build(len(xs))
        got = out.subs({s: sp.Float(str(v), 30) for s, v in zip(syms, xs, strict=True)})
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert abs(mp.mpf(str(sp.N(g, 30))) - w) < mp.mpf("1e-25"), name


def test_glu_needs_even_length():
    with pytest.raises(symact.AnalysisError, match="odd"):
        symact.get("glu").vector.build(3)


def test_names_and_aliases_unique():
    seen: dict[str, str] = {}
    for act in symact.activations():
        for n in act.all_names:
            assert n == n.lower() and " " not in n
            assert n not in seen, f"{n} used by {seen.get(n)} and {act.name}"
            seen[n] = act.name


def test_aliases_resolve():
    assert symact.get("swish_1").name == "silu"
    assert symact.get("Hard-Swish").name == "hardswish"
    assert symact.get("logistic").name == "sigmoid"


def test_every_entry_has_metadata():
    for act in symact.activations():
        assert act.reference and act.description, act.name
        assert act.x == sp.Symbol("x", real=True)
        assert set(act.defaults) == set(act.params), act.name
        for name, sym in act.params.items():
            assert sym.is_real and str(sym) == name
        if not act.is_vector:
            assert act.expr.free_symbols <= {act.x, *act.params.values()}, act.name


# PyTorch's torch.nn.functional signatures (docs of PyTorch 2.x): name -> {param: default}.
TORCH = {
    "relu": {}, "relu6": {}, "selu": {}, "sigmoid": {}, "tanh": {}, "silu": {}, "mish": {},
    "hardswish": {}, "hardsigmoid": {}, "logsigmoid": {}, "tanhshrink": {}, "softsign": {},
    "gelu": {}, "glu": {}, "softmax": {}, "softmin": {}, "log_softmax": {},
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "leaky_relu": {"negative_slope": 0.01},
    "softplus": {"beta": 1.0},
    "hardtanh": {"min_val": -1.0, "max_val": 1.0},
    "rrelu": {"lower": 1 / 8, "upper": 1 / 3},
    "softshrink": {"lambd": 0.5},
    "hardshrink": {"lambd": 0.5},
    "threshold": {"threshold": None, "value": None},
    "prelu": {"weight": None},
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_pytorch_names_parameters_and_defaults(name):
    act = symact.get(name)
    assert "torch" in act.frameworks, name
    assert set(act.params) == set(TORCH[name]), name
    for p, default in TORCH[name].items():
        if default is not None:
            assert float(act.defaults[p]) == pytest.approx(default, rel=1e-15), (name, p)
        assert act.frameworks["torch"].params.get(p) == p


def test_softplus_threshold_is_not_part_of_the_definition():
    act = symact.get("softplus")
    assert "threshold" not in act.params
    assert "threshold" in act.frameworks["torch"].note


def test_every_function_of_the_three_frameworks_is_in_the_catalog():
    calls = {fw: set() for fw in ("torch", "jax", "keras")}
    for act in symact.activations():
        for fw, ref in act.frameworks.items():
            calls[fw].add(ref.call.split("(")[0].rsplit(".", 1)[-1])
    jax_nn = {"celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
              "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu", "sigmoid",
              "silu", "swish", "soft_sign", "softmax", "softplus", "sparse_plus",
              "sparse_sigmoid", "squareplus", "mish", "identity", "tanh"}
    keras = {"celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
             "hard_silu", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax",
             "mish", "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax",
             "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "squareplus", "tanh",
             "tanh_shrink", "threshold", "swish"}
    for name in TORCH:
        assert symact.get(name).frameworks.get("torch"), name
    missing_jax = {f for f in jax_nn if f not in calls["jax"]}
    missing_keras = {f for f in keras if f not in calls["keras"]}
    # hard_silu / hard_swish are one function; the catalog records one spelling each framework.
    assert missing_jax <= {"hard_silu"}, missing_jax
    assert missing_keras <= set(), missing_keras


def test_bind_substitutes_and_validates():
    elu = symact.get("elu")
    bound = elu.bind(alpha=2)
    assert "alpha" not in bound.params and bound.bound["alpha"] == 2
    assert float(bound.evaluate(-1)) == pytest.approx(2 * math.expm1(-1))
    assert elu.bind().bound == {"alpha": 1}
    assert symact.get("leaky_relu", negative_slope=0.2).bound["negative_slope"] == sp.Rational(
        1, 5)
    with pytest.raises(symact.ParameterError, match="alpha.*> 0"):
        elu.bind(alpha=-1)
    with pytest.raises(symact.ParameterError, match="unknown parameter 'beta'"):
        elu.bind(beta=1)
    with pytest.raises(symact.ParameterError, match="not a number"):
        elu.bind(alpha="abc")
    with pytest.raises(symact.ParameterError, match="finite"):
        elu.bind(alpha=float("inf"))
    with pytest.raises(symact.ParameterError, match="constraint"):
        symact.get("hardtanh", min_val=2, max_val=1)
    with pytest.raises(symact.ParameterError, match="already bound"):
        elu.bind(alpha=2).bind(alpha=3)
    partial = symact.get("hardtanh", min_val=-2)
    assert set(partial.params) == {"max_val"}
    assert float(partial.evaluate(-5)) == -2.0


def test_unknown_activation_suggests_close_names():
    with pytest.raises(symact.UnknownActivation) as info:
        symact.get("sigmod")
    assert "sigmoid" in str(info.value)
    assert isinstance(info.value, KeyError)
    with pytest.raises(symact.UnknownActivation):
        symact.get(3)  # type: ignore[arg-type]


def test_catalog_is_immutable():
    act = symact.get("elu")
    with pytest.raises(TypeError):
        act.params["beta"] = sp.Symbol("beta")  # type: ignore[index]
    assert catalog.get("elu") is act
