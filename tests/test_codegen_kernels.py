"""Generated NumPy kernels: ufunc conventions, special values, parameters, vector kernels."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symact
from symact.codegen import CodegenError, runtime
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function, numeric_limit
from symact.codegen.kernel import domain_rules

SCALAR = [a.name for a in symact.activations() if not a.is_vector]
SAMPLE = ["relu", "sigmoid", "gelu", "softplus", "hardtanh", "tanhshrink", "elu", "snake",
          "signum", "soft_exponential", "sinc", "mish"]
EXTREME = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-310, 1e-30, -1.0, 1.0, 3.0, -3.0, 20.0,
                    -20.0, 88.7, -88.7, 709.9, -709.9, 745.2, -745.2, 1e20, -1e20, 1e300,
                    -1e300, 1.7e308, -1.7e308, np.inf, -np.inf, np.nan])


def k(name: str, order: int = 0):
    return symact.get(name).numpy(order)


# ---------------------------------------------------------------- dtypes and shapes
@pytest.mark.parametrize("name", SAMPLE)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_preserved(name, dtype):
    x = np.linspace(-4, 4, 11).astype(dtype)
    for order in (0, 1):
        y = k(name, order)(x)
        assert y.dtype == dtype and y.shape == x.shape


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.bool_])
def test_ints_and_bools_give_float64(dtype):
    x = np.array([0, 1, 1], dtype=dtype)
    y = k("sigmoid")(x)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-15)


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([1.0], dtype=object),
                                 np.array(["a"])])
def test_complex_object_raise_type_error(bad):
    with pytest.raises(TypeError, match="unsupported input dtype"):
        k("gelu")(bad)


def test_zero_d_and_python_scalars_give_numpy_scalars():
    y = k("sigmoid")(0.0)
    assert isinstance(y, np.float64) and y == 0.5
    y32 = k("relu")(np.float32(-2.0))
    assert isinstance(y32, np.float32) and y32 == 0
    assert k("gelu")(np.array(1.0)).shape == ()


def test_empty_and_nd_shapes():
    assert k("gelu")(np.empty((0, 3))).shape == (0, 3)
    x = np.arange(24.0).reshape(2, 3, 4) - 12
    np.testing.assert_array_equal(k("softplus")(x), k("softplus")(x.ravel()).reshape(x.shape))


@pytest.mark.parametrize("name", SAMPLE)
def test_non_contiguous_input_and_output(name):
    base = np.linspace(-6, 6, 2 * 5 * 7).reshape(10, 7)
    x = base[::2, ::-1].T
    assert not x.flags.c_contiguous
    expect = k(name)(np.ascontiguousarray(x))
    np.testing.assert_array_equal(k(name)(x), expect)
    out = np.zeros((14, 5)).T[:, ::2].T  # non-contiguous output
    out = np.zeros((7, 10))[:, ::2]
    k(name)(x, out=out)
    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("name", SAMPLE)
def test_out_and_input_untouched(name):
    x = np.linspace(-5, 5, 101)
    x0 = x.copy()
    out = np.empty_like(x)
    r = k(name)(x, out=out)
    assert r is out
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(out, k(name)(x0))
    # out is x: computed from the original values
    y = x.copy()
    r = k(name, 1)(y, out=y)
    assert r is y
    np.testing.assert_array_equal(y, k(name, 1)(x0))


def test_out_is_x_across_chunks_and_threads():
    n = runtime.THREAD_MIN + 12345
    x = np.random.default_rng(0).normal(scale=5, size=n)
    expect = k("gelu")(x)
    y = x.copy()
    k("gelu")(y, out=y)
    np.testing.assert_array_equal(y, expect)
    # chunked/threaded result equals the element-by-element one
    np.testing.assert_array_equal(expect[:1000], k("gelu")(x[:1000]))


def test_out_validation():
    with pytest.raises(ValueError, match="shape"):
        k("relu")(np.zeros(3), out=np.zeros(4))
    with pytest.raises(TypeError, match="cannot write"):
        k("relu")(np.zeros(3), out=np.zeros(3, dtype=np.int64))
    out32 = np.zeros(3, dtype=np.float32)
    k("sigmoid")(np.zeros(3), out=out32)  # same-kind cast, as NumPy
    assert np.all(out32 == 0.5)


@pytest.mark.parametrize("dtype", ["<f8", ">f8", "<f4", ">f4", ">f2", ">i4"])
def test_byte_order_does_not_change_the_results(dtype):
    # a big-endian float64 x once took the float32 branch of the kernels that compute float32
    # natively (tanh: off by 1e-8)
    x = np.random.default_rng(3).normal(scale=4, size=500).astype(dtype)
    native = x.astype(x.dtype.newbyteorder("="))
    for name in ("tanh", "sigmoid", "gelu", "sinc"):
        y = k(name)(x)
        assert y.dtype == x.dtype or (x.dtype.kind == "i" and y.dtype == np.float64)
        np.testing.assert_array_equal(y, k(name)(native))


def _both_paths(fn, monkeypatch, *args, **kwargs):
    """fn(*args) by the small-array path and by the chunked, threaded one."""
    small = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs)
    with monkeypatch.context() as m:
        m.setattr(runtime, "THREAD_MIN", 0)  # (every call chunked and split over two threads)
        chunked = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs)
    return small, chunked


@pytest.mark.parametrize("name", SCALAR)
def test_small_array_path_equals_the_chunked_one(name, monkeypatch):
    act = symact.get(name)
    rng = np.random.default_rng(5)
    x = np.concatenate([EXTREME, rng.normal(scale=4, size=400), rng.uniform(-1, 1, 100)])
    with np.errstate(over="ignore"):  # (huge values become inf in float16/32)
        x16, x32 = x.astype(np.float16), x.astype(np.float32)
    kernels = [act.numpy(0), act.numpy(1), act.numpy_value_and_grad()]
    for fn in kernels:
        for xd in (x, x32, x16):
            small, chunked = _both_paths(fn, monkeypatch, xd)
            for a, b in zip(np.atleast_1d(small), np.atleast_1d(chunked), strict=True):
                np.testing.assert_array_equal(a, b)
    # out= of another dtype, out is x, and an out that overlaps x shifted by one element
    o64 = [np.empty(x32.shape), np.empty(x32.shape)]
    act.numpy(0)(x32, out=o64[0])
    with monkeypatch.context() as m:
        m.setattr(runtime, "THREAD_MIN", 0)
        act.numpy(0)(x32, out=o64[1])
    np.testing.assert_array_equal(o64[0], o64[1])
    buf = np.zeros(x.size + 1)
    buf[:-1] = x
    act.numpy(0)(buf[:-1], out=buf[1:])
    np.testing.assert_array_equal(buf[1:], act.numpy(0)(x))
    y = x.copy()
    act.numpy(1)(y, out=y)
    np.testing.assert_array_equal(y, act.numpy(1)(x))

# ---------------------------------------------------------------- special values, warnings
@pytest.mark.parametrize("name", SCALAR)
def test_no_warnings_nan_propagates(name):
    act = symact.get(name)
    for order in (0, 1, 2):
        try:
            fn = act.numpy(order)
        except CodegenError:
            continue
        for dtype in (np.float16, np.float32, np.float64):
            with np.errstate(over="ignore"):  # the test input: huge values become +-inf
                x = EXTREME.astype(dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(all="raise"):
                    y = fn(x)
            assert np.isnan(y[-1]), (name, order, dtype)


INF_CASES = ["sigmoid", "silu", "gelu", "softplus", "logsigmoid", "mish", "elu", "selu",
             "tanhshrink", "hardswish", "relu", "gelu_tanh", "swish", "loglog", "softsign",
             "symmetric_sigmoid", "sinusoid", "exponential", "squareplus", "isru", "sinc",
             "bent_identity"]


@pytest.mark.parametrize("name", INF_CASES)
@pytest.mark.parametrize("order", [0, 1, 2])
def test_infinities_give_the_limits(name, order):
    act = symact.get(name).with_defaults()
    fn = mp_function(_textbook(act, order), act.x)
    expect = [float(numeric_limit(fn, 1)), float(numeric_limit(fn, -1))]
    got = symact.get(name).numpy(order)(np.array([np.inf, -np.inf]))
    np.testing.assert_array_equal(got, expect)


# ---------------------------------------------------------------- parameters
def test_parameters_default_and_broadcast():
    lr = k("leaky_relu")
    x = np.array([-2.0, -1.0, 0.0, 3.0])
    np.testing.assert_array_equal(lr(x), np.where(x > 0, x, 0.01 * x))
    slopes = np.array([[0.1], [0.2], [0.5]])
    y = lr(x, negative_slope=slopes)
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y, np.where(x > 0, x, slopes * x))
    sp_ = k("softplus")
    np.testing.assert_allclose(sp_(np.array([1.0]), beta=2.0), np.log1p(np.exp(2.0)) / 2)
    with pytest.raises(TypeError):
        lr(x, slope=1.0)


PARAMETRIZED = [a.name for a in symact.activations() if not a.is_vector and a.params]


@pytest.mark.parametrize("name", PARAMETRIZED)
def test_parameter_values_outside_the_domain_raise(name):
    """Each kernel accepts exactly the parameter values that binding the activation accepts
    (swish with beta = -1 gave NaN for |x| > 710, celu with alpha = 0 a ZeroDivisionError,
    elu with alpha = inf NaN), also elementwise in arrays."""
    act = symact.get(name)
    x = np.array([-1000.0, -1.0, 0.0, 0.5, 1000.0])
    defaults = {n: float(v) for n, v in act.defaults.items()}
    kernels = [act.numpy(0), act.numpy(1), act.numpy_value_and_grad()]
    for n in act.params:
        for v in (-2.0, -0.5, 0.0, 0.5, 3.0, np.nan, np.inf):
            values = {**defaults, n: v}
            try:
                act.bind(**values)
                allowed = True
            except symact.ParameterError:
                allowed = False
            for fn in kernels:
                if allowed:
                    fn(x, **values)
                    continue
                with pytest.raises(ValueError, match="symact kernel: .*must"):
                    fn(x, **values)
                with pytest.raises(ValueError, match=repr(float(v))):
                    fn(x, **{**values, n: np.array([defaults[n], v])[:, None]})


def test_domain_messages_and_relations():
    with pytest.raises(ValueError, match=r"parameter 'beta' must be > 0, got -1.0"):
        k("swish")(np.ones(3), beta=-1.0)
    with pytest.raises(ValueError, match=r"must satisfy min_val < max_val, got min_val=2.0, "
                                         r"max_val=1.0"):
        k("hardtanh")(np.ones(3), min_val=2.0, max_val=1.0)
    with pytest.raises(ValueError, match=r"min_val=3.0"):  # (the first offending element)
        k("hardtanh")(np.ones(3), min_val=np.array([0.0, 3.0, 0.5]), max_val=1.0)
    assert "Domain: beta > 0" in k("swish").__doc__
    # bound parameters are no longer checked; a partly bound constraint still is
    ht = symact.get("hardtanh").bind(min_val=-2)
    with pytest.raises(ValueError, match="max_val"):
        ht.numpy()(np.ones(3), max_val=-3.0)
    np.testing.assert_array_equal(ht.numpy()(np.array([-5.0, 0.5, 5.0]), max_val=2.0),
                                  [-2.0, 0.5, 2.0])
    # defaults that violate a partly bound constraint: the kernel is generated, and a call
    # must give values for the parameters
    low = symact.get("hardtanh").bind(max_val=-2)
    np.testing.assert_array_equal(low.numpy()(np.array([-5.0, -2.5, 0.0]), min_val=-3.0),
                                  [-3.0, -2.5, -2.0])
    with pytest.raises(ValueError, match="'min_val' must be < -2, got -1.0"):
        low.numpy()(np.zeros(2))
    with pytest.raises(ValueError, match="finite, got inf"):
        k("elu")(np.ones(2), alpha=np.inf)
    with pytest.raises(ValueError, match="out= takes 2 array"):
        symact.get("tanh").numpy_value_and_grad()(np.ones(3), out=(np.empty(3),))

def test_value_and_grad_matches_separate_kernels():
    for name in ("gelu", "silu", "relu", "softplus", "sinc"):
        act = symact.get(name)
        x = np.linspace(-30, 30, 1001)
        f, g = act.numpy_value_and_grad()(x)
        # shared subexpressions may round differently by an ulp
        np.testing.assert_allclose(f, act.numpy(0)(x), rtol=5e-16, atol=0)
        np.testing.assert_allclose(g, act.numpy(1)(x), rtol=5e-16, atol=1e-16)
        out = (np.empty_like(x), np.empty_like(x))
        r = act.numpy_value_and_grad()(x, out=out)
        assert r[0] is out[0] and r[1] is out[1]


def test_kink_conventions():
    x = np.array([0.0, -3.0, 3.0, 1.0, -1.0])
    np.testing.assert_array_equal(k("relu", 1)(x[:1]), [0.0])
    np.testing.assert_array_equal(k("hardswish", 1)(np.array([-3.0, 3.0])), [-0.5, 1.5])
    np.testing.assert_array_equal(k("hardtanh", 1)(np.array([-1.0, 1.0, 0.5])), [0, 0, 1])
    np.testing.assert_array_equal(k("elu", 1)(np.array([0.0])), [1.0])
    np.testing.assert_array_equal(k("step")(np.array([0.0, -1e-300])), [1.0, 0.0])
    np.testing.assert_array_equal(k("signum")(np.array([0.0, 2.0, -2.0])), [0, 1, -1])


def test_user_defined_activation():
    act = symact.define("x * tanh(log(1 + exp(beta * x)))", name="my_mish", beta=1)
    x = np.linspace(-50, 50, 201)
    np.testing.assert_allclose(act.numpy()(x), k("mish")(x), rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(act.numpy(1)(x), k("mish", 1)(x), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(act.numpy()(x, beta=2.0)[-1], 50.0)
    act2 = symact.define("max(0, x) + min(0, 0.1 * x)", name="my_leaky")
    np.testing.assert_allclose(act2.numpy()(np.array([-10.0, 2.0])), [-1.0, 2.0])


def test_bad_order():
    with pytest.raises(CodegenError):
        symact.get("relu").numpy(3)


# ---------------------------------------------------------------- f' against d/dx f
SMOOTH = ["sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "mish", "softplus", "logsigmoid",
          "loglog", "tanhshrink", "bent_identity", "squareplus", "isru", "snake", "sinc",
          "softsign", "arctan", "gaussian", "lecun_tanh", "symmetric_sigmoid", "elu", "celu"]


@pytest.mark.parametrize("name", SMOOTH)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(x=st.floats(min_value=-40, max_value=40, allow_nan=False))
def test_derivative_matches_high_precision_derivative(name, x):
    act = symact.get(name).with_defaults()
    f = mp_function(_textbook(act, 1), act.x)
    ref = float(mpmath.mpf(_mp_eval(f, float(x))))  # adaptive precision: no cancellation
    got = symact.get(name).numpy(1)(np.array([x]))[0]
    assert abs(got - ref) <= 1e-12 * abs(ref) + 1e-300, (x, got, ref)


# ---------------------------------------------------------------- vector kernels
def test_softmax_family():
    x = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1.0]])
    sm = symact.get("softmax").numpy()(x)
    np.testing.assert_allclose(sm.sum(axis=-1), 1.0)
    e = np.exp(x[0] - 1001)
    np.testing.assert_allclose(sm[0], e / e.sum())
    ls = symact.get("log_softmax").numpy()(x)
    np.testing.assert_allclose(ls[1, 0], -1e4 - np.log(np.exp(0.0 - 1) + 1) - 1, rtol=1e-15)
    smin = symact.get("softmin").numpy()(x, axis=0)
    np.testing.assert_allclose(smin.sum(axis=0), 1.0)
    assert symact.get("softmax").numpy()(x.astype(np.float32)).dtype == np.float32
    with pytest.raises(TypeError):
        symact.get("softmax").numpy()(x.astype(complex))


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax", "glu"])
def test_vector_backward_matches_finite_differences(name):
    act = symact.get(name)
    rng = np.random.default_rng(1)
    x = rng.normal(size=6)
    fwd, vjp = act.numpy(0), act.numpy(1)
    g = rng.normal(size=fwd(x).shape)
    h = 1e-6
    num = np.array([(g @ fwd(x + h * e) - g @ fwd(x - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(vjp(x, g), num, rtol=1e-6, atol=1e-8)


def test_glu_odd_length():
    with pytest.raises(ValueError, match="odd"):
        symact.get("glu").numpy()(np.zeros(3))


# ---------------------------------------------------------------- branch-free fusions
FUSED = {  # activation -> ufunc that replaces the masked selects of its value kernel
    "absolute": "np.abs", "signum": "np.sign", "hardsigmoid": "_rt.clip",
    "softshrink": "_rt.clip", "relu6": "_rt.clip", "sparse_sigmoid": "_rt.clip",
}


@pytest.mark.parametrize("name", ["absolute", "signum", "hardsigmoid", "softshrink", "relu6",
                                  "sparse_sigmoid", "hardshrink", "leaky_relu", "prelu", "elu",
                                  "selu", "celu", "apl", "softsign", "threshold", "step"])
def test_fused_kernels_have_no_masked_copies_and_keep_the_piecewise_values(name):
    from symact.codegen import generate

    act = symact.get(name)
    src = generate(act, (0,)).source.split("\n\n\ndef ")[0]
    assert "putmask" not in src and "where=" not in src and "_rt.select" not in src, src
    if name in FUSED:
        assert FUSED[name] in src
    # the Piecewise definition, evaluated exactly, at the breakpoints and around them
    bound = act.with_defaults()
    f = mp_function(_textbook(bound, 0), bound.x)
    pts = [-7.5, -6.0, -3.0, -2.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.5, 3.0, 6.0, 7.5]
    for dtype in (np.float32, np.float64):
        x = np.array(pts + [np.nan, np.inf, -np.inf], dtype=dtype)
        y = act.numpy()(x)
        ref = np.array([float(mpmath.mpf(_mp_eval(f, float(p)))) for p in pts])
        np.testing.assert_allclose(y[:-3], ref.astype(dtype), rtol=4 * np.finfo(dtype).eps,
                                   atol=0)
        assert np.isnan(y[-3])
        lim = [float(numeric_limit(f, 1)), float(numeric_limit(f, -1))]
        np.testing.assert_array_equal(y[-2:], np.array(lim, dtype=dtype))


@pytest.mark.parametrize("name,params", [
    ("softshrink", {"lambd": 0.0}), ("softshrink", {"lambd": 2.0}),
    ("hardshrink", {"lambd": 0.0}), ("hardshrink", {"lambd": 3.0}),
    ("leaky_relu", {"negative_slope": 2.0}), ("leaky_relu", {"negative_slope": -0.5}),
    ("elu", {"alpha": 0.3}), ("celu", {"alpha": 2.5}), ("prelu", {"weight": 1.5}),
    ("threshold", {"threshold": -2.5, "value": 7.0}), ("threshold", {"threshold": 2.0}),
])
def test_fused_kernels_at_other_parameters(name, params):
    act = symact.get(name)
    bound = act.with_defaults()
    subs = {act.params[k]: v for k, v in params.items()}
    expr = act.expr.subs(subs).subs({p: act.defaults[n] for n, p in act.params.items()
                                     if n not in params})
    f = mp_function(expr, bound.x)
    pts = [-9.0, -3.0, -2.5, -2.0, -0.5, 0.0, 0.5, 2.0, 2.5, 3.0, 9.0]
    y = act.numpy()(np.array(pts), **params)
    ref = [float(mpmath.mpf(_mp_eval(f, p))) for p in pts]
    np.testing.assert_allclose(y, ref, rtol=4e-16, atol=0)


# ---------------------------------------------------------------- float32 compute
def _spec(name: str, order: int = 0) -> tuple:
    from symact.codegen import generate

    src = generate(symact.get(name), (order,)).source
    return eval(src.split("_rt.apply(")[1].split(", x, ")[0].split(", ", 1)[1])  # noqa: S307


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "arctan", "elu", "sinusoid", "exponential",
                                  "logsigmoid", "silu"])
def test_float32_native_where_the_error_analysis_allows(name):
    assert _spec(name)[3] is False


@pytest.mark.parametrize("name", ["gelu", "tanhshrink", "mish", "snake"])
def test_float32_in_float64_where_it_does_not(name):
    # tanhshrink: x - tanh(x) cancels; gelu: erfc; snake: x + sin(x)^2 cancels for x < 0
    # (silu: float32 with its exponential rounded from float64, see test_codegen_refine)
    # (softplus and isru: float32 only at the default parameter, see test_codegen_refine)
    assert _spec(name)[3] is True


def test_float32_native_kernels_on_a_dense_sample():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-100, 100, 20000), rng.uniform(-6, 6, 20000),
                        np.sign(rng.normal(size=20000)) * np.exp(rng.uniform(-87, 88, 20000))]
                       ).astype(np.float32)
    for name in ("sigmoid", "tanh", "elu", "selu", "celu", "logsigmoid", "arctan", "cos"):
        got = k(name)(x)
        ref = k(name)(x.astype(np.float64))
        spacing = np.maximum(np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64),
                             np.spacing(np.float32(0)))
        err = np.abs(got.astype(np.float64) - ref) / spacing
        assert np.nanmax(err) <= 4, (name, float(np.nanmax(err)), x[np.nanargmax(err)])


def test_hypot_with_a_constant_at_the_top_of_the_range():
    x = np.array([0.0, 1e-200, 3.0, 1e10, 1.2e18, 1e19, 1e154, 1e300, 1.7e308, -1e300])
    np.testing.assert_allclose(k("isru")(x), x / np.hypot(x, 1.0), rtol=4e-16)
    x32 = x[np.abs(x) < 3e38].astype(np.float32)
    y = k("isru")(x32)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))


def test_gelu_temporaries_stay_below_one_chunk_buffer():
    import tracemalloc

    x = np.random.default_rng(0).normal(scale=4, size=3 * runtime.CHUNK + 5)
    out = np.empty_like(x)
    fn = k("gelu")
    fn(x, out=out)
    tracemalloc.start()
    fn(x, out=out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= runtime.CHUNK_BYTES  # one float64 chunk


@pytest.mark.parametrize("name, order, points", [
    ("silu", 0, [-746.0, -745.0, -740.0, -720.0, -709.78]),
    ("silu", 1, [-746.0, -745.0, -740.0, -720.0, -709.78]),
    ("swish", 0, [-746.0, -745.0, -709.0]),
    ("mish", 0, [-746.0, -745.0, -730.0, -709.0]),
    ("mish", 1, [-746.0, -745.0, -730.0, -709.0]),
    ("gelu", 0, [-38.6, -37.7387, -36.0]),
    ("gelu", 1, [-38.6, -37.7, -36.0]),
    ("gaussian", 1, [-27.2, -26.683333333333334, 26.9]),
    ("lecun_tanh", 1, [-103.0, 89.0, 500.0]),
    ("gelu_tanh", 1, [-1.86369e154, 1e200]),
])
def test_underflowing_factors_and_rounded_exponents(name, order, points):
    """p exp(u) with exp(u) subnormal, p erfc(c x) in the deep tail, exp(c y) with c y rounded:
    within 4 ULP of mpmath (these points are not all on the accuracy grid's test subset)."""
    from symact.codegen import accuracy

    act = symact.get(name)
    pts = np.array(points)
    refs = accuracy.references(act, order, pts)
    errs = accuracy.ulp_errors(np.asarray(act.numpy(order)(pts)), refs, "float64")
    assert errs.max() <= 4, dict(zip(points, errs.tolist(), strict=True))


def test_domain_rules_of_other_assumptions():
    """nonzero and integer parameters (user-built activations): NaN fails a != rule, and
    +-inf an integer rule, without a floating-point warning."""
    import sympy as sp

    from symact.model import Activation, X

    a = sp.Symbol("a", real=True, nonzero=True)
    n = sp.Symbol("n", integer=True, positive=True)
    act = Activation(name="scaled", expr=X * n / a, params={"a": a, "n": n},
                     defaults={"a": sp.Integer(1), "n": sp.Integer(2)})
    rules = domain_rules(act, ("a", "n"))
    assert ("a", "!=", 0.0) in rules and ("n", "integer", None) in rules
    kern = act.numpy()
    np.testing.assert_array_equal(kern(np.array([1.0, -2.0]), a=4.0, n=3), [0.75, -1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bad in ({"a": np.nan}, {"a": np.array([1.0, np.nan])}, {"a": 0.0}, {"n": np.inf},
                    {"n": 2.5}, {"n": np.array([1.0, 2.0, -np.inf])}):
            with pytest.raises(ValueError, match="symact kernel: parameter"):
                kern(np.ones(np.shape(next(iter(bad.values()))) or 3), **bad)
