"""Focused checks of the sigmoid/exp family fixes: Taylor patches at cancelling zeros
(:mod:`symact.codegen.roots`), parameter-dependent limits at +-inf (``fix_inf_probe``), and
dense mpmath comparisons near the trouble spots."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import symact
from symact.codegen import runtime
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function
from symact.codegen.roots import root_patches, zero_patch


def _max_ulp(name: str, order: int, points: np.ndarray, **params) -> float:
    """Max ULP error of the kernel at ``points`` against mpmath (adaptive precision)."""
    act = symact.get(name)
    fn = mp_function(_textbook(act, order), act.x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy(order)(points.copy(), **params)
    worst = 0.0
    with mpmath.workdps(40):
        for p, g in zip(points.tolist(), np.asarray(got, np.float64).tolist(), strict=True):
            ref = mpmath.mpf(_mp_eval(fn, p))
            rf = np.asarray(float(ref), points.dtype)
            if rf == 0:
                continue
            worst = max(worst, float(abs(mpmath.mpf(g) - ref) / float(np.spacing(np.abs(rf)))))
    return worst


def test_root_patch_found_for_a_cancelling_sum():
    x = sp.Symbol("x", real=True)
    expr = 1 / (1 + sp.exp(-x)) + x * sp.exp(-x) / (1 + sp.exp(-x)) ** 2  # silu'

    def naive(p):  # the textbook sum, which cancels at the zero
        e = np.exp(-p)
        return 1 / (1 + e) + p * e / (1 + e) ** 2

    patches = root_patches(expr, x, naive)
    assert len(patches) == 1
    hi, lo, r, coeffs, r_rounded, f32_fine = patches[0]
    assert abs(hi + 1.2784645427610738) < 1e-15 and 0 < abs(lo) < 1e-15
    assert 0.05 < r <= 0.5 and len(coeffs) > 3 and isinstance(f32_fine, bool)
    # results rounded to float32 need the patch only very near the zero
    assert 0 < r_rounded < 1e-4
    # an accurate evaluation is not patched
    mp = mp_function(expr, x)

    def exact(p):
        with mpmath.workdps(40):
            return np.array([float(mp(mpmath.mpf(float(v)))) for v in p])

    assert root_patches(expr, x, exact) == []


def test_root_series_runtime_selects_and_respects_parameters():
    x = np.array([-1.0, 0.0, 0.5, np.nan])
    o = np.zeros(4)
    runtime.root_series(x, o, 0.0, 0.0, 0.25, (2.0, 1.0))
    np.testing.assert_array_equal(o, [0.0, 0.0, 0.0, 0.0])  # only x = 0 selected: 0 * ...
    o[:] = 7.0
    runtime.root_series(x, o, 0.5, 0.0, 0.6, (2.0,))
    np.testing.assert_array_equal(o[:3], [7.0, -1.0, 0.0])
    assert o[3] == 7.0
    o[:] = 7.0
    runtime.root_series(x, o, 0.5, 0.0, 0.6, (2.0,), (1.5,), (1.0,))  # not the defaults
    assert (o == 7.0).all()


def test_root_series_rounded_radius():
    """Results rounded to float32 use the (smaller) r_rounded; narrow_ok skips float32 input."""
    x = np.array([0.5, 0.5 + 2.0**-10, 0.5 + 0.125], np.float32)
    k = np.dtype(np.float64)

    def run(x, out, **kw):
        def core(xc, o, s, b):
            o[0][...] = 7.0
            runtime.root_series(xc, o[0], 0.5, 0.0, 0.6, (2.0,), **kw)
        return runtime.apply(core, (1, 0, 0, True), x, None if out is None else (out,), (), ())

    assert run(x, None).tolist() == pytest.approx([0.0, 2.0**-9, 0.25], rel=1e-6)
    assert run(x, None, r_rounded=0.01).tolist() == pytest.approx([0.0, 2.0**-9, 7.0], rel=1e-6)
    assert run(x, None, r_rounded=0.0).tolist() == [7.0, 7.0, 7.0]
    assert run(x, None, r_rounded=0.01, narrow_ok=True).tolist() == [7.0, 7.0, 7.0]
    # double input written into a float32 out: rounded but not narrow
    o = np.empty(3, np.float32)
    run(x.astype(k), o, r_rounded=0.01, narrow_ok=True)
    assert o.tolist() == pytest.approx([0.0, 2.0**-9, 7.0], rel=1e-6)
    # double results: the full radius
    assert run(x.astype(k), None, r_rounded=0.0).tolist() == pytest.approx([0.0, 2.0**-9, 0.25],
                                                                           rel=1e-6)


def _table():
    """Five made-up zeros (one pair 0.75 apart) with polynomials easy to check by hand."""
    return ((-6.0, 0.0, 0.3, (1.0, 2.0), 0.01, True), (-1.0, 1e-17, 0.2, (3.0,), 0.0, False),
            (2.0, 0.0, 0.25, (-1.0, 0.5, 0.25), 0.05, False), (2.75, 0.0, 0.1, (4.0,), 0.0,
                                                                False),
            (9.0, 0.0, 0.5, (0.5,), 0.5, True))


def test_root_table_matches_one_root_series_per_zero():
    """The table patches exactly the elements root_series would, with the same values (points
    at and next to every patch edge, outside the table's range, non-finite); candidates are
    the elements with a small output, and a small output away from the zeros stays."""
    table = _table()
    edges = np.array([[h - r, h + r] for h, _, r, *_ in table]).ravel()
    rng = np.random.default_rng(3)
    x = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf),
                        rng.uniform(-12, 14, 20000), [h for h, *_ in table],
                        [-1e300, 1e300, np.inf, -np.inf, np.nan, 0.0, 5.0, -3.0]])
    ref = np.full(x.size, 7.0)
    for h, lo, r, coeffs, *_ in table:
        runtime.root_series(x, ref, h, lo, r, coeffs)
    patched = ref != 7.0
    assert patched.sum() > 1000  # (the test can tell)
    far = np.isin(x, [0.0, 5.0, -3.0])
    got = np.where(patched, ref * (1 + 1e-9), 7.0)  # a kernel's output: a little off near them
    got[far] = ref[far] = 1e-4
    runtime.root_table(x, got, table)
    np.testing.assert_array_equal(got, ref)
    # not at the default parameters: untouched
    o = np.where(patched, 1e-4, 7.0)
    runtime.root_table(x, o, table, (2.0,), (1.0,))
    assert (o[patched] == 1e-4).all()


def test_root_table_uneven_and_overlapping_patches_and_nan_outputs():
    """A wide patch next to a narrow one keeps its far part; overlapping patches take a loop
    of root_series (the last one wins); a NaN output inside a patch is a candidate too
    (root_series would overwrite it)."""
    table = ((1.0, 0.0, 0.02, (1.0,), 0.0, False), (1.15, 0.0, 0.1, (2.0,), 0.0, False),
             (5.0, 0.0, 0.05, (1.0,), 0.0, False), (9.0, 0.0, 0.05, (1.0,), 0.0, False))
    x = np.array([1.07, 1.01, 5.01, 9.02, 9.5])
    o = np.array([1e-3, 1e-3, np.nan, 1e-3, 1e-3])
    runtime.root_table(x, o, table)
    assert o.tolist() == pytest.approx([-0.16, 0.01, 0.01, 0.02, 1e-3])
    overlapping = ((1.0, 0.0, 0.1, (1.0,), 0.0, False),) + table[1:]
    o = np.array([1e-3, 1e-3, np.nan, 7.0, 1e-3])
    ref = o.copy()
    for h, lo, r, coeffs, *_ in overlapping:
        runtime.root_series(x, ref, h, lo, r, coeffs)
    runtime.root_table(x, o, overlapping)
    np.testing.assert_array_equal(o, ref)
    assert o[0] == pytest.approx(-0.16)


def test_root_table_radii_for_float32_results():
    """Results rounded to float32 use r_rounded; float32 input skips the narrow_ok zeros."""
    table = _table()
    x = np.array([-6.005, -5.9, -1.1, 2.01, 2.2, 8.7, 9.2], np.float32)

    def poly(v):  # the patch each point is near, evaluated exactly enough
        h, lo, _, coeffs, *_ = min(table, key=lambda row: abs(row[0] - v))
        d = v - h - lo
        return d * sum(c * d**k for k, c in enumerate(coeffs))

    want = [poly(float(v)) for v in x]

    def run(x, out=None):
        def core(xc, o, s, b):
            o[0][...] = 1e-3  # (small: every element a candidate)
            runtime.root_table(xc, o[0], table)
        return runtime.apply(core, (1, 0, 0, True), x, None if out is None else (out,), (), ())

    def only(keep):
        return [w if k else 1e-3 for w, k in zip(want, keep, strict=True)]

    assert run(x.astype(np.float64)).tolist() == pytest.approx(want, rel=1e-6)
    o = np.empty(7, np.float32)  # rounded, double input: r_rounded
    run(x.astype(np.float64), o)
    assert o.tolist() == pytest.approx(only([1, 0, 0, 1, 0, 1, 1]), rel=1e-6)
    # float32 input: the narrow_ok zeros (-6 and 9) are skipped as well
    assert run(x).tolist() == pytest.approx(only([0, 0, 0, 1, 0, 0, 0]), rel=1e-6)


def test_sinc_derivative_near_its_many_zeros():
    """sinc' = (x cos x - sin x) / x^2 has a zero every ~pi (38 on [-64, 64]), where the
    tangent form's x - tan(x) loses every digit: one lookup table of Taylor patches (168 ULP
    at random points of [-40, 40] before)."""
    src = symact.get("sinc").numpy(1).source
    assert src.count("_rt.root_table(") == 1 and "_rt.root_series(x, o[0], -" not in src
    assert "Taylor polynomials at the 38 zeros" in " ".join(src.split())
    rng = np.random.default_rng(11)
    zeros = [4.493409457909064, 7.725251836937707, 17.22075527193077, 20.37130295928756,
             26.666054258812675, 32.95638903982248, 51.81698248727967, 61.2447302603744]
    pts = np.concatenate([z * s + rng.uniform(-0.06, 0.06, 40) for z in zeros for s in (1, -1)]
                         + [rng.uniform(-40, 40, 300)])
    assert _max_ulp("sinc", 1, pts) <= 4.0
    assert _max_ulp("sinc", 1, pts.astype(np.float32)) <= 1.0


@pytest.mark.parametrize(("name", "x0"), [("silu", -1.2784645427610737),
                                          ("swish", -1.2784645427610737),
                                          ("acon_c", -1.2784645427610737)])
def test_derivative_dense_near_its_zero(name, x0):
    rng = np.random.default_rng(5)
    pts = x0 + np.concatenate([rng.uniform(-1e-3, 1e-3, 150), rng.uniform(-0.45, 0.45, 50),
                               np.ldexp(1.0, -50) * np.arange(-5, 6)])
    assert _max_ulp(name, 1, pts) <= 4.0
    assert _max_ulp(name, 1, pts.astype(np.float32)) <= 1.0


def test_acon_c_limits_depend_on_parameters():
    act = symact.get("acon_c")
    x = np.array([np.inf, -np.inf, np.nan])
    for dt in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f = act.numpy()(x.astype(dt))
            g = act.numpy(1)(x.astype(dt))
            f2 = act.numpy()(x.astype(dt), p1=2.0, p2=3.0)
        assert f[0] == np.inf and f[1] == 0 and np.isnan(f[2])
        assert g[0] == 1 and g[1] == 0 and np.isnan(g[2])
        assert f2[0] == np.inf and f2[1] == -np.inf


def test_exp_exp_dense():
    """loglog' = exp(x - exp(x)): exp(x) and the sum carried as double-doubles."""
    rng = np.random.default_rng(7)
    pts = np.concatenate([rng.uniform(1.0, 6.6, 120), rng.uniform(-40.0, 1.0, 60),
                          [6.3314465408805, 6.5, -33.47, -700.0, 709.0, -745.5]])
    assert _max_ulp("loglog", 1, pts) <= 4.0
    assert _max_ulp("loglog", 1, pts.astype(np.float32)) <= 1.0
    x = np.array([np.inf, -np.inf, np.nan, 800.0, -800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = symact.get("loglog").numpy(1)(x)
    assert g[0] == 0 and g[1] == 0 and np.isnan(g[2]) and g[3] == 0 and g[4] == 0


def test_exp2_table():
    import mpmath as mp

    exp_hi, exp_lo, ln2n_hi, ln2n_lo = runtime._exp2_table(runtime._EXP_N)
    with mp.workdps(50):
        for j in (0, 1, 77, 255):
            ref = mp.mpf(2) ** (mp.mpf(j) / 256)
            got = mp.mpf(exp_hi[j]) + mp.mpf(exp_lo[j])
            assert abs(got - ref) < mp.mpf(2) ** -104
        assert abs(mp.mpf(ln2n_hi) + mp.mpf(ln2n_lo) - mp.ln2 / 256) < \
            mp.mpf(2) ** -92  # (m lo is then good to 2^-74 for |m| < 2^18)


@pytest.mark.parametrize("order", [0, 1])
def test_gelu_tanh_tail_dense(order):
    """x sigmoid(2 u(x)), u a cubic: u in double-double where |2u| > 1 (runtime.exp_poly),
    and the subnormal exponentials scaled before the cofactor multiplies them."""
    rng = np.random.default_rng(11)
    pts = np.concatenate([rng.uniform(-22.4, -1.0, 150), [-20.653144654088052,
                                                          -17.88930817610063, -21.16]])
    assert _max_ulp("gelu_tanh", order, pts) <= 4.0
    assert _max_ulp("gelu_tanh", order, pts.astype(np.float32)) <= 1.0
    x = np.array([np.inf, -np.inf, np.nan, -1e6, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = symact.get("gelu_tanh").numpy(order)(x)
    assert v[0] == (np.inf if order == 0 else 1.0) and v[1] == 0 and np.isnan(v[2])
    assert v[3] == 0 and v[4] == (1e6 if order == 0 else 1.0)


def test_tanhshrink_patch_at_zero():
    """x - tanh(x): the Taylor polynomial (in x^2, times x^3) on |x| < ~0.78 only."""
    src = symact.get("tanhshrink").numpy().source
    assert "root_series" in src and "putmask" not in src
    rng = np.random.default_rng(3)
    pts = np.concatenate([rng.uniform(-1.2, 1.2, 200), [-0.5525157232704403, 1e-5, -1e-120,
                                                         0.78, 0.79, 5e-324]])
    assert _max_ulp("tanhshrink", 0, pts) <= 4.0
    assert _max_ulp("tanhshrink", 0, pts.astype(np.float32)) <= 1.0


def test_zero_patch_chebyshev_fit_is_shorter_and_accurate():
    """The patch at 0 of x - tanh(x): a Chebyshev fit with about half the Taylor terms, as
    accurate in double (dense mpmath check of the Horner evaluation on |x| < r)."""
    x = sp.Symbol("x", real=True)

    def naive(p):
        return p - np.tanh(p)

    patch = zero_patch(x - sp.tanh(x), x, naive)
    assert patch is not None
    _, _, r, coeffs, lead, step, r_rounded = patch
    assert (lead, step) == (3, 2) and 0.5 < r < 1.0 and len(coeffs) <= 16
    assert 0 < r_rounded < 0.01  # float32 results: only very near 0
    pts = np.concatenate([np.linspace(-r, r, 2001)[1:-1], np.geomspace(1e-100, r, 300)[:-1]])
    got = np.zeros_like(pts)
    runtime.root_series(pts, got, 0.0, 0.0, r, coeffs, (), (), lead, step)
    worst = 0.0
    with mpmath.workdps(400):  # x - tanh(x) ~ x^3 / 3 cancels ~2 log10(1 / x) digits
        for p, g in zip(pts.tolist(), got.tolist(), strict=True):
            ref = mpmath.mpf(p) - mpmath.tanh(mpmath.mpf(p))
            if ref != 0:
                worst = max(worst, float(abs(mpmath.mpf(g) - ref)) / np.spacing(abs(float(ref))))
    assert worst <= 3.0


def test_rules_on_small_expressions():
    from symact.codegen.emit import compile_outputs

    x = sp.Symbol("x", real=True)
    src = "\n".join(compile_outputs([sp.exp(x - sp.exp(x))], x, []).lines)
    assert "_rt.exp_exp(x, x, (-1.0)" in src
    src = "\n".join(compile_outputs([sp.exp(sp.Rational(3, 10) * x**3 + x / 3)], x, []).lines)
    assert "_rt.exp_poly(x" in src and "'id'" in src
    src = "\n".join(compile_outputs([sp.exp(-sp.Abs(x + x**3 / 7))], x, []).lines)
    assert "'negabs'" in src
    # c + exp(-|q|), c >= 1: the plain exponential
    src = "\n".join(compile_outputs([1 / (1 + sp.exp(-sp.Abs(x + x**3 / 7)))], x, []).lines)
    assert "exp_poly" not in src and "np.exp" in src
    # exp(c x) is exp_mul's, exp(-x^2/2) the Gaussian's: not polynomials for exp_poly
    src = "\n".join(compile_outputs([sp.exp(-x**2 / 2)], x, []).lines)
    assert "exp_poly" not in src


def test_exp_poly_runtime_matches_mpmath():
    hi = (0.0, 1.5957691216057308, 0.0, 0.07135481627260025)
    lo = (0.0, -9.969308809110914e-17, 0.0, -6.175149918155207e-19)
    x = np.linspace(-21.0, 21.0, 401)
    runtime._local.coarse = False  # (set by apply for each call; float64 results here)
    q = 1.5957691216057308 * x + 0.07135481627260025 * x**3
    for kind, w in (("min0", np.minimum(q, 0)), ("negabs", -np.abs(q)), ("id", q)):
        with np.errstate(all="ignore"):
            got = runtime.exp_poly(x, w.copy(), hi, lo, kind, out=np.empty_like(x))
        with mpmath.workdps(50):
            c1 = 2 * mpmath.sqrt(2 / mpmath.pi)
            for xv, g in zip(x.tolist(), got.tolist(), strict=True):
                qv = c1 * (mpmath.mpf(xv) + mpmath.mpf("0.044715") * mpmath.mpf(xv) ** 3)
                qv = min(qv, 0) if kind == "min0" else -abs(qv) if kind == "negabs" else qv
                ref = mpmath.exp(qv)
                rf = float(ref)
                if rf == 0 or not np.isfinite(rf) or rf < 2.3e-308:
                    continue
                assert float(abs(g - ref) / np.spacing(rf)) <= 2.0, (kind, xv)


@pytest.mark.parametrize("name", ["silu", "acon_c", "loglog", "gelu_tanh", "tanhshrink", "gelu"])
def test_patched_kernels_keep_the_ufunc_conventions(name):
    """The new helpers (patches, exp_poly, exp_exp, fix_inf_probe) under out=x across chunks
    and threads, strided input, float16/float32 and value_and_grad."""
    act = symact.get(name)
    rng = np.random.default_rng(4)
    x = rng.normal(size=300_001) * 6
    x[::1000] = np.nan
    x[1::1000] = np.inf
    x[2::1000] = -np.inf
    x[3::1000] = -1.2784645427610737
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for order in (0, 1):
            ref = act.numpy(order)(x)
            y = x.copy()
            act.numpy(order)(y, out=y)
            np.testing.assert_array_equal(y, ref)
            strided = act.numpy(order)(x[::3])
            np.testing.assert_array_equal(strided, ref[::3])
            for dt in (np.float16, np.float32):
                xd = x.astype(dt)
                got = act.numpy(order)(xd)
                assert got.dtype == dt
                want = act.numpy(order)(xd.astype(np.float64)).astype(dt)
                np.testing.assert_allclose(got, want, rtol=2e-3 if dt == np.float16 else 3e-7,
                                           atol=0)
        f, g = act.numpy_value_and_grad()(x)
        np.testing.assert_allclose(f, act.numpy(0)(x), rtol=1e-15, atol=0)
        np.testing.assert_allclose(g, act.numpy(1)(x), rtol=1e-15, atol=0)
