"""Whether a kernel may compute float16/float32 input natively in float32.

Computing float32 input in float64 and rounding once is always accurate, but it costs two casts
and float64 transcendentals (2-15x slower than NumPy's float32 SIMD ones). :func:`native_float32`
decides, from the straight-line program alone (deterministic, the same on every machine), when
the float32 evaluation stays within the accuracy target. It propagates through the program

* an interval enclosing each value for x in [-inf, inf] (parameters: any real), and
* an estimate of its relative error in float32 ULPs: an exact operation keeps the error of its
  operands, a correctly rounded one adds 0.5 (products and quotients add their operands'
  errors; a sum of same-sign terms weights them by their share of the sum), a transcendental
  ufunc adds the maximum error of NumPy's float32 implementation (:data:`F32_ULPS`) to its
  argument's error times its condition number (bounded by 1 for tanh, arctan, log1p of a
  nonnegative argument and expm1 of a nonpositive one; otherwise the argument must be exact).

The program is rejected (float64 compute) when a sum of terms of either sign has an inexact term
(cancellation), when an inexact value that may underflow or overflow in float32 is multiplied,
divided or added (float64 would keep the intermediate), when a ufunc without a float32 error
model is used, or when the estimate exceeds :data:`BUDGET`. Hypotenuses hypot(a, c) with a
constant or parameter c are lowered as sqrt(min(|a|, 2^60)^2 + c^2) then max(., |a|), plain
float32 operations (see :func:`_hypot`).
"""

from __future__ import annotations

import math

import numpy as np

#: max ULP error of NumPy's float32 ufuncs (SIMD/SVML builds measured on 6e6 points; libm
#: builds are more accurate)
F32_ULPS = {"np.exp": 2.4, "_rt.exp_r": 0.51, "_rt.expm1_r": 0.51,
            "np.expm1": 2.6, "np.log": 3.4, "np.log1p": 1.9, "np.tanh": 1.4,
            "np.arctan": 2.1, "np.sin": 1.45, "np.cos": 1.45}
#: largest error estimate accepted for native float32 (the sum of worst cases is pessimistic:
#: the accuracy tests check the 4-ULP target on the grid)
BUDGET = 5.0

_EXP_UF = -87.0  # exp(z) underflows float32's normal range below this
_EXP_OF = 88.0
_EXACT = {"np.negative", "np.abs", "np.maximum", "np.minimum", "np.clip", "np.sign"}
_BOOL = {"np.less", "np.less_equal", "np.greater", "np.greater_equal", "np.equal",
         "np.not_equal", "np.logical_and", "np.logical_or", "np.logical_not"}
_INF = math.inf


class _Reject(Exception):
    pass


def _scalar(code: str, values: dict | None = None):
    try:
        v = float(eval(code, {"np": np, **(values or {})}))  # noqa: S307 -- generated code
    except Exception:
        return None
    return v


def _iv_mul(a, b):
    cands = []
    for p in a:
        for q in b:
            if p == 0 or q == 0:
                cands.append(0.0)  # (bounds of open intervals: 0 * inf stands for 0 * large)
            else:
                cands.append(p * q)
    return (min(cands), max(cands))


class _V(tuple):
    """(interval, error estimate) with flags: ``uf`` the float32 value may have underflowed
    where the float64 one has not, ``of`` likewise for overflow."""

    uf = False
    of = False
    support = None  # "le0" / "ge0": exactly 0 wherever x >= 0 / x <= 0
    scalar = False
    is_x = False  # the input x itself


def _v(iv, err, uf=False, of=False, support=None) -> _V:
    v = _V((iv, err))
    v.uf, v.of, v.support = uf, of, support
    return v


def _pow2(v) -> bool:
    iv, err = v
    if err or iv[0] != iv[1] or iv[0] == 0 or math.isinf(iv[0]):
        return False
    m, _ = math.frexp(abs(iv[0]))
    return m == 0.5


def native_float32(ops, results, signs: dict | None = None,
                   x_iv: tuple[float, float] = (-_INF, _INF), budget: float = BUDGET,
                   values: dict | None = None) -> bool:
    """True when the program ``ops`` (see :class:`symact.codegen.emit.Op`) may run in float32
    for x in the closed interval ``x_iv``; ``signs`` maps scalar code to "+"/"-" where the
    parameter assumptions fix its sign; ``values`` gives the parameters (``p_NAME``) fixed
    values (then scalar code on them is a constant, exact if float32 holds it)."""
    signs = signs or {}
    xv = _v(x_iv, 0.0)
    xv.is_x = True
    try:
        vals = {}
        masks = {op.dest for op in ops if op.kind == "b"}

        def get(a):
            if a == "x":
                return xv
            if isinstance(a, tuple):
                v = _scalar(a[1], values)
                if v is None or math.isnan(v):
                    sign = signs.get(a[1])
                    iv = (0.0, _INF) if sign == "+" else (-_INF, 0.0) if sign == "-" else (
                        -_INF, _INF)
                    p = _v(iv, 0.5)  # a parameter: rounded to float32
                    p.scalar = True  # (finite)
                    return p
                exact = math.isinf(v) or (abs(v) <= 3.4e38 and float(np.float32(v)) == v)
                return _v((v, v), 0.0 if exact else 0.5)
            return vals[a]

        for op in ops:
            args = [get(a) for a in op.args]
            if op.fn != "select" and any(a is _POISON for a in args):
                vals[op.dest] = _POISON
                continue
            try:
                vals[op.dest] = _step(op, args,
                                      [isinstance(a, int) and a in masks for a in op.args])
            except _Reject:  # (fatal only if a result depends on it: see select)
                vals[op.dest] = _POISON
        for r in results:
            if isinstance(r, int) and (vals[r] is _POISON or vals[r][1] > budget):
                return False
        return True
    except _Reject:
        return False


#: a value the analysis rejects: it only matters if a result depends on it (a select whose
#: condition is decided on the interval of x drops the branch it never takes)
_POISON = _v((-_INF, _INF), _INF)

#: comparisons decided from intervals: (always true, always false) for a op b
_DECIDE = {
    "np.less": (lambda a, b: a[1] < b[0], lambda a, b: a[0] >= b[1]),
    "np.less_equal": (lambda a, b: a[1] <= b[0], lambda a, b: a[0] > b[1]),
    "np.greater": (lambda a, b: a[0] > b[1], lambda a, b: a[1] <= b[0]),
    "np.greater_equal": (lambda a, b: a[0] >= b[1], lambda a, b: a[1] < b[0]),
}


def _mask(fn: str, args) -> _V:
    """A bool value: (1, 1) where always true, (0, 0) where always false, else (0, 1).
    Comparisons are decided only between exact operands (x, constants, exact operations of
    them), so float32 rounding cannot flip one; logical operators combine decided masks."""
    if fn in _DECIDE and len(args) == 2 and all(a is not _POISON and a[1] == 0
                                                 and not a.uf for a in args):
        true, false = _DECIDE[fn]
        a, b = args[0][0], args[1][0]
        if true(a, b):
            return _v((1.0, 1.0), 0.0)
        if false(a, b):
            return _v((0.0, 0.0), 0.0)
    elif fn in ("np.logical_and", "np.logical_or", "np.logical_not") and all(
            a is not _POISON for a in args):
        ivs = [a[0] for a in args]
        if fn == "np.logical_not":
            return _v((1.0 - ivs[0][1], 1.0 - ivs[0][0]), 0.0)
        if fn == "np.logical_and":
            return _v((min(i[0] for i in ivs), min(i[1] for i in ivs)), 0.0)
        return _v((max(i[0] for i in ivs), max(i[1] for i in ivs)), 0.0)
    return _v((0.0, 1.0), 0.0)


def _select(args) -> _V:
    """select(default, c1, v1, c2, v2, ...), the first true condition winning: the values it
    can take on the interval of x (a condition always false drops its value, one always true
    drops every later value and the default); rejected if one of those is."""
    taken = []
    rest = args[1:]
    for c, v in zip(rest[0::2], rest[1::2], strict=True):
        if c is _POISON:
            raise _Reject
        if c[0] == (0.0, 0.0):
            continue
        taken.append(v)
        if c[0] == (1.0, 1.0):
            break
    else:
        taken.append(args[0])
    if any(v is _POISON for v in taken):
        raise _Reject
    return _v((min(v[0][0] for v in taken), max(v[0][1] for v in taken)),
              max(v[1] for v in taken), any(v.uf for v in taken), any(v.of for v in taken))


def _add(a, b):
    (la, ha), ea = a
    (lb, hb), eb = b
    if {a.support, b.support} == {"le0", "ge0"}:
        # f(min(x, 0)) + g(max(x, 0)): one term is exactly 0 everywhere, the sum is exact
        if a.of or b.of:
            raise _Reject
        return _v((min(la, lb), max(ha, hb)), max(ea, eb), a.uf or b.uf)
    iv = (la + lb if not (math.isinf(la) and math.isinf(lb) and la != lb) else -_INF,
          ha + hb if not (math.isinf(ha) and math.isinf(hb) and ha != hb) else _INF)
    # an underflowed term matters only where the other term can vanish too
    uf = (a.uf and lb <= 0 <= hb) or (b.uf and la <= 0 <= ha)
    if a.of or b.of:
        raise _Reject
    if ea == 0 and eb == 0:
        return _v(iv, 0.5, uf)
    if la >= 0 and lb >= 0:
        pass
    elif ha <= 0 and hb <= 0:
        la, ha, lb, hb = -ha, -la, -hb, -lb
    else:
        return _cancelling(a, b, iv, uf)
    wa = 1.0 if math.isinf(ha) else ha / (ha + lb) if ha + lb > 0 else 1.0
    wb = 1.0 if math.isinf(hb) else hb / (la + hb) if la + hb > 0 else 1.0
    return _v(iv, ea * wa + eb * wb + 0.5, uf)


def _cancelling(a, b, iv, uf):
    """A sum of terms of either sign: the rounding errors of the terms, |t| e ULPs each, are
    relative to the sum, amplified by max |t| / min |sum| over the intervals. Rejected where
    the sum's interval contains 0 (unbounded amplification) or an inexact term is unbounded."""
    lo, hi = iv
    if math.isnan(lo) or math.isnan(hi) or lo <= 0 <= hi:
        raise _Reject
    num = sum(max(abs(t_lo), abs(t_hi)) * e for (t_lo, t_hi), e in (a, b) if e)
    if not math.isfinite(num):
        raise _Reject
    return _v(iv, num / min(abs(lo), abs(hi)) + 0.5, uf)



#: ufuncs with f(0) = 0 exactly: a value that is 0 on one side of x = 0 stays so
_KEEPS_ZERO = {"np.negative", "np.abs", "np.expm1", "np.tanh", "np.sin", "np.arctan",
               "np.log1p", "np.square", "np.sqrt", "np.multiply", "np.divide"}


#: runtime helpers that compute the same function as a NumPy ufunc (in float32: that ufunc)
_SAME_AS = {"_rt.sin": "np.sin", "_rt.cos": "np.cos"}


def _step(op, args, mask):
    if op.fn in _SAME_AS:
        op = type(op)(op.dest, _SAME_AS[op.fn], op.args, op.kind)
    if op.fn == "_rt.mul_exp":  # p exp(u) from p, e = exp(u), u: the product p e
        op = type(op)(op.dest, "np.multiply", op.args[:2], op.kind)
        e = args[1]
        if e.uf and not e.of:  # (the helper recomputes a subnormal or zero e in float64)
            e = _v(e[0], e[1], False, False, e.support)
        args, mask = [args[0], e], mask[:2]
    if op.fn == "_rt.exp_mul":  # exp(c y) (expm1) of an exact argument: float32 y times
        # c = +-2^k in float32 (exact), else c y in float64; the exponential in float64 and
        # rounded once (exp_r's error) when asked (``rounded``) or c is not +-2^k, else NumPy's
        iv = _iv_mul(args[0][0], args[1][0])
        m1 = len(op.args) > 3 and op.args[3] == ("s", "True")
        rounded = len(op.args) > 4 and op.args[4] == ("s", "True")
        fn = ("_rt.expm1_r" if m1 else "_rt.exp_r") if rounded else (
            "np.expm1" if m1 else "np.exp")
        op = type(op)(op.dest, fn, op.args[:1], op.kind)
        lo, hi = min(iv), max(iv)
        # expm1 of a product that may be a nonzero below 2^-126 is a subnormal float32 value
        # (bits lost) that a later product may scale back into range
        uf = args[0].uf or (m1 and (lo <= 0.0 <= hi or min(abs(lo), abs(hi)) < 2.0**-126))
        args, mask = [_v((lo, hi), args[0][1], uf, args[0].of)], mask[:1]
    if op.fn == "_rt.div_hypot":  # y / h (the overflow patch does not touch the others)
        op = type(op)(op.dest, "np.divide", op.args[:2], op.kind)
        args, mask = args[:2], mask[:2]
    if op.fn == "_rt.hypot_c":
        return _hypot(*args)
    if op.fn == "_rt.two_slopes":
        return _two_slopes(*args)
    v = _step_value(op, args, mask)
    if op.fn in ("np.maximum", "np.minimum") and len(args) == 2:
        other = [a for a in args if not a.is_x]
        if len(other) == 1 and other[0][0] == (0.0, 0.0) and any(a.is_x for a in args):
            v.support = "ge0" if op.fn == "np.maximum" else "le0"
    elif op.fn == "np.clip" and args[0].is_x and (args[1][0], args[2][0]) in (
            ((0.0, 0.0), (_INF, _INF)), ((-_INF, -_INF), (0.0, 0.0))):
        v.support = "ge0" if args[1][0] == (0.0, 0.0) else "le0"  # max(x, 0) / min(x, 0)
    elif op.fn in _KEEPS_ZERO:
        sup = {a.support for a in args} - {None}
        finite = all(a.scalar or (math.isfinite(a[0][0]) and math.isfinite(a[0][1]))
                     for a in args if a.support is None)
        if len(sup) == 1 and (finite or op.fn != "np.multiply") and (
                op.fn != "np.divide" or args[0].support is not None):
            v.support = sup.pop()
    return v


def _two_slopes(d, kl, kr) -> _V:
    """kl d where d < 0, else kr d (``runtime.two_slopes``): one product, rounded unless the
    slope is a power of two; the values are kl times the negative part of d's interval and kr
    times its nonnegative part."""
    (lo, hi), e = d
    if d.of or kl.of or kr.of:
        raise _Reject
    parts = []
    if lo < 0:
        parts.append(_iv_mul((lo, min(hi, 0.0)), kl[0]))
    if hi >= 0:
        parts.append(_iv_mul((max(lo, 0.0), hi), kr[0]))
    if not parts:  # (a NaN bound)
        raise _Reject
    iv = (min(p[0] for p in parts), max(p[1] for p in parts))
    rounding = 0.0 if _pow2(kl) and _pow2(kr) else 0.5
    return _v(iv, e + kl[1] + kr[1] + rounding, d.uf)


def _hypot(a, c) -> _V:
    """hypot(a, c), c a parameter (``runtime.hypot_c``): where 2^-60 <= |c| <= 2^20, sqrt(min(|a|,
    2^60)^2 + c^2) then max(., |a|): a^2 and c^2 (2 e + 0.5 each), their sum of nonnegative
    terms (+ 0.5) and the root (half of that + 0.5) give max(e_a, e_c) + 1; the max with |a|
    keeps the result at least |a| (no underflow of a^2 reaches it) and the clip keeps a^2
    finite. Other |c| take np.hypot, at most 1 ULP plus the same condition."""
    (lo, hi), ea = a
    (cl, ch), ec = c
    if a.of or c.of:
        raise _Reject  # float64 would keep the intermediate that overflows in float32
    alo = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    ahi = max(abs(lo), abs(hi))
    clo = 0.0 if cl <= 0 <= ch else min(abs(cl), abs(ch))
    chi = max(abs(cl), abs(ch))
    top = _INF if math.isinf(ahi) or math.isinf(chi) else math.hypot(ahi, chi)
    return _v((max(alo, clo), top), max(ea, ec) + 1.0, a.uf, a.of)


def _step_value(op, args, mask):
    fn = op.fn
    if fn == "select":
        return _select(args)
    if op.kind == "b" or fn in _BOOL:
        return _mask(fn, args)
    uf = any(a.uf for a in args)
    of = any(a.of for a in args)
    if fn in _EXACT:
        err = max(a[1] for a in args)
        (lo, hi), _ = args[0]
        if fn == "np.negative":
            return _v((-hi, -lo), err, uf, of)
        if fn == "np.abs":
            if lo >= 0:
                return _v((lo, hi), err, uf, of)
            if hi <= 0:
                return _v((-hi, -lo), err, uf, of)
            return _v((0.0, max(-lo, hi)), err, uf, of)
        if fn == "np.sign":
            return _v((-1.0, 1.0), 0.0)
        if fn == "np.clip":
            a, b = args[1][0][0], args[2][0][1]
            iv = (min(max(lo, a), b), min(max(hi, a), b))
            return _v(iv, err, uf, of and not (math.isfinite(a) and math.isfinite(b)))
        (lb, hb) = args[1][0]
        if fn == "np.maximum":
            return _v((max(lo, lb), max(hi, hb)), err, uf, of)
        return _v((min(lo, lb), min(hi, hb)), err, uf, of)
    if fn == "np.add":
        return _add(args[0], args[1])
    if fn == "np.subtract":
        b = args[1]
        (lb, hb), eb = b
        return _add(args[0], _v((-hb, -lb), eb, b.uf, b.of))
    if fn in ("np.multiply", "np.divide"):
        a, b = args
        if fn == "np.multiply" and any(mask):
            v = a if mask[1] else b
            (lo, hi), e = v
            return _v((min(lo, 0.0), max(hi, 0.0)), e, v.uf, v.of)
        if of:
            raise _Reject  # float64 would keep the intermediate that overflows in float32
        if fn == "np.divide":
            (lb, hb), _ = b
            if lb <= 0 <= hb:
                iv = (-_INF, _INF)
            else:
                iv = _iv_mul(a[0], (min(1 / lb, 1 / hb), max(1 / lb, 1 / hb)))
            small_den = lb <= 0 <= hb or min(abs(lb), abs(hb)) < 1
            if b.uf or (a.uf and small_den):
                raise _Reject
        else:
            iv = _iv_mul(a[0], b[0])
            for u, w in ((a, b), (b, a)):
                if u.uf and max(abs(w[0][0]), abs(w[0][1])) > 1:
                    raise _Reject  # an underflowed factor scaled back into range
                if u.scalar and math.isinf(max(abs(u[0][0]), abs(u[0][1]))) and max(
                        abs(w[0][0]), abs(w[0][1])) > 1:
                    # a free parameter times a value beyond 1: the product may overflow
                    # float32 (x sqrt(alpha) at alpha = 1e10) where float64 keeps it
                    of = True
        # exact: a product with a power of two, a quotient by one (not 2^k / b)
        rounding = 0.0 if (_pow2(b) or (fn == "np.multiply" and _pow2(a))) else 0.5
        return _v(iv, a[1] + b[1] + rounding, uf, of)
    if of:
        raise _Reject
    if fn == "np.square":
        (lo, hi), e = args[0]
        m = max(abs(lo), abs(hi))
        low = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)) ** 2
        # (a square at least 2^-126 is a normal float32: it cannot have underflowed)
        return _v((low, m * m if m < 1e150 else _INF), 2 * e + 0.5, uf or low < 2.0**-126,
                  m > 1e19)
    if fn == "np.sqrt":
        (lo, hi), e = args[0]
        return _v((math.sqrt(max(lo, 0.0)), math.sqrt(max(hi, 0.0))), e / 2 + 0.5, uf)
    if fn in F32_ULPS:
        (lo, hi), e = args[0]
        bound = F32_ULPS[fn]
        if fn in ("np.exp", "_rt.exp_r"):  # (exp_r: the float64 exp rounded to float32)
            if e:
                raise _Reject
            return _v((_exp(lo), _exp(hi)), bound, lo < _EXP_UF, hi > _EXP_OF)
        if fn in ("np.expm1", "_rt.expm1_r"):
            if e and hi > 0:
                raise _Reject
            return _v((_exp(lo) - 1, _exp(hi) - 1), bound + e, uf, hi > _EXP_OF)
        if fn == "np.log1p":
            if e and lo < 0:
                raise _Reject
            return _v((math.log1p(lo) if lo > -1 else -_INF, math.log1p(hi)), bound + e, uf)
        if fn == "np.log":
            if e or uf:
                raise _Reject
            return _v((math.log(lo) if lo > 0 else -_INF, math.log(hi) if hi > 0 else -_INF),
                      bound)
        if fn == "np.tanh":
            return _v((math.tanh(lo), math.tanh(hi)), bound + e, uf)
        if fn == "np.arctan":
            return _v((math.atan(lo), math.atan(hi)), bound + e, uf)
        if e:
            raise _Reject  # sin, cos: unbounded condition number
        return _v((-1.0, 1.0), bound)
    raise _Reject  # no float32 error model


def _exp(v: float) -> float:
    return _INF if v > 709 else math.exp(v)


#: refinement: at most REFINE_MAX intervals, covering at most REFINE_SPAN of
#: [-REFINE_TYPICAL, REFINE_TYPICAL] (where typical inputs lie; beyond it, tails such as the
#: exp under/overflow thresholds cost only the membership test). Measured at n = 1e7, N(0, 16)
#: input: silu's |x| <= 0.17 (3 % of the input) pays (49 -> 37 ms single-threaded);
#: tanhshrink's |x| <= 1.25 (24 %) does not, even with one float64 core call per chunk
#: (two threads: 20.5 ms refined against 17.3 ms in float64 throughout, best of 15)
REFINE_MAX = 3
REFINE_SPAN = 1.0
#: the error estimate accepted on the pieces (stricter than BUDGET: loglog at 5.0 measured
#: 4.01 float32 ULPs on [-12, -2])
REFINE_BUDGET = 4.0
REFINE_TYPICAL = 64.0
#: a binade the analysis rejects is analysed again in this many equal pieces
_PIECES = 8


def _binade_order() -> list[int]:
    """Binade exponents k ([2^k, 2^(k+1)]), those within the typical range from the largest
    down first (a rejection there ends the search soonest), then the rest."""
    top = int(math.log2(REFINE_TYPICAL))
    return list(range(top - 1, -127, -1)) + list(range(top, 128))


def float32_refine(ops, results, signs: dict | None = None, values: dict | None = None
                   ) -> tuple[tuple[float, float], ...] | None:
    """For a program :func:`native_float32` rejects on the whole line: the closed x intervals
    where it still rejects it (estimate above ``REFINE_BUDGET``) when x is confined to one
    binade of either sign (a binade that fails is tried again in ``_PIECES`` pieces; [0,
    2^-126] is one piece), merged. Elsewhere
    the kernel may run in float32 and recompute the elements in these intervals in float64.
    None when there are more than ``REFINE_MAX`` intervals or they cover more than
    ``REFINE_SPAN`` of the typical range (then float64 throughout is cheaper)."""
    bad: list[tuple[float, float]] = []
    span = 0.0

    def pieces(lo: float, hi: float) -> list[tuple[float, float]]:
        if lo == 0.0:
            return [(lo, hi)]
        step = lo / _PIECES
        cuts = [lo + j * step for j in range(_PIECES)] + [hi]
        return list(zip(cuts, cuts[1:], strict=False))

    for k in [None, *_binade_order()]:
        lo, hi = (0.0, 2.0**-126) if k is None else (
            2.0**k, 2.0 ** (k + 1) if k < 127 else _INF)
        for sign in (1.0, -1.0):
            def iv(a, b, sign=sign):
                return (a, b) if sign > 0 else (-b, -a)

            if native_float32(ops, results, signs, iv(lo, hi), REFINE_BUDGET, values):
                continue
            for a, b in pieces(lo, hi):
                if not native_float32(ops, results, signs, iv(a, b), REFINE_BUDGET, values):
                    bad.append(iv(a, b))
                    span += max(0.0, min(b, REFINE_TYPICAL) - min(a, REFINE_TYPICAL))
                    if span > REFINE_SPAN:
                        return None
    bad.sort()
    merged: list[tuple[float, float]] = []
    for a, b in bad:
        if merged and merged[-1][1] >= a:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    if len(merged) > REFINE_MAX:
        return None
    return tuple(merged)  # (empty: every piece runs in float32)
