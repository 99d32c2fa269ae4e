"""Runtime shared by every generated kernel: NumPy ufunc conventions, chunking and threads.

This module imports only NumPy and ``scipy.special``; it is copied verbatim into
``generated/kernels/_runtime.py`` so the generated package is standalone.

A generated *core* ``core(x, outs, s, b, *params)`` computes one chunk: ``x`` is a 1-d array of
the compute dtype, ``outs`` the output chunks, ``s``/``b`` float/bool scratch buffers of the same
length. :func:`apply` does the rest: dtype rules, broadcasting of parameters, ``out=``,
chunking into cache-sized pieces, spreading the chunks over two threads (NumPy releases the GIL
inside ufuncs) and suppressing floating-point warnings (every special value is handled by the
kernel itself).

Conventions, as NumPy ufuncs: float16/32/64 in gives the same dtype out; ints and bools give
float64; complex, object and other dtypes raise ``TypeError``; ``out=`` is honoured (also when it is
``x`` itself); the input is never modified; 0-d input without ``out`` gives a NumPy scalar.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.special as _sc

#: elements per chunk: a few float64 scratch buffers stay inside a 2 MiB L2 cache, and the
#: Python work per chunk (a dozen ufunc calls) is small next to the ufunc loops
CHUNK = 65536
#: arrays at least this long are split over two threads
THREAD_MIN = 1 << 18
THREADS = 2

_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS - 1,
                                       thread_name_prefix="symact-kernel")
        return _pool


def _scratch(dtype: np.dtype, nfloat: int, nbool: int) -> tuple[list, list, np.ndarray]:
    """Per-thread scratch buffers of CHUNK elements (reused from call to call)."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (dtype.char, nfloat, nbool, CHUNK)
    bufs = cache.get(key)
    if bufs is None:
        bufs = cache[key] = (
            [np.empty(CHUNK, dtype) for _ in range(nfloat)],
            [np.empty(CHUNK, np.bool_) for _ in range(nbool)],
            np.empty(CHUNK, dtype),  # input staging (cast / copy of an aliased x)
        )
    return bufs


def result_dtype(dtype: np.dtype) -> np.dtype:
    """The output dtype for an input dtype, or TypeError."""
    kind = dtype.kind
    if kind == "f" and dtype.itemsize <= 8:
        return dtype
    if kind in "biu":
        return np.dtype(np.float64)
    raise TypeError(
        f"symact kernel: unsupported input dtype {dtype} (expected a real floating dtype "
        f"float16/32/64, an integer or a bool array; complex and object inputs are not supported)"
    )


def _param(name: str, value) -> float | np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"symact kernel: parameter {name!r} must be a real number, got a bool")
    if isinstance(value, (int, float)):
        return float(value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu" or (arr.dtype.kind == "f" and arr.dtype.itemsize > 8):
        raise TypeError(f"symact kernel: parameter {name!r} must be real, got dtype {arr.dtype}")
    if arr.ndim == 0:
        return float(arr)
    return arr.astype(np.float64)


def apply(core, spec: tuple, x, outs, params: tuple, names: tuple):
    """Evaluate ``core`` on ``x`` following the ufunc conventions.

    ``spec = (n_outputs, n_float_scratch, n_bool_scratch, precise)``; ``precise`` kernels compute
    float16/float32 input in float64 and round once (``False``: in float32). ``outs`` is ``None``
    or a tuple of arrays (or ``None`` entries) with one entry per output.
    """
    n_out, nfloat, nbool, precise = spec
    x = np.asarray(x)
    rdtype = result_dtype(x.dtype)
    if rdtype == np.float64:
        cdtype = rdtype
    else:
        cdtype = np.dtype(np.float64 if precise else np.float32)
    pvals = tuple(_param(n, v) for n, v in zip(names, params, strict=True))
    shape = x.shape
    arrays = [p for p in pvals if isinstance(p, np.ndarray)]
    if arrays:
        shape = np.broadcast_shapes(shape, *(a.shape for a in arrays))
    scalar = x.ndim == 0 and not arrays
    given = outs if outs is not None else (None,) * n_out
    result = []
    for o in given:
        if o is None:
            o = np.empty(shape, rdtype)
        else:
            if not isinstance(o, np.ndarray):
                raise TypeError("symact kernel: out must be a NumPy array")
            if o.shape != shape:
                raise ValueError(f"symact kernel: out has shape {o.shape}, expected {shape}")
            if not np.can_cast(rdtype, o.dtype, "same_kind"):
                raise TypeError(f"symact kernel: cannot write a {rdtype} result into out of "
                                f"dtype {o.dtype}")
            if not o.flags.writeable:
                raise ValueError("symact kernel: out is read-only")
        result.append(o)
    n = math.prod(shape)
    if n:
        _run(core, (n_out, nfloat, nbool), x, result, pvals, shape, cdtype)
    if scalar and outs is None:
        values = tuple(r[()] for r in result)
    else:
        values = tuple(result)
    return values[0] if n_out == 1 else values


def _run(core, counts, x, outs, pvals, shape, cdtype) -> None:
    n_out, nfloat, nbool = counts
    n = math.prod(shape)
    if x.shape != shape:
        x = np.broadcast_to(x, shape)
    aliased = any(np.may_share_memory(x, o) for o in outs)
    if aliased and not all(o is x or (o.__array_interface__["data"][0]
                                      == x.__array_interface__["data"][0]
                                      and o.strides == x.strides and o.shape == x.shape)
                           for o in outs):
        x = x.copy()  # partial overlap with a different layout: work from a copy
        aliased = False
    xflat = x.reshape(-1) if x.flags.c_contiguous else None
    direct_in = xflat is not None and x.dtype == cdtype and not aliased
    oflat = [o.reshape(-1) if o.flags.c_contiguous and o.dtype == cdtype else None for o in outs]
    pfull = [np.broadcast_to(p, shape) if isinstance(p, np.ndarray) else p for p in pvals]

    array_params = any(isinstance(p, np.ndarray) for p in pfull)

    def work(starts: range) -> None:
        s_all, b_all, stage = _scratch(cdtype, nfloat + n_out, nbool)
        s_full, b_full = s_all[:nfloat], b_all
        ps = pfull
        with np.errstate(all="ignore"):
            for a in starts:
                m = min(CHUNK, n - a)
                if direct_in:
                    xc = xflat[a:a + m]
                elif xflat is not None:
                    xc = stage[:m]
                    np.copyto(xc, xflat[a:a + m], casting="unsafe")
                else:
                    xc = stage[:m]
                    xc[...] = x.flat[a:a + m]
                ocs = [of[a:a + m] if of is not None else s_all[nfloat + k][:m]
                       for k, of in enumerate(oflat)]
                if m == CHUNK:
                    s, b = s_full, b_full
                else:
                    s = [buf[:m] for buf in s_full]
                    b = [buf[:m] for buf in b_full]
                if array_params:
                    ps = [p.flat[a:a + m] if isinstance(p, np.ndarray) else p for p in pfull]
                core(xc, ocs, s, b, *ps)
                for k in range(n_out):
                    if oflat[k] is None:
                        o = outs[k]
                        if o.flags.c_contiguous:
                            np.copyto(o.reshape(-1)[a:a + m], ocs[k], casting="unsafe")
                        else:
                            o.flat[a:a + m] = ocs[k]

    starts = range(0, n, CHUNK)
    if n >= THREAD_MIN and THREADS > 1:
        half = (len(starts) + 1) // 2
        future = _executor().submit(work, starts[half:])
        try:
            work(starts[:half])
        finally:
            future.result()
    else:
        work(starts)


def fix_nan(x: np.ndarray, o: np.ndarray) -> None:
    """NaN in, NaN out (for kernels whose branches would map NaN to a number)."""
    np.copyto(o, x, where=np.isnan(x))


def fix_inf(x: np.ndarray, o: np.ndarray, at_pos, at_neg) -> None:
    """Write the limits at +inf / -inf where the straight-line program cannot reach them."""
    inf = np.isinf(x)
    if inf.any():
        np.copyto(o, at_pos, where=inf & (x > 0))
        np.copyto(o, at_neg, where=inf & (x < 0))


def exp_neg_square(x: np.ndarray, k: float) -> np.ndarray:
    """exp(-k x^2) for k a power of two: x^2 = hi + lo exactly (Dekker's product), then
    exp(-k hi) (1 - k lo), so the rounding of x^2 never reaches the exponent. (Four
    temporaries of the size of x.)"""
    a = np.clip(x, -1e150, 1e150)  # xc
    b = a * 134217729.0  # t
    c = b - a
    np.subtract(b, c, out=c)  # xh = t - (t - xc)
    np.subtract(a, c, out=b)  # xl = xc - xh
    np.square(a, out=a)  # hi
    d = c * c
    d -= a  # xh^2 - hi
    c *= b
    c *= 2.0
    d += c  # + 2 xh xl
    np.square(b, out=b)
    d += b  # + xl^2 = lo
    a *= -k
    np.exp(a, out=a)
    d *= -k
    d += 1.0
    a *= d
    return a


#: elements per block of the tail computation of :func:`erfc_scaled` (bounds its temporaries)
TAIL_BLOCK = 8192


def erfc_scaled(x: np.ndarray, c: float, c2: float, out: np.ndarray) -> np.ndarray:
    """erfc(c x), c^2 = c2 a power of two. Where c x > 1 it is erfcx(c x) exp(-c2 x^2)
    (evaluated on those elements only, in blocks so the temporaries stay small): erfc has
    relative condition number ~2 z^2 in the tail, so the rounding of c x must not reach the
    Gaussian factor."""
    np.multiply(x, c, out=out)
    for a in range(0, out.shape[0], TAIL_BLOCK):
        z = out[a:a + TAIL_BLOCK]
        idx = np.flatnonzero(z > 1.0)
        if idx.size == z.shape[0]:
            tail = _sc.erfcx(z)
            tail *= exp_neg_square(x[a:a + TAIL_BLOCK], c2)
        elif idx.size:
            tail = _sc.erfcx(z[idx])
            tail *= exp_neg_square(x[a:a + TAIL_BLOCK][idx], c2)
        _sc.erfc(z, out=z)
        if idx.size == z.shape[0]:
            z[...] = tail
        elif idx.size:
            z[idx] = tail
    return out
