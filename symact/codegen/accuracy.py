"""Accuracy of the kernels in ULP against mpmath, over a grid spanning the whole float range.

References are computed with mpmath from the *textbook* definition (parameters at their
defaults) with adaptive precision: the value is accepted when two evaluations at increasing
working precision agree to 30 digits (so cancellation in the textbook form cannot fool the
reference). Values at +-inf are the limits (``sympy.limit``). References are cached on disk under
``$SYMACT_CACHE`` (default ``~/.cache/symact``), never in ``generated/``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from ..budget import DEFAULT_BUDGET, BudgetExceeded, time_budget

DTYPES = ("float32", "float64")

#: reference marker for a point mpmath could not evaluate within the time budget; such points
#: are left out of the measurement (and counted)
SKIP = "skip"


def cache_dir() -> Path:
    root = os.environ.get("SYMACT_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "symact"
    return path / "references"


def grid(dtype: str) -> np.ndarray:
    """~650 points: 0, denormals, tiny, log-spaced magnitudes, +-1, the exp overflow
    thresholds, dense [-40, 40], huge, +-inf and NaN (sorted, unique, representable)."""
    info = np.finfo(dtype)
    tiny, big = float(info.tiny), float(info.max)
    denorm = float(info.smallest_subnormal)
    lo, hi = math.log10(tiny), math.log10(big) - 0.01
    mags = list(np.logspace(lo, hi, 121))
    mags += [denorm, denorm * 7, tiny / 3, tiny, 1e-8, 1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0, 2.0,
             3.0, 6.0, 19.0, 20.0, 21.0, 88.0, 88.72, 89.0, 103.0, 104.0, 709.0, 709.78, 710.0,
             745.0, 746.0, 1e4, 1e6, big / 2, big]
    mags += list(np.linspace(0.05, 40.0, 160))
    mags += [1 + k / 7 for k in range(1, 7)]
    values = [0.0] + mags + [-m for m in mags]
    arr = np.array(values, dtype=np.float64).astype(dtype)
    arr = arr[np.isfinite(arr)]
    arr = np.unique(arr)
    return np.concatenate([arr, np.array([np.inf, -np.inf, np.nan], dtype=dtype)])


def _textbook(act, order: int) -> sp.Expr:
    from .rewrite import prepare

    bound = act.with_defaults() if act.params else act
    expr = prepare(bound.expr, bound.x)
    for _ in range(order):
        expr = sp.diff(expr, bound.x)
    return expr


def _mp_eval(fn, point: float) -> str:
    """Adaptive-precision value of ``fn`` at the exact float ``point`` (as a decimal string)."""
    prev = None
    # 40 and 400 digits first: a sum like 1 + exp(-700) is absorbed identically at 40 and 80
    # digits, so agreement of neighbouring precisions alone would accept a wrong value
    for dps in (40, 400, 800, 1300):
        with mpmath.workdps(dps):
            try:
                v = fn(mpmath.mpf(point))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return "nan"
            if isinstance(v, mpmath.mpc):
                if abs(v.imag) > 0:
                    return "nan"
                v = v.real
            v = mpmath.mpf(v)
            if prev is not None and v != 0:
                if v == prev or abs(v - prev) <= abs(v) * mpmath.mpf(10) ** -32:
                    return _clamp(v)
            if v == 0 and dps >= 800:
                return "0.0"  # zero at 800 digits: below the smallest float for O(1e308) terms
            prev = v
    return _clamp(prev)


def _clamp(v: mpmath.mpf) -> str:
    """Decimal string of ``v``; magnitudes beyond any float become 0 or +-inf."""
    if v != 0 and abs(v) < mpmath.mpf(10) ** -400:
        return "0.0"
    if abs(v) > mpmath.mpf(10) ** 400:
        return "inf" if v > 0 else "-inf"
    return mpmath.nstr(v, 34)


def _safe_exp(z):
    """mpmath's exp, without its huge mantissa shifts for arguments beyond 1e6 (exp(-exp(x))
    at x = 44 otherwise needs 1e19 bits): exp(z) = 2^n 2^f built with ldexp; beyond 1e100 the
    value is 0 or inf for every purpose (beyond 1e310)."""
    z = mpmath.mpf(z)
    if abs(z) < 1e6:
        return mpmath.exp(z)
    if abs(z) > mpmath.mpf(10) ** 310:
        return mpmath.inf if z > 0 else mpmath.mpf(0)
    extra = int(mpmath.log10(abs(z))) + 10
    with mpmath.workdps(mpmath.mp.dps + extra):
        q = z / mpmath.ln2
        n = int(mpmath.floor(q))
        f = q - n
        return mpmath.ldexp(mpmath.exp(f * mpmath.ln2), n)


def mp_function(expr: sp.Expr, x: sp.Symbol):
    """``expr`` as an mpmath function of x (with the overflow-safe exp)."""
    return sp.lambdify(x, expr, modules=[{"exp": _safe_exp}, "mpmath"])


def references(act, order: int, points: np.ndarray) -> list[str]:
    """High-precision references (decimal strings; 'nan', 'inf', '-inf') at ``points``."""
    expr = _textbook(act, order)
    key = hashlib.sha256(f"v3|{act.name}|{sp.srepr(expr)}|{order}".encode()).hexdigest()[:20]
    path = cache_dir() / f"{act.name}-{order}-{key}.json"
    cache: dict[str, str] = {}
    if path.exists():
        try:
            cache = json.loads(path.read_text())
        except (OSError, ValueError):
            cache = {}
    missing = [float(p) for p in points if repr(float(p)) not in cache]
    if missing:
        fn = mp_function(expr, act.x)
        for p in missing:
            if math.isnan(p):
                value = "nan"
            elif math.isinf(p):
                value = numeric_limit(fn, 1 if p > 0 else -1)
            else:
                try:
                    with time_budget(DEFAULT_BUDGET):
                        value = _mp_eval(fn, p)
                except (BudgetExceeded, MemoryError):
                    value = SKIP  # e.g. exp(-exp(1e300)): mpmath cannot size the result
            cache[repr(p)] = value
        try:  # (a cache that cannot be written costs time, not the result)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cache, sort_keys=True))
            tmp.replace(path)
        except OSError:
            pass
    return [cache[repr(float(p))] for p in points]


def numeric_limit(fn, sign: int) -> str:
    """The limit of ``fn`` at sign * inf, from its values at +-1e50, 1e100, 1e200 (mpmath
    has no exponent range): 'inf' / '-inf' when they grow without bound, their common value when
    they agree, else 'nan' (no limit, e.g. a periodic function)."""
    values = []
    with mpmath.workdps(60):
        for k in (50, 100, 200):
            try:
                v = fn(sign * mpmath.mpf(10) ** k)
                if isinstance(v, mpmath.mpc):
                    if v.imag:
                        return "nan"
                    v = v.real
                values.append(mpmath.mpf(v))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return "nan"
        v1, v2, v3 = values
        if abs(v3) > mpmath.mpf(10) ** 160 and abs(v2) > mpmath.mpf(10) ** 80 and (
                v2 > 0) == (v3 > 0):
            return "inf" if v3 > 0 else "-inf"
        ten = mpmath.mpf(10)
        if abs(v3 - v2) <= ten ** -30 * abs(v3) and abs(v2 - v1) <= ten ** -20 * abs(v2):
            return mpmath.nstr(v3, 34)  # the values agree to 20 digits and more
        if abs(v3) < ten ** -30 and abs(v2) < ten ** -15 and abs(v2 - v1) <= ten ** -15:
            return "0.0"  # tending to 0 (like 1 / x): the value at 1e200 is not the limit
        if abs(v3) > 10 and abs(v3) >= 1.5 * abs(v2) >= 2.25 * abs(v1) > 0 and (
                v1 > 0) == (v2 > 0) == (v3 > 0):
            # one sign, |f| growing by half or more each time log10 |x| doubles: unbounded
            # (log |x| doubles with it; a bounded or periodic function cannot keep that up)
            return "inf" if v3 > 0 else "-inf"
    return "nan"


def ulp_errors(got: np.ndarray, refs: list[str], dtype: str) -> np.ndarray:
    """ULP error of each computed value against its reference (inf when a special is wrong)."""
    dt = np.dtype(dtype)
    out = np.zeros(len(refs))
    for i, (g, r) in enumerate(zip(got.tolist(), refs, strict=True)):
        if r == SKIP:
            out[i] = 0.0
            continue
        if r == "nan":
            out[i] = 0.0 if math.isnan(g) else math.inf
            continue
        with mpmath.workdps(40):  # independent of the caller's global precision
            ref = mpmath.mpf(r)
        with np.errstate(all="ignore"):
            rounded = dt.type(float(ref))
        rf = float(rounded)
        if math.isnan(g):
            out[i] = math.inf
            continue
        if math.isinf(rf) or math.isinf(g):
            out[i] = 0.0 if g == rf else math.inf
            continue
        mag = np.abs(rounded)
        with np.errstate(over="ignore"):
            spacing = float(np.spacing(mag))
        if math.isinf(spacing):  # the largest finite float: use the gap below it
            spacing = float(mag - np.nextafter(mag, dt.type(0)))
        with mpmath.workdps(40):
            out[i] = float(abs(mpmath.mpf(g) - ref) / spacing)
    return out


def measure(act, order: int, dtype: str, fn=None, points: np.ndarray | None = None
            ) -> tuple[float, float]:
    """(max ULP, point where it occurs) of the symact kernel (or ``fn``) on the grid (or at
    ``points``, values of ``dtype``)."""
    points = grid(dtype) if points is None else np.asarray(points, dtype)
    refs = references(act, order, points)
    if fn is None:
        fn = act.numpy(order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(fn(points.copy()), dtype=dtype)
    errs = ulp_errors(got, refs, dtype)
    k = int(np.argmax(errs))
    return float(errs[k]), float(points[k])


def torch_function(act, order: int):
    """The PyTorch equivalent of ``act`` (order 0) or its autograd derivative (order 1), as a
    NumPy -> NumPy function; None when PyTorch or a usable reference is missing."""
    ref = act.frameworks.get("torch")
    if ref is None:
        return None
    try:
        import torch
    except ImportError:
        return None

    def call(a: np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(a))
        names = {"torch": torch, "math": math,
                 "weight": torch.tensor([float(act.defaults.get("weight", 0.25))],
                                        dtype=t.dtype)}
        if order:
            t = t.clone().requires_grad_(True)
        names["input"] = t
        y = eval(ref.call, names)  # noqa: S307 -- the catalog's own call strings
        if isinstance(y, torch.nn.Module):
            y = y(t)
        if not order:
            return y.detach().numpy()
        (g,) = torch.autograd.grad(y, t, torch.ones_like(y), allow_unused=True)
        return (torch.zeros_like(t) if g is None else g).detach().numpy()

    try:
        call(np.array([0.5, -0.5], dtype=np.float64))
        call(np.array([0.5, -0.5], dtype=np.float32))
    except Exception:
        return None
    return call


def fmt(value: float) -> str:
    if math.isinf(value):
        return "wrong special"
    if value >= 1e6:
        return f"{value:.1e}"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"
