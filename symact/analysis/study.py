"""The monotone structure of a piecewise function: segments, joins, runs and image.

:func:`study` cuts every component of a function into maximal open segments on which its
derivative has one sign ('+', '-' or '0'), with the one-sided values (limits) at the segment ends.
Monotonicity, the range, extrema, convexity (by studying f') and the supremum of |f'| are all
read off this structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from ..budget import attempt
from .normalize import Component
from .numeric import DPS, mp_function, numeric_limit, to_float_expr
from .signs import SignPattern, exact_sign, inner_point, sign_pattern


class Evidence:
    """Collects how a group of facts was obtained: all symbolic, or some numeric step."""

    def __init__(self) -> None:
        self.numeric = False
        self.unknown: str | None = None
        self.methods: list[str] = []

    def note(self, status: str, method: str) -> None:
        if status == "numeric":
            self.numeric = True
        elif status == "unknown" and self.unknown is None:
            self.unknown = method
        if method and method not in self.methods:
            self.methods.append(method)

    def merge(self, other: Evidence) -> None:
        self.numeric |= other.numeric
        if other.unknown and not self.unknown:
            self.unknown = other.unknown
        for m in other.methods:
            if m not in self.methods:
                self.methods.append(m)

    @property
    def status(self) -> str:
        return "unknown" if self.unknown else ("numeric" if self.numeric else "proved")

    @property
    def method(self) -> str:
        return self.unknown or "; ".join(self.methods)


@dataclass
class Segment:
    lo: sp.Expr
    hi: sp.Expr
    lo_closed: bool
    hi_closed: bool
    trend: str  # '+', '-', '0' (or 'p' for an isolated point, lo == hi)
    v_lo: sp.Expr = sp.nan
    v_hi: sp.Expr = sp.nan
    expr: sp.Expr = sp.S.Zero

    @property
    def is_point(self) -> bool:
        return self.trend == "p"

    def interval(self) -> sp.Set:
        if self.is_point:
            return sp.FiniteSet(self.lo)
        return sp.Interval(self.lo, self.hi, not self.lo_closed, not self.hi_closed)


@dataclass
class Study:
    segments: list[Segment]
    evidence: Evidence
    infinite: bool = False
    patterns: list[tuple[Component, SignPattern]] = field(default_factory=list)


class Limits:
    """One-sided values of component expressions, memoised, with their evidence."""

    def __init__(self, x: sp.Symbol, seconds: float) -> None:
        self.x = x
        self.seconds = seconds
        self.cache: dict[tuple, tuple[sp.Expr, str, str]] = {}

    def value(self, g: sp.Expr, p: sp.Expr, side: str) -> tuple[sp.Expr, str, str]:
        """(value, status, method) of lim g(x) as x -> p from ``side`` ('+' or '-')."""
        key = (g, p, side)
        if key not in self.cache:
            self.cache[key] = self._compute(g, p, side)
        return self.cache[key]

    def _compute(self, g: sp.Expr, p: sp.Expr, side: str) -> tuple[sp.Expr, str, str]:
        x = self.x
        if isinstance(p, sp.Float):
            fn = mp_function(g, x)
            v = fn(mpmath.mpf(str(p)))
            if mpmath.isnan(v):
                return sp.nan, "unknown", "could not evaluate"
            return to_float_expr(v), "numeric", "evaluated at a numeric point"
        if p.is_finite:
            v = g.subs(x, p)
            if v.is_number and not v.has(sp.nan, sp.zoo, sp.oo, -sp.oo, sp.AccumBounds):
                return tidy_value(v, self.seconds), "proved", ""
        if p.is_finite:
            got = attempt(lambda: sp.limit(g, x, p, side), self.seconds)
        else:
            # Gruntz copes better with exponentials than with tanh/cosh of polynomials
            form = g.rewrite(sp.exp) if g.has(sp.tanh, sp.cosh, sp.sinh) else g
            got = attempt(lambda: sp.limit(form, x, p), self.seconds)
        if got and isinstance(got.value, sp.AccumBounds) and not p.is_finite:
            return got.value, "proved", "SymPy limit (oscillates within these bounds)"
        if got and got.value.is_number and not got.value.has(sp.nan, sp.zoo, sp.Limit):
            return got.value, "proved", "SymPy limit"
        if not p.is_finite:
            fn = mp_function(g, x)
            est = numeric_limit(fn, 1 if p == sp.oo else -1)
            if est is not None:
                return est, "numeric", "limit estimated numerically (mpmath)"
            return sp.nan, "unknown", f"limit at {p}: {got.reason or 'not found'}"
        fn = mp_function(g, x)
        with mpmath.workdps(DPS):
            eps = mpmath.mpf(10) ** -12
            v = fn(mpmath.mpf(str(sp.N(p, DPS))) + (eps if side == "+" else -eps))
        if mpmath.isnan(v):
            return sp.nan, "unknown", f"limit at {p}{side}: {got.reason or 'not found'}"
        return to_float_expr(v, 12), "numeric", "one-sided limit estimated numerically"


def _lambertw_exp(e: sp.Expr) -> sp.Expr:
    """exp(W(z)) -> z / W(z), which SymPy's simplify does not apply."""
    e = sp.expand(e, power_exp=True, mul=False, multinomial=False)
    return e.replace(lambda t: isinstance(t, sp.exp) and isinstance(t.args[0], sp.LambertW),
                     lambda t: t.args[0].args[0] / t.args[0])


def tidy_value(v: sp.Expr, seconds: float) -> sp.Expr:
    """A shorter exact form of a value (values at critical points can be long)."""
    if v.is_Rational or v.is_Atom or sp.count_ops(v) < 6:
        return v
    cands = [v]
    if v.has(sp.LambertW):
        got = attempt(lambda: sp.simplify(_lambertw_exp(v)), seconds)
        if got:
            cands.append(got.value)
    return min(cands, key=sp.count_ops)


def _point_value(comp: Component, x: sp.Symbol, limits: Limits) -> tuple[sp.Expr, str, str]:
    p = comp.left
    v = comp.expr.subs(x, p)
    if v.is_number and not v.has(sp.nan, sp.zoo):
        return v, "proved", ""
    return limits.value(comp.expr, p, "+")


def study(comps: list[Component], x: sp.Symbol, limits: Limits, seconds: float,
          derivs: list[sp.Expr] | None = None) -> Study:
    """Segments of the function given by ``comps``; ``derivs`` are the components' derivatives
    (computed when not given)."""
    ev = Evidence()
    segs: list[Segment] = []
    infinite = False
    patterns = []
    for i, comp in enumerate(comps):
        g = comp.expr
        if comp.is_point:
            v, st, m = _point_value(comp, x, limits)
            ev.note(st, m)
            segs.append(Segment(comp.left, comp.left, True, True, "p", v, v, g))
            continue
        a, b = comp.set.start, comp.set.end
        h = derivs[i] if derivs is not None else sp.diff(g, x)
        pat = sign_pattern(h, x, a, b, seconds)
        patterns.append((comp, pat))
        ev.note(pat.status, pat.method)
        infinite |= pat.infinite
        cuts = [a, *pat.points, b]
        pieces: list[Segment] = []
        for k, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False)):
            lo_c = (not comp.set.left_open) if k == 0 else True
            hi_c = (not comp.set.right_open) if k == len(cuts) - 2 else True
            trend = pat.signs[k] if k < len(pat.signs) else "?"
            if pieces and pieces[-1].trend == trend and trend != "?":
                pieces[-1].hi, pieces[-1].hi_closed = hi, hi_c  # a touching zero
                continue
            pieces.append(Segment(lo, hi, bool(lo_c and lo.is_finite),
                                  bool(hi_c and hi.is_finite), trend, expr=g))
        for s in pieces:
            if s.trend == "?":
                ev.note("unknown", "sign of the derivative undetermined")
            s.v_lo, st1, m1 = limits.value(g, s.lo, "+")
            s.v_hi, st2, m2 = limits.value(g, s.hi, "-")
            ev.note(st1, m1)
            ev.note(st2, m2)
        segs.extend(pieces)
    return Study(segs, ev, infinite, patterns)


# ------------------------------------------------------------------------------ comparisons
def compare(a: sp.Expr, b: sp.Expr) -> tuple[int | None, str]:
    """Sign of a - b (-1, 0, 1) and 'proved'/'numeric'; None when undecidable."""
    if a.has(sp.nan) or b.has(sp.nan) or a.has(sp.AccumBounds) or b.has(sp.AccumBounds):
        return None, "unknown"
    if a == b:
        return 0, "proved"
    if a in (sp.oo, -sp.oo) or b in (sp.oo, -sp.oo):
        if a == b:
            return 0, "proved"
        if a == sp.oo or b == -sp.oo:
            return 1, "proved"
        return -1, "proved"
    d = a - b
    numeric = a.has(sp.Float) or b.has(sp.Float)
    status = "numeric" if numeric else "proved"
    if d.is_zero:
        return 0, status
    got = attempt(lambda: sp.N(d, DPS), 10.0)
    if got and got.value.is_real:
        v = got.value
        tol = 1e-15 if numeric else 1e-25
        if abs(v) > tol:
            return (1 if v > 0 else -1), status
        if numeric:
            return 0, "numeric"
        s = attempt(lambda: sp.simplify(d), 5.0)
        if s and s.value == 0:
            return 0, "proved"
        return 0, "numeric"
    return None, "unknown"


def join_ok(prev: Segment, nxt: Segment, up: bool) -> tuple[bool | None, str]:
    """Whether moving from ``prev`` to ``nxt`` keeps the order (non-decreasing if ``up``)."""
    c, st = compare(nxt.v_lo, prev.v_hi)
    if c is None:
        return None, st
    return (c >= 0) if up else (c <= 0), st


# ------------------------------------------------------------------------------ derived facts
def monotonicity(st: Study, x: sp.Symbol, derivs: dict[sp.Expr, sp.Expr]) -> tuple[str, Evidence]:
    ev = Evidence()
    ev.merge(st.evidence)
    trends = {s.trend for s in st.segments if not s.is_point}
    if "?" in trends or not trends:
        ev.note("unknown", "sign of the derivative undetermined")
        return "none", ev
    for up, strict, loose in ((True, "increasing", "non-decreasing"),
                              (False, "decreasing", "non-increasing")):
        allowed = {"+", "0"} if up else {"-", "0"}
        if not trends <= allowed:
            continue
        ok = True
        for prev, nxt in zip(st.segments, st.segments[1:], strict=False):
            good, s = join_ok(prev, nxt, up)
            ev.note(s, "")
            if good is not True:
                ok = False
                break
        if ok:
            if trends == {"0"}:
                ev.note("proved", "constant")
                return "non-decreasing", ev
            return (strict if "0" not in trends else loose), ev
    # not monotonic: exhibit a counterexample
    ev2 = Evidence()
    proof = _counterexample(st, x, derivs)
    if proof:
        ev2.note("proved", proof)
    else:
        ev2.merge(st.evidence)
        ev2.note("proved" if not st.evidence.numeric else "numeric",
                 "neither non-decreasing nor non-increasing (pieces and jumps)")
    return "none", ev2


def _counterexample(st: Study, x: sp.Symbol, derivs: dict) -> str | None:
    found: dict[str, str] = {}
    for s in st.segments:
        if s.is_point or s.trend not in "+-" or s.trend in found:
            continue
        q = inner_point(s.lo, s.hi)
        h = derivs.get(s.expr)
        if h is not None and exact_sign(h, x, q) == s.trend:
            found[s.trend] = f"f'({q}) {'>' if s.trend == '+' else '<'} 0"
    if len(found) == 2:
        return "not monotonic: " + " and ".join(found.values()) + " (exact values)"
    # a jump against the direction of the pieces
    ups = {s.trend for s in st.segments if not s.is_point} - {"0"}
    if len(ups) == 1:
        up = ups == {"+"}
        for prev, nxt in zip(st.segments, st.segments[1:], strict=False):
            good, status = join_ok(prev, nxt, up)
            if good is False and status == "proved":
                return f"not monotonic: the value jumps the other way at x = {nxt.lo}"
    return None


def runs(st: Study, allowed: set[str], up: bool) -> list[sp.Set]:
    """Maximal unions of consecutive segments with trends in ``allowed`` joined in order."""
    out: list[sp.Set] = []
    current: list[Segment] = []

    def flush() -> None:
        nonlocal current
        real = [s for s in current if not s.is_point]
        moves = real and (any(s.trend != "0" for s in real)
                          or compare(current[0].v_lo, current[-1].v_hi)[0] not in (0, None))
        if moves or (real and allowed == {"0"}):
            out.append(sp.Union(*[s.interval() for s in current]))
        current = []

    for s in st.segments:
        if s.is_point:
            if current and join_ok(current[-1], s, up)[0]:
                current.append(s)
            else:
                flush()
            continue
        if s.trend in allowed and (not current or join_ok(current[-1], s, up)[0]):
            current.append(s)
        else:
            flush()
            if s.trend in allowed:
                current.append(s)
    flush()
    return out


def image(st: Study, evidence: Evidence) -> sp.Set:
    """The image of the function (union of the segments' images)."""
    parts: list[sp.Set] = []
    for s in st.segments:
        if s.is_point or s.trend == "0":
            v = s.v_lo
            if isinstance(v, sp.AccumBounds):
                parts.append(sp.Interval(v.min, v.max))
            else:
                parts.append(sp.FiniteSet(v))
            continue
        lo_v, hi_v = s.v_lo, s.v_hi
        if isinstance(lo_v, sp.AccumBounds) or isinstance(hi_v, sp.AccumBounds):
            vals = []
            for v in (lo_v, hi_v):
                vals.extend([v.min, v.max] if isinstance(v, sp.AccumBounds) else [v])
            evidence.note("numeric", "oscillating tail bounded by its accumulation bounds")
            parts.append(sp.Interval(sp.Min(*vals), sp.Max(*vals)))
            continue
        lo_open = not s.lo_closed
        hi_open = not s.hi_closed
        if s.trend == "+":
            parts.append(sp.Interval(lo_v, hi_v, lo_open, hi_open))
        elif s.trend == "-":
            parts.append(sp.Interval(hi_v, lo_v, hi_open, lo_open))
    return sp.Union(*parts) if parts else sp.S.EmptySet
