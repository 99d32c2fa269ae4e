"""Float32 kernels refined in float64 on the intervals where the float32 analysis rejects them
(``precision.float32_refine``, ``runtime._refine``)."""

from __future__ import annotations

import importlib
import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import symact
from symact.codegen import precision, runtime
from symact.codegen.emit import compile_outputs


def _program(expr: sp.Expr, x: sp.Symbol, monkeypatch) -> tuple:
    """(ops, results, signs) of the straight-line program of ``expr``."""
    seen = []
    real = precision.native_float32

    def spy(ops, results, signs=None, *args, **kwargs):
        seen.append((ops, results, signs))
        return real(ops, results, signs, *args, **kwargs)

    monkeypatch.setattr(precision, "native_float32", spy)
    compile_outputs([expr], x, [])
    monkeypatch.setattr(precision, "native_float32", real)
    return seen[0]


def test_cancellation_bounded_by_the_intervals(monkeypatch):
    """x - tanh(x): rejected on the whole line and near 0 (the difference cancels), accepted
    where the interval of the difference keeps away from 0 (amplification max|t| / min|sum|)."""
    x = sp.Symbol("x", real=True)
    ops, results, signs = _program(x - sp.tanh(x), x, monkeypatch)
    assert not precision.native_float32(ops, results, signs)
    assert not precision.native_float32(ops, results, signs, (-1.0, 1.0))
    assert not precision.native_float32(ops, results, signs, (1.0, 1.125))
    assert precision.native_float32(ops, results, signs, (2.0, 4.0))
    assert precision.native_float32(ops, results, signs, (-64.0, -32.0))
    # |x| <= 1.25 is rejected: 2.5 of the typical range, more than REFINE_SPAN
    assert precision.float32_refine(ops, results, signs) is None
    monkeypatch.setattr(precision, "REFINE_SPAN", 3.0)
    assert precision.float32_refine(ops, results, signs) == ((-1.25, 1.25),)


def test_refine_intervals_of_catalog_kernels():
    """selu' in float32 except x <= -80 (exp(x) underflows float32's normal range there, and
    the constant lambda alpha then scales a subnormal); elu' = alpha e^x in float32 on the
    whole line (alpha joins mul_exp's product, which recomputes an underflowed exponential in
    float64); silu' stays in float64 (its sum cancels near its zero)."""
    src = " ".join(symact.get("selu").numpy(1).source.split())
    assert "((-np.inf, -80.0),)" in src and "except for x in [-inf, -80]" in src
    src = " ".join(symact.get("elu").numpy(1).source.split())
    assert "_rt.mul_exp(p_alpha," in src and ", False), x," in src
    assert ", True), x," in symact.get("silu").numpy(1).source.replace("\n", " ")


def test_runtime_exp_r_rounds_the_double_exponential():
    z = np.concatenate([np.linspace(-110, 90, 20001), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    z32 = z.astype(np.float32)
    with np.errstate(all="ignore"):  # (as inside runtime.apply)
        ref = np.exp(z32.astype(np.float64)).astype(np.float32)
        got = runtime.exp_r(z32, out=np.empty_like(z32))
        same = z32.copy()
        runtime.exp_r(same, out=same)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(same, ref)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(runtime.exp_r(z, out=np.empty_like(z)), np.exp(z))


def test_sigmoid_family_float32_with_the_rounded_exponential():
    """silu as x e / (1 + e): NumPy's float32 exp (2.45 ULPs) measured 4.16 ULPs, the double exp
    rounded once keeps it within 4 ULPs in float32 arithmetic (mpmath at 40 digits, also where
    e is subnormal in float32 and the product is recomputed in float64); swish at every beta
    (exp(-beta |x|) through ``exp_mul``: beta |x| and the exponential in float64, rounded once),
    acon_c at its defaults."""
    silu = symact.get("silu").numpy()
    src = silu.source.replace("\n", " ")
    assert "_rt.exp_r(" in src and ", False), x," in src
    assert "_rt.at_defaults" not in symact.get("swish").numpy().source
    assert "_rt.at_defaults((p1, p2, beta, ), (1.0, 0.0, 1.0, ), False)" in symact.get(
        "acon_c").numpy().source
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-12, 4, 3000), rng.uniform(-110, -80, 400),
                        [-1e30, 1e30, 100.0, 0.0, -0.0, -200.0]]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = silu(x)
    worst = 0.0
    with mpmath.workdps(40):
        for xv, g in zip(x.astype(np.float64).tolist(), got.tolist(), strict=True):
            ref = mpmath.mpf(xv) / (1 + mpmath.exp(-mpmath.mpf(xv)))
            rf = np.float32(float(ref))
            if rf == 0:
                assert g == 0
                continue
            worst = max(worst, float(abs(mpmath.mpf(g) - ref)) / float(np.spacing(abs(rf))))
    assert worst <= 4.0
    assert (got != silu(x.astype(np.float64)).astype(np.float32)).any()  # float32 arithmetic
    swish = symact.get("swish").numpy()  # (other betas: float32 arithmetic too)
    for beta in (2.0, 0.375, 25.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = swish(x, beta=beta)
        assert got.dtype == np.float32
        worst = 0.0
        with mpmath.workdps(40):
            for xv, g in zip(x.astype(np.float64).tolist(), got.tolist(), strict=True):
                ref = mpmath.mpf(xv) / (1 + mpmath.exp(-mpmath.mpf(beta) * mpmath.mpf(xv)))
                rf = np.float32(float(ref))
                if abs(rf) < np.finfo(np.float32).tiny:
                    assert abs(g - float(ref)) <= float(np.finfo(np.float32).smallest_subnormal)
                    continue
                worst = max(worst, float(abs(mpmath.mpf(g) - ref)) / float(np.spacing(abs(rf))))
        assert worst <= 4.0, (beta, worst)


def _core_third(x, o, s, b):
    np.multiply(x, 1.0 / 3.0, out=o[0])


def test_runtime_refines_only_the_intervals():
    x = np.linspace(-3.0, 3.0, 2001).astype(np.float32)
    got = runtime.apply(_core_third, (1, 0, 0, ((-1.0, -0.5), (1.5, np.inf))), x, None, (),
                        ())
    native = x * np.float32(1.0 / 3.0)
    rounded = (x.astype(np.float64) * (1.0 / 3.0)).astype(np.float32)
    inside = ((x >= -1.0) & (x <= -0.5)) | (x >= 1.5)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got[inside], rounded[inside])
    np.testing.assert_array_equal(got[~inside], native[~inside])
    assert (native != rounded)[inside].any()  # the test can tell the two apart
    # out is x, float16, a non-contiguous view, float64 (no refinement: double throughout)
    y = x.copy()
    runtime.apply(_core_third, (1, 0, 0, ((-1.0, -0.5), (1.5, np.inf))), y, (y,), (), ())
    np.testing.assert_array_equal(y, got)
    h = runtime.apply(_core_third, (1, 0, 0, ((-1.0, 1.0),)), x.astype(np.float16), None, (),
                      ())
    assert h.dtype == np.float16
    v = runtime.apply(_core_third, (1, 0, 0, ((-1.0, -0.5), (1.5, np.inf))), x[::3], None,
                      (), ())
    np.testing.assert_array_equal(v, got[::3])
    d = runtime.apply(_core_third, (1, 0, 0, ((-1.0, 1.0),)), x.astype(np.float64), None, (),
                      ())
    np.testing.assert_array_equal(d, x.astype(np.float64) * (1.0 / 3.0))


def _core_scaled(x, o, s, b, p):
    np.multiply(x, p, out=s[0])
    np.divide(s[0], 3.0, out=o[0])


def test_runtime_refine_gathers_parameter_arrays_across_chunks():
    n = runtime.CHUNK * 2 + 77
    x = np.random.default_rng(0).uniform(-2, 2, n).astype(np.float32)
    p = np.random.default_rng(1).uniform(0.5, 1.5, n)
    got = runtime.apply(_core_scaled, (1, 1, 0, ((-0.25, 0.25),)), x, None, (p,), ("p",))
    inside = np.abs(x) <= 0.25
    ref = ((x.astype(np.float64) * p) / 3.0).astype(np.float32)
    np.testing.assert_array_equal(got[inside], ref[inside])
    # elsewhere float32 arithmetic (p rounded to float32), within a few float32 ULPs
    np.testing.assert_allclose(got[~inside], ref[~inside], rtol=4 * 2.0**-24)


def test_runtime_refine_calls_the_core_once_per_chunk(monkeypatch):
    """A third of the elements refined, spread over the chunk: one float64 core call per chunk
    (short calls make the two threads wait for the GIL), the refined values in place."""
    monkeypatch.setattr(runtime, "THREADS", 1)
    n = runtime.CHUNK * 2 + 5
    x = np.random.default_rng(2).uniform(-3, 3, n).astype(np.float32)
    calls = []

    def core(x, o, s, b):
        calls.append(x.dtype)
        _core_third(x, o, s, b)

    got = runtime.apply(core, (1, 0, 0, ((-1.0, 1.0),)), x, None, (), ())
    assert calls.count(np.dtype(np.float64)) == 3 and calls.count(np.dtype(np.float32)) == 3
    inside = np.abs(x) <= 1.0
    rounded = (x.astype(np.float64) * (1.0 / 3.0)).astype(np.float32)
    np.testing.assert_array_equal(got[inside], rounded[inside])
    np.testing.assert_array_equal(got[~inside], (x * np.float32(1.0 / 3.0))[~inside])


@pytest.mark.parametrize(("name", "order"), [("elu", 1), ("selu", 1), ("elu", 2)])
def test_refined_kernels_float32_accuracy_across_the_boundary(name, order):
    """Dense float32 check against mpmath on both sides of x = -80 and over [-100, 5]."""
    act = symact.get(name)
    k = act.numpy(order)
    x = np.concatenate([np.linspace(-100, 5, 1500), np.linspace(-80.5, -79.5, 500),
                        [-np.inf, np.nan, -1e30, 0.0]]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = k(x)
    ref64 = act.numpy(order)(x.astype(np.float64))
    assert np.isnan(got[-3]) and np.array_equal(got[-4:-3], ref64[-4:-3].astype(np.float32))
    expr = act.expr.subs({act.params[p]: act.defaults[p] for p in act.params})
    for _ in range(order):
        expr = sp.diff(expr, act.x)
    fn = sp.lambdify(act.x, expr, "mpmath")
    worst = 0.0
    with mpmath.workdps(40):
        for xv, g in zip(x[:-4].astype(np.float64).tolist(), got[:-4].tolist(), strict=True):
            ref = fn(mpmath.mpf(xv))
            rf = np.float32(float(ref))
            if rf == 0 or not math.isfinite(float(ref)):
                continue
            worst = max(worst, float(abs(mpmath.mpf(g) - ref)) / float(np.spacing(abs(rf))))
    assert worst <= 4.0


def test_select_drops_the_branch_it_never_takes(monkeypatch):
    """x - tanh(x) cancels near 0 but is taken only for x > 4: the mask x > 4 is decided on
    each piece of x, so the program is accepted on every piece (native float32 throughout),
    though not on the whole line, where both branches may be taken."""
    x = sp.Symbol("x", real=True)
    expr = sp.Piecewise((x - sp.tanh(x), x > 4), (x, True))
    ops, results, signs = _program(expr, x, monkeypatch)
    assert not precision.native_float32(ops, results, signs)
    assert precision.native_float32(ops, results, signs, (-1.0, 1.0))
    assert precision.native_float32(ops, results, signs, (4.0, 8.0))
    assert precision.float32_refine(ops, results, signs) == ()
    # the same difference taken where it cancels is still rejected
    ops, results, signs = _program(sp.Piecewise((x - sp.tanh(x), x > -1), (x, True)), x,
                                   monkeypatch)
    assert not precision.native_float32(ops, results, signs, (-1.0, 1.0))


def test_masks_decided_only_between_exact_operands(monkeypatch):
    """exp(x) > 2 is not decided from intervals (the float32 exp may round across 2)."""
    x = sp.Symbol("x", real=True)
    expr = sp.Piecewise((x - sp.tanh(x), sp.exp(x) > 2), (x, True))
    ops, results, signs = _program(expr, x, monkeypatch)
    assert not precision.native_float32(ops, results, signs, (-0.5, 0.5))


def test_hypot_with_a_parameter_runs_in_float32():
    """squareplus: each branch of its select on the side where it is taken, hypot(x, sqrt(b))
    as plain float32 operations; float64 only for tiny x <= 0, where b -> 0 would cancel."""
    src = " ".join(symact.get("squareplus").numpy().source.split())
    assert "((-1.1754943508222875e-38, -0.0),)" in src
    x = np.concatenate([np.linspace(-40, 40, 4001), -np.geomspace(1e-30, 3e38, 400),
                        np.geomspace(1e-30, 3e38, 400)]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = symact.get("squareplus").numpy()(x)
    assert got.dtype == np.float32
    with mpmath.workdps(700):  # (x + sqrt(x^2 + 4)) / 2 cancels down to 1 / |x| at -3e38
        ref = [float((mpmath.mpf(float(v)) + mpmath.sqrt(mpmath.mpf(float(v)) ** 2 + 4)) / 2)
               for v in x]
    ref = np.array(ref)
    err = np.abs(got.astype(np.float64) - ref) / np.spacing(ref.astype(np.float32)).astype(
        np.float64)
    assert err.max() <= 4, (err.max(), x[np.argmax(err)])


def test_runtime_hypot_c_in_float32():
    a = np.array([0.0, -1e-30, 3.0, -1e18, 2e18, 3e38, -np.inf, np.nan], np.float32)
    out = np.empty_like(a)
    runtime.hypot_c(a, 2.0, out=out)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.hypot(a.astype(np.float64), 2.0).astype(np.float32),
                               rtol=2.0**-23)


def test_float32_decision_checked_against_float64_compute():
    """The float32 analysis estimates; the generator keeps float32 compute only where the
    kernel stays within FLOAT32_CHECK_ULPS of the float64 evaluation at fixed sample points.
    arctan' as (1 / hypot(x, 1))^2 passes the analysis (estimate 3.5) but measures 4 ULPs:
    float64. bent_identity passes both: float32 (refined only at the end of the range)."""
    kmod = importlib.import_module("symact.codegen.kernel")

    assert ", True), x," in symact.get("arctan").numpy(1).source.replace("\n", " ")
    # (float32 but for x <= -3.19e38, at the end of the range, where the analysis rejects it)
    assert ", ((-np.inf, -3.190147189883798e+38),)), x," in symact.get(
        "bent_identity").numpy().source.replace("\n", " ")
    x = kmod.float32_sample()
    assert x.dtype == np.float32 and np.isfinite(x).all()
    assert x.min() < -1e38 and x.max() > 1e38 and np.abs(x).min() < 1e-40


def test_float32_check_rejects_a_kernel_off_by_more_than_the_bound():
    kmod = importlib.import_module("symact.codegen.kernel")

    def source(body):
        src = (f"def _t_core(x, o, s, b):\n    {body}\n\n\ndef t(x, *, out=None):\n"
               "    return _rt.apply(_t_core, (1, 0, 0, {}), x, out and (out,), (), ())\n")
        return src

    def ks(body, precise):
        return kmod.KernelSource("t", "t", (0,), (), (), source(body).format(precise), (), [])

    exact = "np.multiply(x, 1.0 / 3.0, out=o[0])"
    assert kmod._float32_close(ks(exact, False), ks(exact, True))
    # (x + 1) - 1 cancels in float32 for small x (exact in float64 for float32 x)
    off = "np.add(x, 1.0, out=o[0]); np.subtract(o[0], 1.0, out=o[0])"
    assert not kmod._float32_close(ks(off, False), ks(off, True))


@pytest.mark.parametrize("name", ["selu", "elu"])
def test_refined_elements_need_no_more_than_one_chunk_buffer(name):
    """Every element in the refined interval (selu' at x <= -80): the float64 recomputation
    runs once per chunk from indices built piece by piece into a per-thread buffer, so the
    call's extra memory with out= stays below one chunk buffer; and elu', where every element
    takes mul_exp's subnormal path (in blocks), likewise."""
    import tracemalloc

    fn = symact.get(name).numpy(1)
    x = np.full(4 * runtime.CHUNK + 3, -100.0, np.float32)
    out = np.empty_like(x)
    fn(x, out=out)
    tracemalloc.start()
    fn(x, out=out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= runtime.CHUNK_BYTES
    np.testing.assert_array_equal(out, fn(x.astype(np.float64)).astype(np.float32))


def test_float32_decided_again_at_the_default_parameters():
    """softplus: exp(-beta |x|) has an inexact argument for a free beta (float64 compute), an
    exact one at beta = 1: float32 then, float64 for any other beta or an array beta."""
    fn = symact.get("softplus").numpy()
    assert "_rt.at_defaults((beta, ), (1.0, ), False)" in fn.source
    assert "_rt.at_defaults((alpha, ), (1.0, ), False)" in symact.get("isru").numpy().source
    assert "when the parameters are scalars at their defaults (beta=1.0)" in " ".join(
        fn.source.split())
    x = np.linspace(-30, 30, 6001).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fn(x)
        other = fn(x, beta=2.0)
        arr = fn(x, beta=np.full(x.shape, 1.0))
    ref = np.logaddexp(0.0, x.astype(np.float64)).astype(np.float32)
    assert np.max(np.abs(got - ref) / np.spacing(np.abs(ref))) <= 4
    assert (got != ref).any()  # float32 arithmetic: not the float64 result rounded
    wide = np.logaddexp(0.0, 2.0 * x.astype(np.float64)) / 2.0
    np.testing.assert_array_equal(other, wide.astype(np.float32))
    np.testing.assert_array_equal(arr, ref)


def test_runtime_at_defaults():
    assert runtime.at_defaults((1.0, 2.0), (1.0, 2.0), False) is False
    assert runtime.at_defaults((np.float32(1.0),), (1.0,), ((-1.0, 1.0),)) == ((-1.0, 1.0),)
    assert runtime.at_defaults((np.array(1.0),), (1.0,), False) is False
    assert runtime.at_defaults((1.5,), (1.0,), False) is True
    assert runtime.at_defaults((np.array([1.0, 1.0]),), (1.0,), False) is True
    assert runtime.at_defaults(("a",), (1.0,), False) is True
    assert runtime.at_defaults((float("nan"),), (1.0,), False) is True


def test_float32_kept_only_where_parameters_cannot_break_it():
    """Review findings: isru's x sqrt(alpha) may overflow float32 for a large alpha (then x /
    inf = 0), and hypot(x, sqrt(b)) loses b when b^2 underflows: both fall back to float64."""
    isru, isrlu = symact.get("isru").numpy(), symact.get("isrlu").numpy()
    x = np.array([1e35, -1e35, 3.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = isru(x, alpha=1e10)
        neg = isrlu(x[1:2], alpha=1e10)
    wide = x.astype(np.float64) / np.sqrt(1.0 + 1e10 * x.astype(np.float64) ** 2)
    np.testing.assert_allclose(got, wide.astype(np.float32), rtol=2.0**-22)
    np.testing.assert_allclose(neg, wide[1:2].astype(np.float32), rtol=2.0**-22)
    sq = symact.get("squareplus").numpy()
    for dt, b in ((np.float32, 1e-60), (np.float64, 1e-320)):
        xs = np.array([1e-30, 3e-31, 1e-35, 0.0], dt)
        with mpmath.workdps(60):
            ref = [float((mpmath.mpf(float(v)) + mpmath.sqrt(mpmath.mpf(float(v)) ** 2
                                                               + mpmath.mpf(b))) / 2) for v in xs]
        np.testing.assert_allclose(sq(xs, b=b), np.array(ref, dt), rtol=8 * np.finfo(dt).eps)


def test_spec_source_with_unbounded_intervals_and_odd_parameter_names():
    kmod = importlib.import_module("symact.codegen.kernel")
    at = kmod.AtDefaults(("x_inf",), (1.0,), ((-math.inf, -80.0),))
    assert repr(at) == "_rt.at_defaults((x_inf, ), (1.0, ), ((-np.inf, -80.0),))"
    assert kmod.intervals_code(((-1.0, 0.5), (2.0, math.inf))) == "((-1.0, 0.5), (2.0, np.inf))"


def test_shared_exponential_rests_on_the_checked_parameter_domain():
    """exp(beta min(0, x)) shared with exp(-beta |x|) holds only for beta > 0: the kernels
    share it because they reject other values (swish with beta = -1 gave NaN for |x| > 710
    before they did). Constant factors share too (silu)."""
    assert "np.maximum(" in symact.get("silu").numpy().source
    swish = symact.get("swish").numpy()
    assert "np.maximum(" in swish.source
    x = np.array([1.0, 3.0, -2.0, -30.0, 0.0, -800.0])
    beta = np.array([1e-3, 2.0, 0.5, 1.0, 3.0, 1.5])
    for b in (0.25, beta):
        with np.errstate(over="ignore"):  # (exp(1200) in the reference: x / inf = -0)
            want = x / (1.0 + np.exp(-np.asarray(b) * x))
        np.testing.assert_allclose(swish(x, beta=b), want, rtol=4e-16, atol=1e-300)
    for bad in (-1.0, 0.0, np.array([1.0, -0.5, 1.0, 1.0, 1.0, 1.0])):
        with pytest.raises(ValueError, match="'beta' must be > 0"):
            swish(x, beta=bad)


def test_rounded_exponential_leaves_parameter_code_alone():
    """Review finding: only exp ops become runtime.exp_r, not np.exp inside scalar parameter
    code (exp(a) below), and a kernel computed in float64 keeps np.exp."""
    act = symact.define("x*sigmoid(x)*exp(a)", a=0.5)
    k = act.numpy()
    x = np.linspace(-20, 20, 101)
    ref = x / (1.0 + np.exp(-x)) * math.exp(0.5)
    np.testing.assert_allclose(k(x), ref, rtol=1e-15)
    x32 = x.astype(np.float32)
    ref32 = x32.astype(np.float64) / (1.0 + np.exp(-x32.astype(np.float64))) * math.exp(0.5)
    np.testing.assert_allclose(k(x32), ref32, rtol=4 * 2.0**-24)
    assert "_rt.exp_r(" not in symact.get("sigmoid").numpy(2).source
