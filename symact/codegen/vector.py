"""Kernels of the vector-valued activations (softmax, softmin, log_softmax, glu) along an axis.

Their symbolic definitions are sums over the axis, so the program is written with reductions:
the maximum is subtracted before exponentiating (no overflow, exact for +-inf-free rows) and the
log-sum-exp is formed as ``m + log(sum(exp(x - m)))``. ``order=1`` gives the vector-Jacobian
product (the backward pass) ``k(x, g, *, axis=-1, out=None)``: ``g`` is the upstream gradient
with the output's shape. Dtype rules follow the scalar kernels; float16 computes in float32.
"""

from __future__ import annotations

from collections.abc import Callable

#: module-level source (needs ``np`` and ``_rt``); also written into generated/kernels
SOURCE = '''
def _prep(x, axis):
    x = np.asarray(x)
    rdtype = _rt.result_dtype(x.dtype)
    if x.ndim == 0:
        raise ValueError("symact kernel: a vector activation needs at least a 1-d array")
    cdtype = np.float32 if rdtype == np.float16 else rdtype
    return x.astype(cdtype, copy=True), rdtype, axis % x.ndim


def _finish(y, rdtype, out):
    if out is None:
        return y.astype(rdtype, copy=False)
    if out.shape != y.shape:
        raise ValueError(f"symact kernel: out has shape {out.shape}, expected {y.shape}")
    np.copyto(out, y, casting="same_kind")
    return out


def _log_sum_exp(z, axis):
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    np.subtract(z, m, out=z)
    lse = np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    return z, lse


def softmax(x, *, axis=-1, out=None):
    """softmax: exp(x_i) / sum_j exp(x_j) along ``axis``.

    Stable: exp(x_i - max) / sum_j exp(x_j - max). NaN in a row gives NaN in the row.
    """
    with np.errstate(all="ignore"):
        z, rdtype, axis = _prep(x, axis)
        m = np.max(z, axis=axis, keepdims=True)
        np.subtract(z, np.where(np.isfinite(m), m, 0.0), out=z)
        np.exp(z, out=z)
        np.divide(z, np.sum(z, axis=axis, keepdims=True), out=z)
        return _finish(z, rdtype, out)


def softmin(x, *, axis=-1, out=None):
    """softmin: softmax(-x) = exp(-x_i) / sum_j exp(-x_j) along ``axis``."""
    with np.errstate(all="ignore"):
        return softmax(np.negative(np.asarray(x, dtype=_rt.result_dtype(np.asarray(x).dtype))),
                       axis=axis, out=out)


def log_softmax(x, *, axis=-1, out=None):
    """log_softmax: x_i - log sum_j exp(x_j) along ``axis``.

    Stable: (x_i - m) - log(sum_j exp(x_j - m)) with m the maximum; no log of an underflowed
    softmax.
    """
    with np.errstate(all="ignore"):
        z, rdtype, axis = _prep(x, axis)
        z, lse = _log_sum_exp(z, axis)
        np.subtract(z, lse, out=z)
        return _finish(z, rdtype, out)


def _sigmoid(b):
    e = np.exp(-np.abs(b))
    r = 1.0 / (1.0 + e)
    return np.where(b < 0, e * r, r), e * r * r


def glu(x, *, axis=-1, out=None):
    """glu: the input split in halves (a, b) along ``axis``; a * sigmoid(b).

    The length along ``axis`` must be even. sigmoid is evaluated as e/(1+e) or 1/(1+e) with
    e = exp(-|b|).
    """
    with np.errstate(all="ignore"):
        z, rdtype, axis = _prep(x, axis)
        n = z.shape[axis]
        if n % 2:
            raise ValueError(f"symact kernel: glu splits the axis in halves; length {n} is odd")
        a, b = np.split(z, 2, axis=axis)
        s, _ = _sigmoid(b)
        y = a * s
        return _finish(y, rdtype, out)


def softmax_vjp(x, g, *, axis=-1, out=None):
    """Backward pass of softmax: J^T g = y * (g - sum(g * y)) with y = softmax(x)."""
    with np.errstate(all="ignore"):
        y = softmax(x, axis=axis)
        g = np.asarray(g, dtype=y.dtype)
        r = y * (g - np.sum(g * y, axis=axis, keepdims=True))
        return _finish(r, y.dtype, out)


def softmin_vjp(x, g, *, axis=-1, out=None):
    """Backward pass of softmin: -(y * (g - sum(g * y))) with y = softmin(x)."""
    with np.errstate(all="ignore"):
        y = softmin(x, axis=axis)
        g = np.asarray(g, dtype=y.dtype)
        r = -(y * (g - np.sum(g * y, axis=axis, keepdims=True)))
        return _finish(r, y.dtype, out)


def log_softmax_vjp(x, g, *, axis=-1, out=None):
    """Backward pass of log_softmax: g - softmax(x) * sum(g)."""
    with np.errstate(all="ignore"):
        p = softmax(x, axis=axis)
        g = np.asarray(g, dtype=p.dtype)
        r = g - p * np.sum(g, axis=axis, keepdims=True)
        return _finish(r, p.dtype, out)


def glu_vjp(x, g, *, axis=-1, out=None):
    """Backward pass of glu: (g sigmoid(b), g a sigmoid'(b)) concatenated along ``axis``."""
    with np.errstate(all="ignore"):
        z, rdtype, axis = _prep(x, axis)
        if z.shape[axis] % 2:
            raise ValueError("symact kernel: glu splits the axis in halves; the length is odd")
        a, b = np.split(z, 2, axis=axis)
        s, ds = _sigmoid(b)
        g = np.asarray(g, dtype=z.dtype)
        r = np.concatenate([g * s, g * a * ds], axis=axis)
        return _finish(r, rdtype, out)
'''

NAMES = ("softmax", "softmin", "log_softmax", "glu")

_NS: dict | None = None


def _namespace() -> dict:
    global _NS
    if _NS is None:
        from .kernel import namespace

        ns = namespace()
        exec(compile(SOURCE, "<symact vector kernels>", "exec"), ns)  # noqa: S102
        _NS = ns
    return _NS


def vector_kernel(act, order: int) -> Callable:
    """softmax & co: order 0 the function, order 1 its vector-Jacobian product."""
    from .kernel import CodegenError

    if act.name not in NAMES:
        raise CodegenError(f"no kernel template for the vector activation {act.name}")
    if order == 2:
        raise CodegenError(f"{act.name}: second-order kernels exist only for scalar activations")
    ns = _namespace()
    return ns[act.name if order == 0 else f"{act.name}_vjp"]
