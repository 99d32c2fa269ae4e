"""Runtime shared by every generated kernel: NumPy ufunc conventions, chunking and threads.

This module imports only NumPy and ``scipy.special``; it is copied verbatim into
``generated/kernels/_runtime.py`` so the generated package is standalone.

A generated *core* ``core(x, outs, s, b, *params)`` computes one chunk: ``x`` is a 1-d array of
the compute dtype, ``outs`` the output chunks, ``s``/``b`` float/bool scratch buffers of the same
length. :func:`apply` does the rest: dtype rules, broadcasting of parameters, ``out=``,
chunking into cache-sized pieces, spreading the chunks over two threads (NumPy releases the GIL
inside ufuncs) and suppressing floating-point warnings (every special value is handled by the
kernel itself).

While a core runs, the thread-local flags ``narrow`` (every input value has at most 24
significant bits and is computed in float64: products of two are exact) and ``rounded`` (the
results are rounded to float32 or narrower) let helpers take cheaper forms that are exact or
far below the final rounding (:func:`exp_neg_sq`, :func:`sin_sq`).

Conventions, as NumPy ufuncs: float16/32/64 in gives the same dtype out; ints and bools give
float64; complex, object and other dtypes raise ``TypeError``; ``out=`` is honoured (also when it is
``x`` itself); the input is never modified; 0-d input without ``out`` gives a NumPy scalar.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.special as _sc

try:  # NumPy 2
    from numpy._core.umath import clip
except ImportError:  # NumPy 1.x
    from numpy.core.umath import clip
#: (``clip`` above is the ufunc itself: ``np.clip`` wraps it in three Python calls that hold the
#: GIL a few microseconds per call, which the other thread then waits for; generated kernels
#: call ``_rt.clip``. Measured at n = 1e7 float32, two threads: apl 9.7-10.6 -> 7.7-8.0 ms.)

#: bytes per chunk of the compute dtype: 131072 float64 or 262144 float32 elements. Each
#: ufunc call of a kernel releases and re-takes the GIL, and with two threads every re-take
#: waits for the other thread to hand it over: fewer, longer calls beat a chunk that fits the
#: L2 cache (measured on this 2-core machine, 1e7 elements: float32 apl 15.5 -> 6.7 ms and
#: sigmoid 13.7 -> 8.1 ms going from 64 KiB to 1 MiB chunks; 2 MiB ones are slower again)
CHUNK_BYTES = 1 << 20
#: the most elements in any chunk (float32 compute); scratch buffers have this length
CHUNK = CHUNK_BYTES // 4
#: arrays at least this long are split over two threads (one half each)
THREAD_MIN = 1 << 17
THREADS = 2
#: the mask of a chunk's refined elements is turned into indices (see :func:`_refine`) this
#: many elements at a time: the temporary index array is at most 256 KiB. The float64 core then
#: runs once per chunk: short calls make the two threads wait for each other's GIL hand-over
#: (float32 tanhshrink refined on |x| <= 1.25, 24 % of N(0, 16) input, n = 1e7: 74 ms with a
#: core call per 16384 elements of the chunk, 50 ms per 32768, 16-20 ms once per chunk, which
#: is still no faster than float64 throughout: see ``precision.REFINE_SPAN``)
REFINE_BLOCK = 32768

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
    """Per-thread scratch buffers of CHUNK elements (reused from call to call; a float64 chunk
    uses the first half of each: the untouched half of a float64 buffer is never paged in)."""
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


def at_defaults(values: tuple, defaults: tuple, native):
    """The ``precise`` spec entry of a kernel whose float32 program is accepted only at its
    default parameters: ``native`` (False, or refinement intervals) when every value is a
    scalar equal to its default, else True (float64 compute)."""
    for v, d in zip(values, defaults, strict=True):
        if isinstance(v, np.ndarray) and v.ndim:
            return True
        try:
            if float(v) != d:
                return True
        except (TypeError, ValueError):
            return True  # (apply reports the bad parameter)
    return native


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


def apply(core, spec: tuple, x, outs, params: tuple, names: tuple, domain: tuple = ()):
    """Evaluate ``core`` on ``x`` following the ufunc conventions.

    ``spec = (n_outputs, n_float_scratch, n_bool_scratch, precise)``; ``precise`` kernels compute
    float16/float32 input in float64 and round once (``False``: in float32; a tuple of closed
    intervals: in float32, then the elements in the intervals again in float64, see
    :func:`_refine`). ``outs`` is ``None`` or a tuple of arrays (or ``None`` entries) with one
    entry per output. ``domain``: the rules the parameter values must satisfy (see
    :func:`check_domain`).
    """
    n_out, nfloat, nbool, precise = spec
    x = np.asarray(x)
    rdtype = _RESULT.get(x.dtype)
    if rdtype is None:
        rdtype = _RESULT[x.dtype] = result_dtype(x.dtype)  # (raises for a bad dtype)
    refine = None
    if rdtype.itemsize == 8:
        cdtype = _F64  # (native byte order also for a big-endian float64 x)
    else:
        cdtype = _F64 if precise is True else _F32
        if isinstance(precise, tuple):
            refine = precise
    shape = x.shape
    arrays = False
    pvals = ()
    if params:
        pvals = tuple(_param(n, v) for n, v in zip(names, params, strict=True))
        shapes = [p.shape for p in pvals if isinstance(p, np.ndarray)]
        if shapes:
            arrays = True
            shape = np.broadcast_shapes(shape, *shapes)
        if domain:
            check_domain(domain, names, pvals)
    if outs is not None and len(outs) != n_out:
        raise ValueError(f"symact kernel: out= takes {n_out} array(s) here, got {len(outs)}")
    given = outs if outs is not None else (None,) * n_out
    result = []
    fresh = True  # (every output allocated here: none can overlap x)
    for o in given:
        if o is None:
            o = np.empty(shape, rdtype)
        else:
            fresh = False
            if not isinstance(o, np.ndarray):
                raise TypeError("symact kernel: out must be a NumPy array")
            if o.shape != shape:
                raise ValueError(f"symact kernel: out has shape {o.shape}, expected {shape}")
            if o.dtype != rdtype and not np.can_cast(rdtype, o.dtype, "same_kind"):
                raise TypeError(f"symact kernel: cannot write a {rdtype} result into out of "
                                f"dtype {o.dtype}")
            if not o.flags.writeable:
                raise ValueError("symact kernel: out is read-only")
        result.append(o)
    n = x.size if not arrays else math.prod(shape)
    if n:
        if (n < THREAD_MIN and not arrays and x.flags.c_contiguous
                and all(o.flags.c_contiguous for o in result)):
            _run_one(core, spec, x, result, fresh, pvals, cdtype, refine)
        else:
            _run(core, (n_out, nfloat, nbool), x, result, pvals, shape, cdtype, refine)
    if outs is None and x.ndim == 0 and not arrays:
        values = tuple(r[()] for r in result)
    else:
        values = tuple(result)
    return values[0] if n_out == 1 else values


_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "!=": operator.ne, "==": operator.eq}


def check_domain(domain: tuple, names: tuple, pvals: tuple) -> None:
    """ValueError unless the parameter values satisfy every rule of ``domain``: the
    activation's assumptions on its parameters and its constraints, as binding it checks them.
    A rule is ``(a, op, b)``, each side a parameter name or a number, ``op`` one of ``<``,
    ``<=``, ``>``, ``>=``, ``!=``, ``==``, or ``(a, "finite", None)``, ``(a, "integer", None)``;
    array values must satisfy it elementwise, and NaN satisfies none. The kernels are written for
    those values (a stable form may divide by a parameter or let exp(-beta |x|) stand for
    exp(-|beta x|)): outside them they would give NaN or wrong numbers where the formula has a
    value. Inside :func:`domain_unchecked` every value passes."""
    if getattr(_local, "unchecked", False):
        return
    values = dict(zip(names, pvals, strict=True))
    if _scalars_pass(domain, values):
        return
    with np.errstate(all="ignore"):
        for a, op, b in domain:
            va = values[a] if isinstance(a, str) else a
            if op == "finite":
                ok = np.isfinite(va)
            elif op == "integer":
                ok = np.mod(va, 1.0) == 0.0
            else:
                vb = values[b] if isinstance(b, str) else b
                ok = _RELATIONS[op](va, vb)
                if op == "!=":  # (NaN != anything holds)
                    ok = ok & (va == va) & (vb == vb)
            if ok is True or (ok is not False and bool(np.all(ok))):
                continue
            if isinstance(b, str) or not isinstance(a, str):  # (a relation between parameters)
                shown = ", ".join(f"{v}={_first_bad(values[v], ok)!r}" for v in (a, b)
                                  if isinstance(v, str))
                raise ValueError(f"symact kernel: the parameters must satisfy {a} {op} {b}, "
                                 f"got {shown}")
            rule = f"{op} {b:g}" if b is not None else "an integer" if op == "integer" else op
            raise ValueError(f"symact kernel: parameter {a!r} must be {rule}, got "
                             f"{_first_bad(va, ok)!r}")


def _scalars_pass(domain: tuple, values: dict) -> bool:
    """Whether every rule holds, decided in plain Python where its values are floats (the
    common case: a call on a small array pays ~0.1 us per rule, not NumPy's scalar
    overhead); False for an array value or a failed rule (the full check then runs)."""
    for a, op, b in domain:
        va = values[a] if isinstance(a, str) else a
        if type(va) is not float:
            return False
        if op == "finite":
            if not math.isfinite(va):
                return False
        elif op == "integer":
            if not (math.isfinite(va) and va == math.floor(va)):
                return False
        else:
            vb = values[b] if isinstance(b, str) else b
            if type(vb) is not float or vb != vb or va != va or not _RELATIONS[op](va, vb):
                return False
    return True


@contextlib.contextmanager
def domain_unchecked():
    """Within the block (this thread), :func:`check_domain` accepts every value: the generator
    runs a kernel at the defaults of a partly bound activation, which may violate its
    constraints (hardtanh bound to max_val = -2 keeps the default min_val = -1)."""
    prev = getattr(_local, "unchecked", False)
    _local.unchecked = True
    try:
        yield
    finally:
        _local.unchecked = prev


def _first_bad(value, ok):
    """``value``, or for an array the first element where ``ok`` fails (as a float)."""
    if not isinstance(value, np.ndarray):
        return value
    bad = np.flatnonzero(~np.broadcast_to(ok, np.broadcast_shapes(np.shape(ok),
                                                                   value.shape)))
    return float(np.broadcast_to(value, np.broadcast_shapes(np.shape(ok), value.shape))
                 .flat[bad[0]]) if bad.size else float(value.flat[0])


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
#: result dtype per input dtype (:func:`result_dtype`, looked up once per dtype)
_RESULT: dict = {}


def _run_one(core, spec: tuple, x: np.ndarray, outs: list, fresh: bool, pvals: tuple,
             cdtype: np.dtype, refine) -> None:
    """:func:`_run` for what one chunk on this thread computes: fewer than THREAD_MIN
    elements, scalar parameters, C-contiguous arrays. The same steps without the chunk loop's
    set-up, with the scratch views kept per length (:func:`_views`): a call on 1000 elements
    costs a few microseconds more than its ufuncs."""
    n_out, nfloat, nbool = spec[0], spec[1], spec[2]
    n = x.size
    s, b, tmp, stage = _views(cdtype, nfloat, n_out, nbool, n)
    xdt = x.dtype
    if xdt == cdtype and (fresh or not any(np.may_share_memory(x, o) for o in outs)):
        xc = x if x.ndim == 1 else x.reshape(-1)
    else:
        xc = stage  # (a cast, or a copy of an x that out= overlaps)
        np.copyto(xc, x.reshape(-1), casting="unsafe")
    ocs = [(o if o.ndim == 1 else o.reshape(-1)) if o.dtype == cdtype else t
           for o, t in zip(outs, tmp, strict=True)]
    wide = cdtype.itemsize == 8
    narrow = wide and xdt.itemsize <= (4 if xdt.kind == "f" else 2)
    rounded = wide and all(o.dtype.itemsize <= 4 for o in outs)
    with np.errstate(all="ignore"):
        _local.narrow, _local.rounded = narrow, rounded
        try:
            core(xc, ocs, s, b, *pvals)
            if refine is not None:
                _refine(core, spec[:3], xc, ocs, pvals, refine, s[0] if s else None)
        finally:
            _local.narrow = _local.rounded = False
        for o, oc in zip(outs, ocs, strict=True):
            if o.dtype != cdtype:
                np.copyto(o.reshape(-1), oc, casting="unsafe")


def _views(cdtype: np.dtype, nfloat: int, n_out: int, nbool: int, n: int) -> tuple:
    """The thread's scratch buffers (:func:`_scratch`) cut to n elements: float scratch,
    bool scratch, one float buffer per output (for outputs of another dtype) and the input
    staging buffer. Kept per length (at most 64 lengths per thread): the cuts cost more than
    the ufuncs of a small call."""
    cache = getattr(_local, "views", None)
    if cache is None:
        cache = _local.views = {}
    key = (cdtype.char, nfloat, n_out, nbool, n, CHUNK)
    v = cache.get(key)
    if v is None:
        if len(cache) >= 64:
            cache.clear()
        s_all, b_all, stage = _scratch(cdtype, nfloat + n_out, nbool)
        v = cache[key] = ([buf[:n] for buf in s_all[:nfloat]], [buf[:n] for buf in b_all],
                          [buf[:n] for buf in s_all[nfloat:]], stage[:n])
    return v


def _run(core, counts, x, outs, pvals, shape, cdtype, refine=None) -> None:
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
    # every input value has at most 24 significant bits and is computed in float64: the
    # product of two of them is exact (helpers skip Dekker's split, see :func:`exp_neg_sq`)
    narrow = cdtype == np.float64 and (
        (x.dtype.kind == "f" and x.dtype.itemsize <= 4)
        or (x.dtype.kind in "biu" and x.dtype.itemsize <= 2))

    # the results are rounded to float32 or narrower: helpers may use float64 forms a few
    # float64 ULPs off (see :func:`sin_sq`)
    rounded = cdtype == np.float64 and all(o.dtype.itemsize <= 4 for o in outs)

    def work(lo: int, hi: int) -> None:
        _local.narrow, _local.rounded = narrow, rounded
        try:
            chunks(lo, hi)
        finally:
            _local.narrow = _local.rounded = False

    def chunks(lo: int, hi: int) -> None:
        s_all, b_all, stage = _scratch(cdtype, nfloat + n_out, nbool)
        s_full = [buf[:step] for buf in s_all[:nfloat]]
        b_full = [buf[:step] for buf in b_all]
        ps = pfull
        with np.errstate(all="ignore"):
            for a in range(lo, hi, step):
                m = min(step, hi - a)
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
                if m == step:
                    s, b = s_full, b_full
                else:
                    s = [buf[:m] for buf in s_full]
                    b = [buf[:m] for buf in b_full]
                if array_params:
                    ps = [p.flat[a:a + m] if isinstance(p, np.ndarray) else p for p in pfull]
                core(xc, ocs, s, b, *ps)
                if refine is not None:
                    _refine(core, counts, xc, ocs, ps, refine, s[0] if s else None)
                for k in range(n_out):
                    if oflat[k] is None:
                        o = outs[k]
                        if o.flags.c_contiguous:
                            np.copyto(o.reshape(-1)[a:a + m], ocs[k], casting="unsafe")
                        else:
                            o.flat[a:a + m] = ocs[k]

    step = CHUNK_BYTES // cdtype.itemsize
    if n >= THREAD_MIN and THREADS > 1:
        half = (n // 2 + 63) // 64 * 64  # (64-element aligned halves)
        future = _executor().submit(work, half, n)
        try:
            work(0, half)
        finally:
            future.result()
    else:
        work(0, n)


def fix_nan(x: np.ndarray, o: np.ndarray) -> None:
    """NaN in, NaN out (for kernels whose branches would map NaN to a number)."""
    nan = np.isnan(x, out=_work(x.shape[0], 1)[0].view(np.bool_)[:x.shape[0]])
    np.copyto(o, x, where=nan)


def fix_inf(x: np.ndarray, o: np.ndarray, at_pos, at_neg) -> None:
    """Write the limits at +inf / -inf where the straight-line program cannot reach them."""
    inf = np.isinf(x)
    if inf.any():
        np.copyto(o, at_pos, where=inf & (x > 0))
        np.copyto(o, at_neg, where=inf & (x < 0))


def exp_neg_square(x: np.ndarray, k: float, shift: bool = False) -> np.ndarray:
    """exp(-k x^2) for k a power of two: x^2 = hi + lo exactly (Dekker's product), then
    exp(-k hi) (1 - k lo), so the rounding of x^2 never reaches the exponent (four temporaries
    of the size of x). ``shift``: 2^512 exp(-k x^2) (-k hi + 512 log 2 summed exactly, two more
    temporaries), for results below the normal range."""
    a = clip(x, -1e150, 1e150)  # xc
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
    d *= -k
    if shift:  # a + 512 log 2 as hi + lo (two-sum), the low part into d
        s = a + _SHIFT_HI
        bv = s - a
        np.subtract(s, bv, out=c)
        np.subtract(a, c, out=c)  # u - (s - bv)
        d += c
        np.subtract(_SHIFT_HI, bv, out=bv)
        d += bv
        d += _SHIFT_LO
        a = s
    np.exp(a, out=a)
    d += 1.0
    a *= d
    return a


#: elements per block of the tail computation of :func:`erfc_scaled` (bounds its temporaries)
TAIL_BLOCK = 8192
#: erfc_scaled switches to erfcx(z) exp(-z^2) above this z (measured, gelu float64: 10.8 ULP
#: near x = -1.40 with the switch at 1, 6.2 below 0.9)
ERFCX_FROM = 0.75


def erfc_scaled(x: np.ndarray, c: float, c2: float, p: np.ndarray | None = None, *,
                out: np.ndarray) -> np.ndarray:
    """erfc(c x), c^2 = c2 a power of two (with ``p``: p erfc(c x)). Where c x > ERFCX_FROM it
    is erfcx(c x) exp(-c2 x^2) (evaluated on those elements only, in blocks so the temporaries
    stay small): erfc has relative condition number ~2 z^2 in the tail, so the rounding of c x
    must not reach the Gaussian factor, and SciPy's erfc is 1 - erf(z) below z = 1 (9 ULP near
    z = 0.95, against 5 for erfcx(z) exp(-z^2)). With ``p``, where exp(-c2 x^2) is subnormal the product is
    scaled by 2^512 before the cofactor multiplies it (the result can be far above the
    subnormal range, e.g. x erfc(x) at x = 27)."""
    if getattr(_local, "rounded", False):
        # results rounded to float32/16: erfc(c x) in double has a relative error ~2 z^2 2^-53
        # < 2^-40 wherever the float32 result is a normal number (z < 10): no tail treatment
        if p is out:
            p = p.copy()
        np.multiply(x, c, out=out)
        _sc.erfc(out, out=out)
        if p is not None:
            gone = np.isinf(p) & (out == 0)  # p erfc(+inf): the erfc wins
            np.multiply(out, p, out=out)
            if gone.any():
                np.copyto(out, 0.0, where=gone)
        return out
    pv = None if p is None else p if p is not out else p.copy()
    np.multiply(x, c, out=out)
    for a in range(0, out.shape[0], TAIL_BLOCK):
        z = out[a:a + TAIL_BLOCK]
        xb = x[a:a + TAIL_BLOCK]
        idx = np.flatnonzero(z > ERFCX_FROM)
        full = idx.size == z.shape[0]
        if idx.size:
            zt = z if full else z[idx]
            xt = xb if full else xb[idx]
            tail = _sc.erfcx(zt)
            if pv is None:
                tail *= exp_neg_square(xt, c2)
            else:
                pb = pv[a:a + TAIL_BLOCK]
                tail *= pb if full else pb[idx]
                deep = np.flatnonzero(zt > 26.0)  # exp(-z^2) < 2^-975: scale it
                g = exp_neg_square(xt, c2)
                if deep.size:
                    g[deep] = exp_neg_square(xt[deep], c2, shift=True)
                    tail[deep] *= g[deep]
                    tail[deep] = np.ldexp(tail[deep], -512)
                    g[deep] = 1.0
                tail *= g
        if full:
            z[...] = tail
            continue
        if idx.size:  # (erfc(0) is its cheap branch; the tail is overwritten below)
            z[idx] = 0.0
        _sc.erfc(z, out=z)
        if pv is not None:
            z *= pv[a:a + TAIL_BLOCK]
        if idx.size:
            z[idx] = tail
    return out


#: exp(u) = 2^-512 exp(u + 512 log 2): 512 log 2 as a double-double
_SHIFT_HI = 354.891356446692
_SHIFT_LO = 1.1873519686893054e-14


#: elements per block of :func:`mul_exp` (its subnormal path's temporaries: ~10 of this size
#: per thread, below one chunk buffer for both threads together)
MUL_EXP_BLOCK = 4096


def mul_exp(p: np.ndarray, e: np.ndarray, u: np.ndarray, k=None, c=None, c_lo=0.0, *,
            out: np.ndarray) -> np.ndarray:
    """p exp(u) given e = exp(u) (with ``k``: u = -k x^2 and ``u`` holds x; with ``c``: u = C y
    for C = c + c_lo, as in :func:`exp_mul`, and ``u`` holds y). Where e is subnormal
    or 0 (on those elements only) it is 2^-512 (p exp(u + 512 log 2)), the sum carried exactly
    (TwoSum, the low part of the constant, and with ``k`` Dekker's exact x^2): a subnormal e has
    a relative error up to 1/2, which p would carry into a result that may be far above the
    subnormal range (x exp(x) at x = -745)."""
    tiny = np.finfo(e.dtype).tiny
    if e.min() >= tiny:  # the common case: one reduction pass (NaN takes the general path)
        return np.multiply(p, e, out=out)
    p, c, c_lo = _scalar_or_array(p), _scalar_or_array(c), _scalar_or_array(c_lo)

    def part(v, sl):
        return v[sl] if isinstance(v, np.ndarray) and v.ndim else v

    # in blocks: the temporaries of the subnormal elements stay small even when a whole chunk
    # underflows (elu' in float32 at x = -100: all of it)
    for a in range(0, e.shape[0], MUL_EXP_BLOCK):
        sl = slice(a, a + MUL_EXP_BLOCK)
        _mul_exp_block(part(p, sl), e[sl], u[sl], k, part(c, sl), part(c_lo, sl), out[sl],
                       tiny)
    return out


def _mul_exp_block(p, e: np.ndarray, u: np.ndarray, k, c, c_lo, out: np.ndarray,
                   tiny: float) -> None:
    """:func:`mul_exp` on a block."""
    idx = np.flatnonzero(e < tiny)
    if idx.size:  # (out may be p, e or u; p may be a scalar parameter: elu' = alpha e^x)
        pi = p[idx].astype(np.float64) if isinstance(p, np.ndarray) else np.float64(p)
        ui = u[idx].astype(np.float64)
        zero = e[idx] == 0
    np.multiply(p, e, out=out)
    if not idx.size:
        return
    if c is not None:  # u = C y: the product as hi + lo (Dekker)
        ca = c[idx] if isinstance(c, np.ndarray) else c
        cl = c_lo[idx] if isinstance(c_lo, np.ndarray) else c_lo
        yc = clip(ui, -1e300, 1e300)
        cc = clip(ca, -1e300, 1e300)
        ui = ui * ca
        clo = _prod_err(yc, cc, yc * cc) + yc * cl
        clo = np.where(np.isfinite(clo), clo, 0.0)
    ok = np.isfinite(pi) & np.isfinite(ui)
    # p overflowed where exp(u) underflowed to 0 with u = -inf (or u = -k x^2): the
    # exponential wins, the product is 0
    gone = np.isinf(pi) & zero & ((ui == -np.inf) if k is None else np.isfinite(ui))
    if gone.any():
        out[idx[gone]] = np.copysign(0.0, np.broadcast_to(pi, gone.shape)[gone])
    lo = clo if c is not None else np.zeros_like(ui)
    if k is not None:
        xc = clip(ui, -1e150, 1e150)
        ui = xc * xc
        xh, xl = np.empty_like(xc), np.empty_like(xc)
        _split(xc, xh, xl, xl)
        lo = ((xh * xh - ui) + 2.0 * xh * xl) + xl * xl  # x^2 = ui + lo exactly
        ui *= -k
        lo *= -k
    hi = ui + _SHIFT_HI
    bv = hi - ui
    lo += (ui - (hi - bv)) + (_SHIFT_HI - bv)  # TwoSum: hi + lo = u + 512 log 2
    lo += _SHIFT_LO
    np.exp(hi, out=hi)
    lo += 1.0
    hi *= lo
    hi *= pi
    out[idx[ok]] = np.ldexp(hi[ok], -512)


def _work(n: int, k: int) -> list:
    """k float64 work arrays of length n (per thread, reused: a fresh array above 128 KiB costs
    an mmap and page faults on every call)."""
    if n > CHUNK:
        return [np.empty(n) for _ in range(k)]
    bufs = getattr(_local, "work", None)
    if bufs is None or len(bufs) < k:
        bufs = _local.work = [np.empty(CHUNK) for _ in range(max(k, 8))]
    return [b[:n] for b in bufs[:k]]


def _like(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The float64 work array ``w`` (of a's length) as an array of a's dtype: a float32 pass
    writing into float64 goes through NumPy's casting loop (~3x a plain pass)."""
    return w if a.dtype == w.dtype else w.view(a.dtype)[:a.shape[0]]


_SPLIT = 134217729.0  # 2^27 + 1: Dekker's split


def exp_r(z: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """exp(z). Float32 z is computed in float64 and rounded once (0.5 float32 ULPs, against up
    to 2.45 for NumPy's float32 SIMD exp): the generator uses it where that makes a float32
    program accurate enough to run in float32 (the sigmoid family: x e / (1 + e)), two casts
    and the float64 exp (~1.4 ns per element) instead of the whole program in float64.
    ``out`` may be ``z``."""
    if z.dtype == np.float64:
        return np.exp(z, out=out)
    w = _work(z.shape[0], 1)[0]
    np.exp(z, out=w, dtype=np.float64)
    np.copyto(out, w, casting="same_kind")
    return out


def _halves(c):
    """Dekker's split of a float or an array (a new one): c = h + lo, each with at most 26
    significant bits (|c| < 2^995)."""
    t = c * _SPLIT
    h = t - (t - c)
    return h, c - h


def _prod_err(a, b, p):
    """a b - p exactly, p = fl(a b) (Dekker's product; floats or arrays, |a|, |b| < 2^995)."""
    ah, al = _halves(a)
    bh, bl = _halves(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _split(a: np.ndarray, h: np.ndarray, lo: np.ndarray, tmp: np.ndarray) -> None:
    """Dekker's split a = h + lo in place, h with 26 significant bits and lo with 26 (t = a
    (2^27 + 1), h = t - (t - a), lo = a - h; |a| < 2^995): the products of two halves are
    exact. ``lo`` may be ``a`` or ``tmp``; h and tmp must differ from a."""
    np.multiply(a, _SPLIT, out=h)
    np.subtract(h, a, out=tmp)
    np.subtract(h, tmp, out=h)
    np.subtract(a, h, out=lo)


def _prod_err_into(a: np.ndarray, c, p: np.ndarray, out: np.ndarray, t1: np.ndarray,
                   t2: np.ndarray) -> None:
    """out = a c - p exactly for p = fl(a c) (Dekker's product in place: a is split into t1 and
    t2, c is a float or an array; |a|, |c| < 2^995). a is left as it was; out, t1 and t2 must
    differ from a and p. A c of at most 26 significant bits (3, 0.375, 25) skips its low half."""
    ch, cl = _halves(c)
    _split(a, t1, t2, t2)  # a = ah + al (ah in t1, al in t2)
    np.multiply(t1, ch, out=out)  # ((ah ch - p) + ah cl + al ch) + al cl
    out -= p
    if isinstance(cl, np.ndarray) or cl != 0.0:
        t1 *= cl
        out += t1
        np.multiply(t2, ch, out=t1)
        out += t1
        t2 *= cl
    else:
        t2 *= ch
    out += t2


def exp_mul(y: np.ndarray, c, c_lo, m1: bool = False, rounded: bool = False, *,
            out: np.ndarray) -> np.ndarray:
    """exp(C y) (``m1``: expm1(C y)) for a coefficient C = c + c_lo (c_lo: the rounding of C):
    a constant, or a parameter (a scalar or an array chunk; see :func:`recip_lo` for 1/p).
    In float64, exp(c y), then where |c y| > 1 (on those elements only; ``out`` may be ``y``)
    the product carried as hi + lo exactly (Dekker's split of y and c) and exp(hi) (1 + lo):
    the rounding of c y would give a relative error of |c y| 2^-53 (89 ULP for sech^2(2x/3) at
    x = 103, 397 for swish with beta = 25 at x = -24.7). Skipped when that rounding cannot
    happen (c = +-2^k, c_lo = 0) or does not matter (results rounded to float32). Float32 y
    (float32 compute): c y and the exponential in float64, rounded once (0.5 ULP, as
    :func:`exp_r`), except for c = +-2^k without ``rounded``: then NumPy's float32 product
    (exact) and exponential (up to 2.45 ULP, as the float32 error analysis assumes there)."""
    fn = np.expm1 if m1 else np.exp
    n = y.shape[0]
    c, c_lo = _scalar_or_array(c), _scalar_or_array(c_lo)
    exact_c = not isinstance(c, np.ndarray) and not isinstance(c_lo, np.ndarray) and c_lo == 0 \
        and (c == 0 or not math.isfinite(c) or math.frexp(c)[0] in (0.5, -0.5))
    if y.dtype != np.float64 and exact_c and not rounded and (
            c == 0 or 2.0**-126 <= abs(c) <= 2.0**127):  # (c a normal float32 too)
        np.multiply(y, c, out=out)
        return fn(out, out=out)
    if y.dtype != np.float64:
        w = _work(n, 1)[0]
        np.multiply(y, c, out=w, dtype=np.float64)
        fn(w, out=w)
        np.copyto(out, w, casting="same_kind")
        return out
    if exact_c or getattr(_local, "rounded", False):
        np.multiply(y, c, out=out)
        return fn(out, out=out)
    array_c = isinstance(c, np.ndarray) or isinstance(c_lo, np.ndarray)
    if not array_c and not (1e-290 < abs(c) < 1e290 and math.isfinite(c_lo)):
        np.multiply(y, c, out=out)  # (a coefficient this extreme: c y is rounded once)
        return fn(out, out=out)
    # elements with |c y| > 1: the product's rounding matters there
    yi = _work(n, 1)[0]
    np.abs(y, out=yi)
    if array_c:
        yi *= np.abs(c)
        big = np.greater(yi, 1.0)
    else:
        big = np.greater(yi, 1.0 / abs(c))
    m = int(np.count_nonzero(big))
    if not m:
        np.multiply(y, c, out=out)
        return fn(out, out=out)
    full = m > n // 2  # most elements: all of them, no gather/scatter
    if full:
        src, ca_all, cl_all = y, c, c_lo
    else:
        idx = np.flatnonzero(big)
        src = y[idx]
        ca_all = c[idx] if isinstance(c, np.ndarray) else c
        cl_all = c_lo[idx] if isinstance(c_lo, np.ndarray) else c_lo
        np.multiply(y, c, out=out)
        fn(out, out=out)
    res = out if full else src  # (full: block by block into out, which may be y: each block
    for a in range(0, src.shape[0], EXP_BLOCK):  # of y is read before it is written)
        b = min(a + EXP_BLOCK, src.shape[0])
        ca = ca_all[a:b] if isinstance(ca_all, np.ndarray) else ca_all
        cl = cl_all[a:b] if isinstance(cl_all, np.ndarray) else cl_all
        _exp_dd(src[a:b], ca, cl, m1, res[a:b])
    if not full:
        np.put(out, idx, src)
    return out


#: elements per block of :func:`exp_mul`'s double-double path: its five temporaries stay near
#: the core's cache (131072-element temporaries: 14 ns per element, 16384: 8.5; in a kernel
#: with two threads, swish at beta = 3, n = 1e7 float64, 32768 measured best: 104 ms)
EXP_BLOCK = 32768


def _scalar_or_array(v):
    """A 0-d array as a float (a parameter expression such as np.where(...) gives one)."""
    return float(v) if isinstance(v, np.ndarray) and v.ndim == 0 else v


def _exp_dd(y: np.ndarray, c, c_lo, m1: bool, out: np.ndarray) -> None:
    """exp(c y) (``m1``: expm1) on a block, the product as hi + lo (see :func:`exp_mul`).
    ``out`` may be ``y``."""
    yi, hi, yh, lo, t = (w[:y.shape[0]] for w in _work(EXP_BLOCK, 5))
    # hi = c y as rounded (from y itself: far elements keep the plain exp(c y), 0 or inf, NaN),
    # lo its rounding, from the halves of y (clipped: the split cannot overflow) and of c
    np.multiply(y, c, out=hi)
    clip(y, -1e300, 1e300, out=yi)
    _prod_err_into(yi, clip(c, -1e300, 1e300) if isinstance(c, np.ndarray) else c, hi, lo,
                   yh, t)  # lo = c y - hi, then + c_lo y
    if isinstance(c_lo, np.ndarray) or c_lo != 0.0:
        yi *= c_lo
        lo += yi
    if isinstance(c, np.ndarray):  # (as for a scalar: |c| beyond 1e-290 .. 1e290 splits
        np.abs(c, out=t)  # badly next to a clipped y; its product stays rounded once)
        lo[(t < 1e-290) | (t > 1e290)] = 0.0
    # |lo| <= |c y| 2^-53 < 2^-42 where it matters (|c y| < 1500); elsewhere (exp(hi) 0 or
    # inf, a clipped y, NaN) any value in the bound gives exp(hi) (fmax/fmin also drop NaN)
    np.fmax(lo, -2.0**-40, out=lo)
    np.fmin(lo, 2.0**-40, out=lo)
    if m1:  # expm1(hi + lo) = expm1(hi) + exp(hi) lo (exp(hi) finite: inf lo may be NaN)
        np.minimum(hi, 709.0, out=t)
        np.exp(t, out=t)
        t *= lo
        np.expm1(hi, out=out)
        out += t
    else:
        np.exp(hi, out=out)
        lo += 1.0
        out *= lo


def recip_lo(p, r=None):
    """The rounding of 1 / p: 1/p - fl(1/p), exactly enough for a double-double (``r``: the
    rounded reciprocal, computed here when not given). Scalars or arrays; 0 where |p| is not
    strictly between 1e-300 and 1e300 (0, infinite, NaN, or beyond the split's range: the
    reciprocal then stays rounded once)."""
    with np.errstate(all="ignore"):
        if r is None:
            r = np.divide(1.0, p)
        pc = clip(p, -1e300, 1e300)
        rc = clip(r, -1e300, 1e300)
        h = pc * rc  # p r = h + l exactly (Dekker), 1 - h exact (Sterbenz)
        res = ((1.0 - h) - _prod_err(pc, rc, h)) / pc
        ok = np.isfinite(res) & (np.abs(p) > 1e-300) & (np.abs(p) < 1e300)
        return np.where(ok, res, 0.0) if isinstance(res, np.ndarray) else (
            float(res) if ok else 0.0)


def hypot_pow(z: np.ndarray, c2: float, h: float, k=None, *, out: np.ndarray) -> np.ndarray:
    """(z^2 + c2)^h for a constant c2 > 0 and h < 0 (``Hypot(z, c)^(2 h)``): z^2 = hi + lo
    exactly (Dekker's product) and z^2 + c2 = s + e as a double-double (TwoSum), then
    pow(s, h) (1 + h e / s). The roundings of z^2 and of the sum never reach the power, whose
    condition number is |h| (3/2 for (1 + x^2)^(-3/2)): one pow (NumPy's, ~1 ULP) and one
    product instead of a chain of roundings amplified by the power. z is clipped at +-2^500
    (z^2 finite, the result 0 for h <= -1.1 as for any larger |z|); ``out`` may be ``z``.
    For results rounded to float32 (``_local.rounded``) pow(z^2 + c2, h) in float64 is
    already far below half a float32 ULP: four passes instead of twenty-four. With ``k`` (a
    parameter, ``Hypot(sqrt(k) z, c)``): (k z^2 + c2)^h, k times the double-double z^2 carried
    exactly too (Dekker), where sqrt(k) z would round twice, an error the power triples (isru'
    with alpha = 3/8: 4.3 ULP at x = -26.7); z is then clipped at +-2^490 (the split of k z^2
    needs it below 2^995; k = +-2^j or a k beyond [2^-400, 2^400] is one rounded product)."""
    n = z.shape[0]
    k = _scalar_or_array(k)
    if k is not None and not isinstance(k, np.ndarray) and (
            not 2.0**-400 <= abs(k) <= 2.0**400 or math.frexp(abs(k))[0] == 0.5):
        kp, k = (None if k == 1.0 else k), None  # (exact, or too extreme: one product)
    else:
        kp = None
    big = 2.0**500 if k is None else 2.0**490
    if getattr(_local, "rounded", False) or (k is not None and isinstance(k, np.ndarray)):
        a = _work(n, 1)[0]
        clip(z, -big, big, out=a)
        np.square(a, out=a)
        if k is not None or kp is not None:
            a *= k if k is not None else kp
        a += c2
        return np.power(a, h, out=out)
    a, hi, t, e, f = _work(n, 5)
    clip(z, -big, big, out=a)
    np.multiply(a, a, out=hi)
    _split(a, t, a, e)  # a = ah + al (ah in t, al in a)
    np.multiply(t, t, out=e)  # lo = (ah^2 - hi) + al (2 ah + al) (the last product's rounding
    e -= hi  # is 2^-79 hi: negligible)
    t *= 2.0
    t += a
    t *= a
    e += t
    if kp is not None:  # exact scaling (or one rounding for an extreme k)
        hi *= kp
        e *= kp
    elif k is not None:  # k (hi + e) = p + (p_err + k e), p = fl(k hi), p_err exact (Dekker)
        e *= k
        np.multiply(hi, k, out=a)  # p
        _prod_err_into(hi, k, a, t, out, f)  # (out is free until the end)
        e += t
        hi, a = a, hi  # (p is the new hi; the old one's buffer is free)
    np.add(hi, c2, out=a)  # s = hi + c2; TwoSum error (hi - (s - bv)) + (c2 - bv), bv = s - hi
    np.subtract(a, hi, out=t)
    np.subtract(a, t, out=out)
    np.subtract(hi, out, out=out)
    e += out
    np.subtract(c2, t, out=t)
    e += t
    e /= a
    e *= h
    e += 1.0
    np.power(a, h, out=out)
    out *= e
    return out


def trig_double(y: np.ndarray, cosine: bool, *, out: np.ndarray) -> np.ndarray:
    """sin(2 y) (``cosine``: cos(2 y)): the doubling is exact, except where 2 y overflows
    (|y| > 2^1023, finite y): there, on those elements only, the double-angle forms
    2 sin(y) cos(y) and (cos(y) - sin(y)) (cos(y) + sin(y)). For results rounded to float32
    the tan-based :func:`sin` / :func:`cos` (NumPy's float64 sin and cos are scalar libm
    calls, ~12 ns per element: float32 snake'' 96 -> 48 ms at n = 1e7). ``out`` may be ``y``."""
    big = 8.98846567431158e307  # 2^1023
    huge = None
    if not (y.max(initial=0.0) < big and y.min(initial=0.0) > -big):  # (NaN: checked too)
        huge = np.flatnonzero(np.isfinite(y) & (np.abs(y) >= big))
        yh = y[huge]
    np.multiply(y, 2.0, out=out)
    if getattr(_local, "rounded", False):  # (float32 results: the SIMD-tan forms, <= 2 ULP)
        (cos if cosine else sin)(out, out=out)
    else:
        (np.cos if cosine else np.sin)(out, out=out)
    if huge is not None and huge.size:
        s, c = np.sin(yh), np.cos(yh)
        out[huge] = (c - s) * (c + s) if cosine else 2.0 * s * c
    return out


def exp_neg_sq(x: np.ndarray, k: float, *, out: np.ndarray) -> np.ndarray:
    """exp(-k x^2), k a power of two, on a chunk of the kernel input: x^2 = hi + lo exactly
    (Dekker's product), then exp(-k hi) (1 - k lo), so the rounding of x^2 never reaches the
    exponent (a relative error of k x^2 2^-53 otherwise: 1e4 ULP at x = 100). |x| is clipped
    at 1e150 so the split cannot overflow. When the input had at most 24 significant bits
    (float16/float32 computed in float64: ``_local.narrow``), x^2 is exact in float64 and the
    split is skipped: three passes instead of seventeen."""
    if getattr(_local, "narrow", False):
        np.square(x, out=out)
        out *= -k
        return np.exp(out, out=out)
    n = x.shape[0]
    a, hi, t, lo = _work(n, 4)
    clip(x, -1e150, 1e150, out=a)  # (before out, which may be x, is written)
    np.square(a, out=hi)
    _split(a, t, a, lo)  # x = xh + xl (xh in t, xl in a)
    np.square(t, out=lo)  # lo = ((xh^2 - hi) + 2 xh xl) + xl^2
    lo -= hi
    t *= a
    t *= 2.0
    lo += t
    np.square(a, out=a)
    lo += a
    np.multiply(hi, -k, out=out)
    np.exp(out, out=out)
    lo *= -k
    lo += 1.0
    out *= lo
    return out


def sin_sq(y: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """sin(y)^2. When the result is rounded to float32 or narrower (``_local.rounded``) it is
    t^2 / (1 + t^2) with t = tan(y): NumPy's float64 tan is SIMD and ~10x faster than its sin
    (0.52 ULP measured, exact reduction of huge arguments), and the form has no cancellation
    (relative condition 2 / (1 + t^2) <= 2 in t, three roundings: <= 2.6 float64 ULPs, far
    below half a float32 ULP). Otherwise sin(y) squared. ``out`` may be ``y``."""
    if getattr(_local, "rounded", False):
        d = _work(y.shape[0], 1)[0]
        np.tan(y, out=out)
        np.square(out, out=out)
        np.add(out, 1.0, out=d)
        return np.divide(out, d, out=out)
    np.sin(y, out=out)
    return np.square(out, out=out)


def hypot_c(a: np.ndarray, c, *, out: np.ndarray) -> np.ndarray:
    """hypot(a, c) for a scalar c (a parameter): where 2^-60 <= |c| <= 2^20, sqrt(min(|a|,
    2^60)^2 + c^2) then max(., |a|), as the emitter does for a constant c (two correctly
    rounded steps below 2^60; above, c^2 / a^2 < 2^-80 and the result is |a|; no overflow in
    float32 either, and c^2 stays a normal number: an underflowed a^2 is negligible next to
    it); np.hypot costs ~5x these six passes. Otherwise (an array c, a tiny or huge |c|, NaN)
    np.hypot itself."""
    if isinstance(c, np.ndarray) or not 2.0**-60 <= abs(c) <= 2.0**20:
        return np.hypot(a, c, out=out)
    u = _like(_work(a.shape[0], 1)[0], a)
    np.abs(a, out=u)  # (before out, which may be a, is written)
    clip(u, 0.0, 1.152921504606847e18, out=out)
    np.square(out, out=out)
    np.add(out, float(c) * float(c), out=out)
    np.sqrt(out, out=out)
    np.maximum(out, u, out=out)
    return out


def div_hypot(y: np.ndarray, h: np.ndarray, q, *, out: np.ndarray) -> np.ndarray:
    """y / h for h = hypot(q y, c), q a parameter (isru: x / sqrt(1 + alpha x^2)): where q y
    overflowed (h = inf, y finite; on those elements only) the value is y / (q |y|) = sign(y)
    / q (c^2 / (q y)^2 < 2^-1000 there), not the 0 of y / inf (isru with alpha = 3 gave 0 at
    x = -1.8e308 for -0.577). ``out`` may be ``y`` or ``h``."""
    if h.max(initial=0.0) < np.inf:  # (the common case: one reduction; NaN: the slow path)
        return np.divide(y, h, out=out)
    idx = np.flatnonzero(np.isinf(h) & np.isfinite(y))
    ys = y[idx]
    qs = q[idx] if isinstance(q, np.ndarray) and q.ndim else q
    np.divide(y, h, out=out)
    if idx.size:
        out[idx] = np.copysign(1.0, ys) / qs
    return out


_INT = {8: np.int64, 4: np.int32, 2: np.int16}


def select(out: np.ndarray, cond: np.ndarray, v) -> None:
    """``np.putmask(out, cond, v)`` without a branch per element: out ^ ((out ^ v) & m) on the
    bits, m all ones where cond holds (five integer passes; putmask costs ~10x a plain pass on
    an unpredictable mask). Bit for bit the same result (NaN, -0.0 and infinities included).
    Falls back to a masked copy when v is an array of another dtype (a float64 parameter
    array with float32 compute: rounded to float32 as the other operations round it) or a
    layout without a view."""
    n = out.shape[0]
    it = _INT.get(out.dtype.itemsize)
    if (it is None or out.ndim != 1 or not out.flags.c_contiguous or n > CHUNK
            or (isinstance(v, np.ndarray) and (v.dtype != out.dtype or v.shape != out.shape
                                                or not v.flags.c_contiguous))):
        np.copyto(out, v, where=cond, casting="same_kind")
        return
    m, t = (w.view(it)[:n] for w in _work(n, 2))
    np.copyto(m, cond, casting="unsafe")
    np.negative(m, out=m)
    oi = out.view(it)
    vi = v.view(it) if isinstance(v, np.ndarray) else np.asarray(v, out.dtype).view(it)[()]
    np.bitwise_xor(oi, vi, out=t)
    np.bitwise_and(t, m, out=t)
    np.bitwise_xor(oi, t, out=oi)


def two_slopes(d: np.ndarray, kl, kr, *, out: np.ndarray) -> np.ndarray:
    """kl d where d < 0, else kr d (srelu's outer pieces: d = x - clip(x, t_l, t_r)). One
    product: kl = kr multiplies; two scalar slopes are picked per element by the sign bit of d
    (an arithmetic shift of its bits gives the all-ones mask where d < 0, then kr ^ ((kl ^ kr)
    & mask) on the slopes' bits: three integer passes for the two clips, two products and a
    sum of kl min(d, 0) + kr max(d, 0)); the same roundings as that sum (d = +-0 gives a zero
    product, d = NaN gives NaN). Array slopes take the sum form. ``out`` may be ``d``."""
    n = d.shape[0]
    if not isinstance(kl, np.ndarray) and not isinstance(kr, np.ndarray):
        if kl == kr:
            return np.multiply(d, kl, out=out)
        it = _INT.get(d.dtype.itemsize)
        if it is not None and d.ndim == 1 and d.flags.c_contiguous and n <= CHUNK:
            m = _work(n, 1)[0].view(it)[:n]
            np.right_shift(d.view(it), 8 * d.dtype.itemsize - 1, out=m)
            bl = np.asarray(kl, d.dtype).view(it)[()]  # (the slopes rounded as a product
            br = np.asarray(kr, d.dtype).view(it)[()]  # with d rounds them)
            np.bitwise_and(m, bl ^ br, out=m)
            np.bitwise_xor(m, br, out=m)
            return np.multiply(d, m.view(d.dtype), out=out)
    t = _like(_work(n, 1)[0], d)
    clip(d, -np.inf, 0.0, out=t)
    t *= kl
    clip(d, 0.0, np.inf, out=out)
    out *= kr
    return np.add(out, t, out=out)


#: |tan y| above which |cos y| < 1e-12: the sign test on tan(y / 2) in :func:`cos` could fail
#: within a rounding of cos y = 0, so these (rare) elements take NumPy's cos
_TAN_BIG = 1e12


def sin(y: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """sin(y). In float64, NumPy's sin is a scalar libm call (~12 ns per element; its SIMD
    version was disabled for accuracy) while its tan is SIMD (~1.4 ns, correctly reduced,
    0.5 ULP): sin y = 2 t / (1 + t^2) with t = tan(y / 2), one tan and five plain passes. The
    relative condition in t is |1 - t^2| / (1 + t^2) <= 1 and 1 + t^2 >= 1 adds no cancellation:
    ~2 ULP at worst. |t| stays below ~1e19 (no double is nearer than ~1e-19 to an odd multiple
    of pi), so t^2 cannot overflow. Where 1 + t^2 rounds to 1 (|t| < 1.1e-8: rare, found by one
    reduction) and |y| < 2.1e-8 (not near another multiple of 2 pi), sin y rounds to y itself,
    which is written there: y / 2 is inexact for subnormal y (sinc = sin(x) / x at x = -5e-324
    would be 0). Other dtypes (float32: SIMD sin) go straight to NumPy. NaN and +-inf give
    NaN. ``out`` may be ``y``."""
    if y.dtype != np.float64:
        return np.sin(y, out=out)
    t, d = _work(y.shape[0], 2)
    np.multiply(y, 0.5, out=t)
    np.tan(t, out=t)
    np.square(t, out=d)
    d += 1.0
    small = None
    if not d.min(initial=2.0) > 1.0:  # (NaN too: then only the NaN elements' own test)
        small = np.flatnonzero(d == 1.0)
        small = small[np.abs(y[small]) < 2.1e-8]
        ys = y[small]  # (before out, which may be y, is written)
    np.add(t, t, out=t)
    np.divide(t, d, out=out)
    if small is not None and small.size:
        out[small] = ys
    return out


def cos(y: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """cos(y). In float64 through NumPy's SIMD tan (see :func:`sin`): with t = tan(y),
    cos y = s / sqrt(1 + t^2), where s = sign(cos y) = sign(1 - |tan(y / 2)|) (the half-angle
    form (1 - t^2) / (1 + t^2) would cancel next to the zeros). No cancellation anywhere
    (relative condition <= 1 in t): five roundings, ~1 ULP against NumPy's 0.5. Where
    |t| > 1e12 (y within 1e-12 of a zero of cos, where the sign test is not reliable) NumPy's
    cos is used on those elements. Other dtypes (float32: SIMD cos) go straight to NumPy. NaN
    and +-inf give NaN. ``out`` may be ``y``."""
    if y.dtype != np.float64:
        return np.cos(y, out=out)
    t, s = _work(y.shape[0], 2)
    np.tan(y, out=t)
    np.multiply(y, 0.5, out=s)  # (exact but for subnormal y, where the sign is + anyway)
    np.tan(s, out=s)
    np.abs(s, out=s)
    np.subtract(1.0, s, out=s)
    np.copysign(1.0, s, out=s)
    np.square(t, out=t)
    big = None
    if not t.max(initial=0.0) <= _TAN_BIG**2:  # (NaN: only the formula's NaN)
        big = np.flatnonzero(t > _TAN_BIG**2)
        yb = y[big]  # (before out, which may be y, is written)
    t += 1.0
    np.sqrt(t, out=t)
    np.divide(s, t, out=out)
    if big is not None and big.size:
        out[big] = np.cos(yb)
    return out


#: beyond this |c y| the low part of the product can exceed 2^-27 and the first-order form
#: loses bits (lo^2 / 2 > 2^-55): those elements take the addition formulas
_TRIG_LINEAR = 2.0**26


def trig_mul(y: np.ndarray, c, c_lo, kind: str, *, out: np.ndarray) -> np.ndarray:
    """sin(C y), cos(C y), sin(C y)^2, sin(2 C y) or cos(2 C y) (``kind``) for a coefficient
    C = c + c_lo, a parameter (snake's sin(a x)^2 / a). The rounding of c y moves the phase by
    up to |c y| 2^-53, which near a zero of the result is all its digits: snake' = 1 + sin(2 a
    x) was 1.6e4 ULP off at a = 0.3, x = -65.5 (7e3 at a = 3 within |x| <= 100). So in
    float64, unless the product is exact (c = +-2^k, c_lo = 0) or the result is rounded to
    float32, c y = hi + lo exactly (Dekker) and f(hi + lo) = f(hi) + lo f'(hi) with f(hi) and
    its partner from NumPy (exact reduction of hi): sin(hi) + lo cos(hi), cos(hi) - lo sin(hi),
    (sin(hi) + lo cos(hi))^2 (squared after: relative accuracy next to the zeros; sin(hi) from
    libm, as :func:`sin_sq` has it), sin(2 hi) +
    2 lo cos(2 hi), cos(2 hi) - 2 lo sin(2 hi). Where |hi| > 2^26 (on those elements only) the
    addition formulas with sin and cos of lo (their two terms can cancel: up to ~30 ULP
    measured there, against no correct digit before). |y| beyond 1e299 / max(1, |c|) (the
    split needs |y| < 2^995 and finite products) takes the product of y 2^-600 and c, its
    error scaled back (snake' at a = 0.375, x = -1.757e308 was 1.1e17 ULP off with hi alone).
    ``out`` may be ``y``."""
    c, c_lo = _scalar_or_array(c), _scalar_or_array(c_lo)
    scalar = not isinstance(c, np.ndarray) and not isinstance(c_lo, np.ndarray)
    exact = scalar and c_lo == 0.0 and (c == 0.0 or not math.isfinite(c)
                                        or math.frexp(abs(c))[0] == 0.5)
    n = y.shape[0]
    if exact or y.dtype != np.float64 or getattr(_local, "rounded", False) or not n:
        np.multiply(y, c, out=out)
        return _TRIG_PLAIN[kind](out, out=out)
    # (sin and cos use the first two work buffers; trig_double none)
    lo, part, hi, t, yc = _work(n, 7)[2:]
    np.multiply(y, c, out=hi)
    if scalar and abs(c) < 1e150:
        bound = 1e299 / max(1.0, abs(c))  # (the split of y and the products stay finite)
        ok = np.abs(y).max() <= bound  # (NaN: False)
        _prod_err_into(y if ok else clip(y, -bound, bound, out=yc), c, hi, lo, part, t)
        if c_lo:
            np.multiply(y, c_lo, out=part)
            lo += part
        if not ok:  # |y| beyond the split's range: y 2^-600 c exactly, scaled back (rare)
            far = np.flatnonzero(np.abs(y) > bound)  # (NaN: not far)
            yf = y[far] * _FAR
            lo[far] = _prod_err(yf, c, yf * c) * _FAR_BACK
            if c_lo:
                lo[far] += y[far] * c_lo
            np.nan_to_num(lo, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    else:  # an array coefficient (or an absurd one; the clipped c a temporary)
        ca = np.broadcast_to(c, y.shape)
        _prod_err_into(clip(y, -1e150, 1e150, out=yc), clip(ca, -1e150, 1e150),
                       hi, lo, part, t)
        lo += y * c_lo
        lo[~((np.abs(y) <= 1e150) & (np.abs(ca) <= 1e150))] = 0.0
    big = None
    if not np.abs(hi).max(initial=0.0) <= _TRIG_LINEAR:  # (NaN: only the formula's NaN)
        big = np.flatnonzero(np.abs(hi) > _TRIG_LINEAR)
        big = big[np.isfinite(hi[big]) & (lo[big] != 0.0)]
        hb, lb = hi[big], lo[big]
    double = kind in ("sin2", "cos2")
    if double:
        trig_double(hi, kind == "sin2", out=part)  # the partner
        trig_double(hi, kind == "cos2", out=out)
        lo *= 2.0
    elif kind == "cos":
        sin(hi, out=part)
        cos(hi, out=out)
    else:
        cos(hi, out=part)
        # (squared, sin's error doubles: NumPy's libm sin, 0.5 ULP, as sin_sq has it)
        (np.sin if kind == "sin_sq" else sin)(hi, out=out)
    part *= lo
    if kind in ("cos", "cos2"):
        out -= part
    else:
        out += part
    if kind == "sin_sq":
        np.square(out, out=out)
    if big is not None and big.size:
        if double:
            hb, lb = hb * 2.0, lb * 2.0  # (exact but where 2 hi overflows: NaN there)
        sh, chh, sl, cl_ = np.sin(hb), np.cos(hb), np.sin(lb), np.cos(lb)
        sv = sh * cl_ + chh * sl
        cv = chh * cl_ - sh * sl
        out[big] = {"sin": sv, "cos": cv, "sin_sq": sv * sv, "sin2": sv, "cos2": cv}[kind]
    return out


def _sin2(y: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    return trig_double(y, False, out=out)


def _cos2(y: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    return trig_double(y, True, out=out)


#: trig_mul's scaling of |y| > 1e299 / max(1, |c|) before Dekker's product: y 2^-600 c stays
#: far from overflow (|c| < 1e150) and its error term far above the subnormals (|c y| >
#: 1e299 |c| / max(1, |c|) >= 5e-25); the error scaled back by 2^600 is exact (where c y
#: overflows, hi is infinite and the result NaN whatever lo is)
_FAR = 2.0**-600
_FAR_BACK = 2.0**600

#: trig_mul's kinds -> the helper for an exact product
_TRIG_PLAIN = {"sin": sin, "cos": cos, "sin_sq": sin_sq, "sin2": _sin2, "cos2": _cos2}
_TRIG_KINDS = tuple(_TRIG_PLAIN)


def _refine(core, counts: tuple, x: np.ndarray, outs: list, params: list, where: tuple,
            tmp: np.ndarray | None = None) -> None:
    """The elements of the float32 chunk ``x`` in the closed intervals ``where`` computed again
    by ``core`` in float64 (rounded once into ``outs``): the generator's float32 error analysis
    rejects the program there and accepts it elsewhere (``precision.float32_refine``). Gathered,
    in the thread's float64 scratch buffers; parameter arrays gathered alike."""
    n_out, nfloat, nbool = counts
    n = x.shape[0]
    t, u = (w.view(np.bool_)[:n] for w in _work(n, 2))
    mask = getattr(_local, "refine_mask", None)  # (not a work buffer: the core uses those)
    if mask is None or mask.shape[0] < n:
        mask = _local.refine_mask = np.empty(max(n, CHUNK), np.bool_)
    mask = mask[:n]
    for j, (lo, hi) in enumerate(where):
        dest = t if j else mask
        if lo == -hi:  # |x| <= hi (the core is done with its scratch: ``tmp`` is free)
            np.less_equal(np.abs(x, out=tmp[:n]) if tmp is not None else np.abs(x), hi,
                          out=dest)
        elif lo == -np.inf:
            np.less_equal(x, hi, out=dest)
        elif hi == np.inf:
            np.greater_equal(x, lo, out=dest)
        else:
            np.greater_equal(x, lo, out=dest)
            np.less_equal(x, hi, out=u)
            dest &= u
        if j:
            mask |= t
    if not mask.any():  # (the common case for tails such as x > 88: no index pass)
        return
    s_all, b_all, stage = _scratch(np.dtype(np.float64), nfloat + n_out, nbool)
    idx_all, f32 = _refine_buffers(n)
    k = 0
    for a in range(0, n, REFINE_BLOCK):  # (the indices piece by piece: small temporaries)
        piece = np.flatnonzero(mask[a:a + REFINE_BLOCK])
        np.add(piece, a, out=idx_all[k:k + piece.size])
        k += piece.size
        del piece  # (before the next one is made)
    idx = idx_all[:k]
    xs = stage[:k]
    np.copyto(xs, np.take(x, idx, out=f32[:k], mode="clip"))  # (float32 -> 64: exact;
    s = [buf[:k] for buf in s_all[:nfloat]]                    # mode="raise" buffers)
    o = [buf[:k] for buf in s_all[nfloat:]]
    b = [buf[:k] for buf in b_all]
    ps = [p.take(idx) if isinstance(p, np.ndarray) else p for p in params]
    state = _local.narrow, _local.rounded
    _local.narrow = _local.rounded = True
    try:
        core(xs, o, s, b, *ps)  # (once per chunk: short calls make the threads wait)
    finally:
        _local.narrow, _local.rounded = state
    for dst, v in zip(outs, o, strict=True):
        np.copyto(f32[:k], v, casting="unsafe")  # (then a same-dtype scatter, 2x faster)
        dst[idx] = f32[:k]


def _refine_buffers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The thread's index and float32 buffers of :func:`_refine` (at least n long)."""
    bufs = getattr(_local, "refine_bufs", None)
    if bufs is None or bufs[0].shape[0] < n:
        m = max(n, CHUNK)
        bufs = _local.refine_bufs = (np.empty(m, np.intp), np.empty(m, np.float32))
    return bufs


def wide(x: np.ndarray) -> bool:
    """Whether a kernel's results are float64 (x is float64, the outputs are not rounded to
    float32): kernels with forms measured more accurate in float64 branch on it."""
    return x.dtype == np.float64 and not getattr(_local, "rounded", False)


def root_series(x: np.ndarray, o: np.ndarray, hi: float, lo: float, r: float, coeffs: tuple,
                params: tuple = (), defaults: tuple = (), lead: int = 1, step: int = 1,
                r_rounded: float | None = None, narrow_ok: bool = False,
                scale: tuple | None = None) -> None:
    """Overwrite ``o`` where |x - x0| < r by the Taylor polynomial d (c1 + c2 d + ...) at a
    simple zero x0 = hi + lo of the output, d = (x - hi) - lo (exact subtraction near x0),
    on those elements only, in float64: the kernel's sum cancels there (see
    ``symact.codegen.roots``). Only when the parameters are the defaults the zero belongs to.
    ``lead``/``step``: d^lead (c0 + c1 d^step + ...) (a zero of order lead; odd/even series).
    Results rounded to float32 (``_local.rounded``) need it only on |x - x0| < ``r_rounded``
    (where the double result is off by more than 2^-32 relative; 0: nowhere), and not at all
    with ``narrow_ok`` for float32 input (``_local.narrow``: the generator found the double
    result fine at the float32 inputs nearest x0, and no float32 input is nearer).

    ``scale = (i, m)``: the output is a scale family in parameter i, f(x; p) = s^m f(s x; d)
    with s = p / d (d its default, a power of two: s is exact), proved by the generator; a
    scalar p > 0 other than d (the other parameters at their defaults) then takes the same
    patch at the zero x0 / s: s^m times the polynomial in s x - x0 (s x carried exactly)."""
    s = None
    for i, (p, d) in enumerate(zip(params, defaults, strict=True)):
        if np.ndim(p) or p != d:
            if scale is None or i != scale[0] or np.ndim(p) or not 0.0 < p < math.inf:
                return
            s = float(p) / float(d)
            if not 2.0**-500 < s < 2.0**500:  # (the split of s x would overflow)
                return
    if getattr(_local, "rounded", False):
        if narrow_ok and s is None and getattr(_local, "narrow", False):
            return
        if r_rounded is not None:
            r = r_rounded
    if r <= 0.0:
        return
    if s is not None:
        _root_series_scaled(x, o, hi, lo, r, coeffs, lead, step, s, scale[1])
        return
    t, w = _work(x.shape[0], 2)
    t = _like(t, x)
    if hi == 0.0:
        np.abs(x, out=t)
    else:
        np.subtract(x, hi, out=t)
        np.abs(t, out=t)
    near = np.less(t, r, out=w.view(np.bool_)[:t.shape[0]])
    if not near.any():  # (the common case for float32 results: no index pass)
        return
    idx = np.flatnonzero(near)
    d = x[idx].astype(np.float64)
    d -= hi
    d -= lo
    o[idx] = _taylor(d, coeffs, lead, step)


def _taylor(d: np.ndarray, coeffs: tuple, lead: int, step: int) -> np.ndarray:
    """d^lead (c0 + c1 d^step + c2 d^(2 step) + ...) by Horner's rule (a new array)."""
    v = d if step == 1 else d * d if step == 2 else d**step
    p = np.full_like(d, coeffs[-1])
    for c in coeffs[-2::-1]:
        p *= v
        p += c
    for _ in range(lead):
        p *= d
    return p


def _root_series_scaled(x: np.ndarray, o: np.ndarray, hi: float, lo: float, r: float,
                        coeffs: tuple, lead: int, step: int, s: float, m: int) -> None:
    """:func:`root_series` at the zero (hi + lo) / s of f(x; p) = s^m f(s x; d)."""
    t, w = _work(x.shape[0], 2)
    np.multiply(x, s, out=t, dtype=np.float64)
    t -= hi
    np.abs(t, out=t)
    near = np.less(t, r, out=w.view(np.bool_)[:t.shape[0]])
    if not near.any():
        return
    idx = np.flatnonzero(near)
    xi = x[idx].astype(np.float64)
    ph = xi * s  # s x = ph + pl exactly (Dekker), ph - hi exact near the zero (Sterbenz)
    d = ph - hi
    d += _prod_err(xi, s, ph) - lo
    p = _taylor(d, coeffs, lead, step)
    if m:
        p *= s**m
    o[idx] = p


#: :func:`_table_plan` of overlapping patches
OVERLAP = "overlap"


@functools.lru_cache(maxsize=64)
def _table_plan(table: tuple, rounded: bool, narrow: bool) -> tuple | None:
    """:func:`root_table`'s zeros sorted, with the splits between neighbours (the zero whose
    patch may hold x, by one search), the radii (``r``; ``r_rounded`` for results rounded to
    float32; 0 for the ``narrow_ok`` zeros with float32 input), the coefficient rows (padded
    with zeros), the candidates' bound (twice the largest |f| on any patch,
    |f(x0 + d)| <= sum |c_k| r^(k+1)) and the x range of the patches; None when no zero needs
    a patch, OVERLAP when two patches overlap (then a loop of :func:`root_series`, where the
    last one wins)."""
    rows = sorted(table)
    his = np.array([r[0] for r in rows])
    rs = np.array([r[4] if rounded else r[2] for r in rows])
    if rounded and narrow:
        rs[[r[5] for r in rows]] = 0.0
    if not rs.any():
        return None
    if np.any(his[1:] - his[:-1] < rs[1:] + rs[:-1]):
        return OVERLAP
    coeffs = np.zeros((his.size, max(len(r[3]) for r in rows)))
    for i, r in enumerate(rows):
        coeffs[i, :len(r[3])] = r[3]
    bound = 2.0 * max(sum(abs(c) * v ** (k + 1) for k, c in enumerate(r[3]))
                      for r, v in zip(rows, rs.tolist(), strict=True))
    los = np.array([r[1] for r in rows])
    # the split between two zeros halfway between their patches (not between the zeros: a
    # wide patch next to a narrow one would lose its far part to the narrow one's zero)
    splits = ((his[1:] - rs[1:]) + (his[:-1] + rs[:-1])) / 2.0
    arrays = (his, splits, los, rs, coeffs)
    for a in arrays:
        a.setflags(write=False)  # (shared by the threads)
    return (*arrays, bound, float(np.max(np.abs(his) + rs)))


def root_table(x: np.ndarray, o: np.ndarray, table: tuple, params: tuple = (),
               defaults: tuple = ()) -> None:
    """:func:`root_series` for many simple zeros at once (sinc' has one every ~pi), ``table``
    holding one ``(x0_hi, x0_lo, r, coeffs, r_rounded, narrow_ok)`` per zero. Near a zero the
    output is small: the candidates are the elements with |o| below twice the largest |f| on
    any patch (or o NaN; two passes, whatever the number of zeros: a loop of
    :func:`root_series` costs four per zero) within the patches' x range. The zero whose patch
    may hold each is found by one search, and those within its radius get its Taylor
    polynomial d (c1 + c2 d + ...), d = (x - x0_hi) - x0_lo, in float64. Radii as in
    :func:`root_series` for results rounded to float32 and float32 input. Only at the default
    parameters."""
    for p, d in zip(params, defaults, strict=True):
        if np.ndim(p) or p != d:
            return
    rounded = getattr(_local, "rounded", False)
    plan = _table_plan(table, rounded, rounded and getattr(_local, "narrow", False))
    if plan is None:
        return
    if plan is OVERLAP:
        for hi, lo, r, coeffs, r_rounded, fine in table:
            root_series(x, o, hi, lo, r, coeffs, r_rounded=r_rounded, narrow_ok=fine)
        return
    his, splits, los, rs, coeffs, bound, reach = plan
    n = x.shape[0]
    t, w = _work(n, 2)
    t = _like(t, o)
    np.abs(o, out=t)
    near = np.greater_equal(t, bound, out=w.view(np.bool_)[:n])
    np.logical_not(near, out=near)  # (True for a NaN)
    if not near.any():
        return
    idx = np.flatnonzero(near)
    d = x[idx].astype(np.float64)
    inside = np.flatnonzero(np.abs(d) <= reach)
    if inside.size < idx.size:
        idx, d = idx[inside], d[inside]
    z = np.searchsorted(splits, d)
    d -= his[z]
    d -= los[z]
    keep = np.flatnonzero(np.abs(d) < rs[z])
    if not keep.size:
        return
    idx, z, d = idx[keep], z[keep], d[keep]
    p = coeffs[z, -1]
    for j in range(coeffs.shape[1] - 2, -1, -1):
        p *= d
        p += coeffs[z, j]
    p *= d
    o[idx] = p


def fix_inf_probe(core, counts: tuple, k: int, x: np.ndarray, o: np.ndarray,
                  params: tuple, zero: tuple | None = None) -> None:
    """Limits at +-inf for kernels whose limit depends on the parameters (e.g. p x with p = 0
    gives 0 inf = NaN): the kernel ``core`` itself at the largest finite floats, M and M / 2.
    Equal values (to 1e-9) are the limit; values beyond M 2^-24 of one sign give +-inf of that
    sign (growth); anything else gives NaN. Only on the +-inf elements, with scalar
    parameters (the generator checks this reproduces the limits at the defaults). ``zero``:
    only when one of these values (slopes at +-inf, e.g. leaky_relu's negative_slope) is 0;
    the kernel is right for the others, and the check costs no pass over x."""
    if zero is not None and all(isinstance(z, np.ndarray) or z != 0 for z in zero):
        return
    inf = np.isinf(x)
    if not inf.any() or any(np.ndim(p) for p in params):
        return
    n_out, nfloat, nbool = counts
    big = float(np.finfo(x.dtype).max)
    xp = np.array([big, big / 2, -big, -big / 2], x.dtype)
    outs = [np.empty(4, x.dtype) for _ in range(n_out)]
    core(xp, outs, [np.empty(4, x.dtype) for _ in range(nfloat)],
         [np.empty(4, np.bool_) for _ in range(nbool)], *params)
    v = outs[k].astype(np.float64)
    for sign, a, c in ((1, v[0], v[1]), (-1, v[2], v[3])):
        if a == c or abs(a - c) <= 1e-9 * abs(a):
            lim = a
        elif abs(a) >= big * 2.0**-24 and (a > 0) == (c > 0) and abs(a) >= abs(c):
            lim = math.copysign(math.inf, a)
        else:
            lim = math.nan
        np.copyto(o, lim, where=inf & ((x > 0) if sign > 0 else (x < 0)))


@functools.cache
def _exp2_table(n: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """2^(j/n), j = 0..n-1, as double-doubles (hi, lo), and ln2/n as hi (33 significant bits:
    m (ln2/n)_hi is exact for |m| < 2^20) + lo; from the decimal module at 50 digits (built on
    the first call that needs it, ~20 ms, not at import)."""
    import decimal

    ctx = decimal.Context(prec=50)
    two = decimal.Decimal(2)
    hi, lo = np.empty(n), np.empty(n)
    for j in range(n):
        v = ctx.power(two, ctx.divide(decimal.Decimal(j), decimal.Decimal(n)))
        hi[j] = float(v)
        lo[j] = float(ctx.subtract(v, decimal.Decimal(hi[j])))
    step = ctx.divide(ctx.ln(two), decimal.Decimal(n))
    step_hi = math.ldexp(round(math.ldexp(float(step), 40)), -40)
    return hi, lo, step_hi, float(ctx.subtract(step, decimal.Decimal(step_hi)))


#: table size of :func:`exp_exp` (|r| <= ln2 / 512: expm1(r) is good to 2^-62 of exp(z))
_EXP_N = 256


def exp_exp(rest: np.ndarray, z: np.ndarray, c: float, *, out: np.ndarray) -> np.ndarray:
    """exp(rest + c exp(z)), c = +-2^k. exp(z) is rounded to 2^-53 relative, i.e. |c exp(z)|
    2^-53 absolute in the exponent, |c exp(z)| ULPs in the result (276 ULP for
    exp(x - exp(x)) at x = 6.33), and the rounding of the sum gives |rest + c exp(z)| ULPs
    (21 at x = -33). The sum's rounding error is added back everywhere (TwoSum, a few passes);
    where |c exp(z)| > 2 and the result is finite and nonzero (on those elements only),
    exp(z) is carried as a double-double: z = m ln2/256 + r (Cody-Waite, r as hi + lo),
    exp(z) = 2^(m // 256) 2^(j/256) (1 + expm1(r_hi) + r_lo) with 2^(j/256) from a
    double-double table. Results rounded to float32 need neither (|u| 2^-53 < 2^-40 wherever
    the float32 result is nonzero)."""
    n = z.shape[0]
    e, u, lo, bv = _work(n, 4)
    np.exp(z, out=e)
    e *= c
    np.add(rest, e, out=u)
    if getattr(_local, "rounded", False):
        return np.exp(u, out=out)
    np.subtract(u, rest, out=bv)  # TwoSum(rest, c e): lo = (rest - (u - bv)) + (c e - bv)
    np.subtract(u, bv, out=lo)
    np.subtract(rest, lo, out=lo)
    np.subtract(e, bv, out=bv)
    lo += bv
    np.copyto(lo, 0.0, where=~np.isfinite(lo))
    np.abs(e, out=bv)
    idx = np.flatnonzero(bv > 2.0)
    if idx.size:
        ri = rest[idx]
        zi = np.minimum(z[idx], 710.0)
    np.exp(u, out=out)
    lo += 1.0
    out *= lo
    if not idx.size:
        return out
    oi = out[idx]
    keep = np.flatnonzero((oi > 0) & np.isfinite(oi) & np.isfinite(ri))
    if not keep.size:
        return out
    idx, ri, zi = idx[keep], ri[keep], zi[keep]
    exp_hi, exp_lo, ln2n_hi, ln2n_lo = _exp2_table(_EXP_N)
    m = np.rint(zi * (_EXP_N / math.log(2.0)))
    kf = np.floor(m * (1.0 / _EXP_N))
    j = (m - kf * _EXP_N).astype(np.intp)
    k = kf.astype(np.int32)
    rh = zi - m * ln2n_hi  # exact (Sterbenz / exact product)
    t = m * ln2n_lo
    r = rh - t  # TwoSum(rh, -t): r + rl = rh - t
    bv = r - rh
    rl = (rh - (r - bv)) - (t + bv)
    em = np.expm1(r)
    th, tl = exp_hi[j], exp_lo[j]
    s = th * (em + rl) + tl * (1.0 + em)
    eh = th + s  # Fast2Sum (|th| >= |s|)
    el = s - (eh - th)
    eh = np.ldexp(eh, k) * c
    el = np.ldexp(el, k) * c
    hi = ri + eh  # TwoSum(ri, c exp(z)_hi)
    bv = hi - ri
    lo = (ri - (hi - bv)) + (eh - bv) + el
    np.exp(hi, out=hi)
    lo += 1.0
    hi *= lo
    out[idx] = hi
    return out


#: bits of the head xh of x (a multiple of gx = 2^(e - _KX), |x| < 2^e) and of the running
#: heads H of :func:`_poly_grid`: H xh is an integer times gx g below 2^(_KH + _KX) = 2^51, exact
_KX = 25
_KH = 26
#: largest bound on the absolute error of :func:`_poly_grid`'s exponent that is accepted: 2^-60,
#: 1/128 of the exponential's ULP (beyond it: the double-double Horner of :func:`_poly_dd`)
_GRID_ERR = 2.0**-60
_U = 2.0**-53


def _pow2_above(v: float) -> int:
    """The e with 2^(e-1) <= |v| < 2^e (v finite and nonzero)."""
    return math.frexp(v)[1]


def _to_grid(v: float, e: int) -> float:
    """v rounded to the nearest multiple of 2^e (exact: a power-of-two scaling, an integer)."""
    return math.ldexp(round(math.ldexp(v, -e)), e)


def _grid_plan(hi: tuple, lo: tuple, xmax: float):
    """The scalars of :func:`_poly_grid` for |x| <= ``xmax``: (the exponent of gx, the head and
    low part of the leading coefficient, per Horner step (coefficient on the step's grid, its
    remainder, the magic constant rounding to the next head's grid or None at the last step)),
    or None when the error bound exceeds ``_GRID_ERR`` (or an exponent leaves the safe range).

    Grids: H_{i+1} is a multiple of g_{i+1} with |H_{i+1}| <= 2^_KH g_{i+1}, chosen so that
    |c_i| < 2^51 g_{i+1} gx too; then t_i = H_{i+1} xh + C_i (C_i: c_i on the grid g_{i+1} gx) is
    an integer below 2^53 times g_{i+1} gx, exact. The bound on the error: L_i takes five
    roundings, each at most 2^-53 of lb_i (the bound on |L_i|: |L_{i+1}| xmax +
    |H_{i+1}| gx / 2 + |c_i - C_i| + g_i / 2), and is then multiplied by x i times."""
    deg = len(hi) - 1
    ex = _pow2_above(xmax) if xmax > 0 else 0
    egx = ex - _KX
    xb = math.ldexp(1.0, ex)

    def head_exp(bound: float, c_next: float) -> int:
        e = _pow2_above(bound) - _KH if bound > 0 else -1000
        return max(e, _pow2_above(c_next) - 51 - egx) if c_next else e

    eg = head_exp(abs(hi[deg]), hi[deg - 1])
    h = _to_grid(hi[deg], eg)
    lead = (h, (hi[deg] - h) + lo[deg])
    hb, lb = abs(h), abs(lead[1])
    err = _U * lb
    steps = []
    exps = [egx, eg]
    for i in range(deg - 1, -1, -1):
        ec = eg + egx
        exps.append(ec)
        ch = _to_grid(hi[i], ec) if hi[i] else 0.0
        cl = (hi[i] - ch) + lo[i]
        bt = hb * xb + abs(ch)  # |t_i|
        lb = lb * xmax + hb * math.ldexp(1.0, egx - 1) + abs(cl)
        magic = None
        if i:
            eg = head_exp(bt, hi[i - 1])
            exps.append(eg)
            magic = math.ldexp(1.5, 52 + eg)
            hb = bt + math.ldexp(1.0, eg - 1)
            lb += math.ldexp(1.0, eg - 1)
        err = err * xmax * (1.0 + _U) + 5.0 * _U * lb
        steps.append((ch, cl, magic))
    if not (err <= _GRID_ERR and lb <= 0.25 and -1000 < min(exps) and max(exps) < 900):
        return None
    return egx, lead, steps


#: |F(q)| below which :func:`exp_poly` refines (exp is 0 or inf beyond, whatever the low part)
_REACH_Q = 1400.0


@functools.cache
def _plan_for(hi: tuple, lo: tuple) -> tuple[float, object]:
    """(X, plan): X bounds |x| wherever |q(x)| <= 1400 (the elements :func:`exp_poly` refines):
    the ends of that set are roots of q -+ 1400, so the largest root modulus (NumPy's companion
    eigenvalues), 1% wider for their rounding; the plan of :func:`_grid_plan` for |x| <= X (None
    when its bound is too large). One plan per polynomial, not per chunk: every element gets
    the same grids, so the result does not depend on the chunk it falls in (strided input,
    out=, threads give the same bits)."""
    reach = 0.0
    for b in (_REACH_Q, -_REACH_Q):
        c = list(hi[::-1])
        c[-1] -= b
        roots = np.roots(c)
        if roots.size:
            reach = max(reach, float(np.abs(roots).max()))
    reach *= 1.01
    try:  # (extreme coefficients: a grid outside the float range raises; the fallback then)
        return reach, (_grid_plan(hi, lo, reach) if math.isfinite(reach) else None)
    except (OverflowError, ValueError):
        return reach, None


def _poly_grid(xi: np.ndarray, plan, bufs: list) -> tuple[np.ndarray, np.ndarray]:
    """q(x) = qh + ql (|ql| <= ulp(qh) / 2), the absolute error below the plan's bound, by Horner
    on short heads: x = xh + xl with xh on a grid of 2^_KX steps over the range (magic-number
    rounding, two passes, xl = x - xh exact); the running value S_i = H_i + L_i with H_i
    rounded (exactly) to a grid where H_{i+1} xh + c_i is an exact double, and the small rest
    L_i = L_{i+1} x + H_{i+1} xl + (c_i's remainder) + (t_i - H_i) in plain double: every
    rounding of L is ~2^-25 relative to the terms, ~2^-78 of them. Ten passes per nonzero
    coefficient (eight for a zero one) where the double-double Horner takes ~27 (Dekker's
    split and product need four partial products and six TwoSum passes a step)."""
    egx, (h0, l0), steps = plan
    xh, xl, t, h, lw, r = bufs
    mx = math.ldexp(1.5, 52 + egx)
    np.add(xi, mx, out=xh)  # xh = x rounded to a multiple of gx (|x| < 2^51 gx)
    xh -= mx
    np.subtract(xi, xh, out=xl)
    head = h0
    np.multiply(xi, l0, out=lw)
    for ch, cl, magic in steps:
        if isinstance(head, float):
            np.multiply(xh, head, out=t)
            np.multiply(xl, head, out=r)
        else:
            np.multiply(head, xh, out=t)
            np.multiply(head, xl, out=r)
            lw *= xi
        lw += r
        if ch:
            t += ch
        if cl:
            lw += cl
        if magic is None:
            break
        np.add(t, magic, out=h)  # H = t rounded to the next grid, r = t - H exact
        h -= magic
        np.subtract(t, h, out=r)
        lw += r
        head = h
    np.add(t, lw, out=h)  # Fast2Sum (|t| > |L|: |q| > 1 here, |L| <= 1/4)
    np.subtract(h, t, out=r)
    lw -= r
    return h, lw


def _poly_dd(xi: np.ndarray, hi: tuple, lo: tuple, bufs: list) -> tuple[np.ndarray, np.ndarray]:
    """q(x) as a double-double by Horner with Dekker's product and TwoSum (|x| < 1e150): the
    general path of :func:`exp_poly` (cancelling polynomials, huge |x|)."""
    xh, xl, ah, al, b1, b2, b3, b4 = bufs
    _split(xi, xh, xl, b1)  # (once)
    ah.fill(hi[-1])
    al.fill(lo[-1])
    for ch, cl in zip(hi[-2::-1], lo[-2::-1], strict=True):
        np.multiply(ah, xi, out=b1)  # ph
        _split(ah, b3, b2, b2)  # ah = b3 + b2
        np.multiply(b3, xh, out=b4)  # pl = ((ahh xh - ph) + ahh xl + ahl xh) + ahl xl
        b4 -= b1
        b3 *= xl
        b4 += b3
        np.multiply(b2, xh, out=b3)
        b4 += b3
        b2 *= xl
        b4 += b2
        np.multiply(al, xi, out=b3)  # + al xi
        b4 += b3
        if ch == 0.0 and cl == 0.0:  # a zero coefficient: (ph, pl) renormalised (Fast2Sum)
            np.add(b1, b4, out=ah)
            np.subtract(ah, b1, out=b3)
            np.subtract(b4, b3, out=al)
            continue
        np.add(b1, ch, out=b2)  # sh = ph + ch; TwoSum's low part into b1
        np.subtract(b2, b1, out=b3)  # bv
        np.subtract(b2, b3, out=ah)
        np.subtract(b1, ah, out=b1)  # ph - (sh - bv)
        np.subtract(ch, b3, out=b3)
        b1 += b3
        b1 += b4
        b1 += cl  # sl
        np.add(b2, b1, out=ah)  # Fast2Sum(sh, sl)
        np.subtract(ah, b2, out=b3)
        np.subtract(b1, b3, out=al)
    return ah, al


def exp_poly(x: np.ndarray, w: np.ndarray, hi: tuple, lo: tuple, kind: str,
             p: np.ndarray | None = None, e: np.ndarray | None = None, *,
             out: np.ndarray) -> np.ndarray:
    """exp(F(q(x))) (with ``p``: p exp(F(q(x)))) given w = F(q(x)) evaluated in double, for a
    polynomial q with coefficients hi[k] + lo[k] (of x^k, double-double) and F one of "id",
    "min0" (min(0, .)), "max0", "abs", "negabs" (-|.|). Evaluation in double gives q with an
    absolute error ~|q| 2^-53, i.e. |q| ULPs in the exponential (888 for
    x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) at x = -20.7). Where 1 < |F(q)| and
    -1400 < F(q) < 710 (on those elements only; not when the result is rounded to float32,
    where |q| 2^-53 < 2^-42 is harmless), q is recomputed as qh + ql with an absolute error
    below 2^-60 (:func:`_poly_grid`, or the double-double Horner :func:`_poly_dd` when the
    range of x makes the former's bound too large) and the result is exp(qh) (1 + ql); with
    ``p``, exponents below -700 are shifted by 512 log 2 (as in :func:`mul_exp`) so a
    subnormal exponential keeps its bits before p multiplies it. ``out`` may be x, w or p.

    ``e``: exp(-|w|) computed by the kernel (its sigmoid denominator 1 + exp(-c |q|)), for
    ``kind`` "min0": where the result is rounded to float32, exp(w) is max(e, [w = 0]) (w <= 0:
    exp(w) = exp(-|w|); NaN stays NaN), three passes instead of an exponential (float32
    gelu_tanh at n = 1e7, one thread: 42.5 -> 38.0 ms)."""
    n = x.shape[0]
    m = 0
    if not getattr(_local, "rounded", False) and n and x.dtype == np.float64:
        if kind in ("min0", "negabs"):  # w <= 0 (or NaN)
            mask = np.less(w, -1.0)
            wide = np.fmin.reduce(w) <= -_REACH_Q
        elif kind in ("max0", "abs"):  # w >= 0
            mask = np.greater(w, 1.0)
            wide = np.fmax.reduce(w) >= 710.0
        else:
            t = _work(n, 1)[0]
            mask = np.greater(np.abs(w, out=t), 1.0)
            wide = np.fmin.reduce(w) <= -_REACH_Q or np.fmax.reduce(w) >= 710.0
        if wide:  # (exp is 0 or inf there whatever the low part)
            mask &= w > -_REACH_Q
            mask &= w < 710.0
        idx = np.flatnonzero(mask)
        m = idx.size
    if m:  # gathered before out (which may be x, w or p) is written
        bufs = _work(m, 10)
        xi = np.take(x, idx, out=bufs.pop(), mode="clip")
        pi = None if p is None else xi if p is x else np.take(p, idx, out=bufs.pop(),
                                                                 mode="clip")
    if p is None:
        np.exp(w, out=out)
    else:  # (p exp(-inf) = 0 also for an infinite p: the exponential wins)
        t = _work(n, 1)[0]
        if e is not None and not m and kind == "min0" and getattr(_local, "rounded", False):
            zero = _work(n, 2)[1].view(np.bool_)[:n]
            np.equal(w, 0.0, out=zero)
            np.copyto(t, zero)
            np.maximum(e, t, out=t)
        else:
            np.exp(w, out=t)
        if t.min() > 0.0:  # (one reduction; NaN and 0 take the check)
            np.multiply(p, t, out=out)
        else:
            gone = np.isinf(p)
            gone &= t == 0
            np.multiply(p, t, out=out)
            np.copyto(out, 0.0, where=gone)
    if not m:
        return out
    keep = None
    reach, plan = _plan_for(hi, lo)
    if plan is not None and xi.max() <= reach and xi.min() >= -reach:  # (else a w far off)
        ah, al = _poly_grid(xi, plan, bufs[:6])
    else:  # (|x| > 1e150 would overflow the splits: those keep exp(w))
        if xi.max() > 1e150 or xi.min() < -1e150:
            keep = np.abs(xi) <= 1e150
        clip(xi, -1e150, 1e150, out=xi)
        ah, al = _poly_dd(xi, hi, lo, bufs[:8])
    # F on the refined elements (|F(q)| > 1: a sign change of q there is rare, tested first)
    if kind == "min0" and ah.max() > 0:
        np.putmask(al, ah > 0, 0.0)
        np.minimum(ah, 0.0, out=ah)
    elif kind == "max0" and ah.min() < 0:
        np.putmask(al, ah < 0, 0.0)
        np.maximum(ah, 0.0, out=ah)
    neg_lo = False  # (al holds minus the low part)
    if (kind == "abs" and ah.min() < 0) or (kind == "negabs" and ah.max() > 0):
        sgn = np.sign(ah)  # |q| (-|q|): both parts times the sign of q (times -1: ah by
        al *= sgn  # copysign, al's sign at 1 - al below)
        if kind == "negabs":
            np.copysign(ah, -1.0, out=ah)
            neg_lo = True
        else:
            np.abs(ah, out=ah)
    deep = None
    if p is not None and ah.min() < -700.0:  # ah + 512 log 2 by TwoSum, the low parts into al
        deep = ah < -700.0
        sh = ah + _SHIFT_HI
        bv = sh - ah
        sl = (ah - (sh - bv)) + (_SHIFT_HI - bv) + _SHIFT_LO
        np.copyto(al, al - sl if neg_lo else al + sl, where=deep)
        np.copyto(ah, sh, where=deep)
    np.exp(ah, out=ah)
    if neg_lo:
        np.subtract(1.0, al, out=al)
    else:
        al += 1.0
    ah *= al
    if p is not None:
        ah *= pi
        if deep is not None:
            ah[deep] = np.ldexp(ah[deep], -512)
    if keep is None and ((p is None and kind in ("min0", "negabs")) or np.isfinite(ah).all()):
        out[idx] = ah  # (exp of an exponent <= 0 times 1 + ql: finite)
    else:
        ok = np.isfinite(ah)
        if keep is not None:
            ok &= keep
        out[idx[ok]] = ah[ok]
    return out
