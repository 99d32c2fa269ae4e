"""Periodic sign patterns: the facts of an oscillating activation as families over k in Z.

When f' (or f'') is periodic, its zeros never end and a scan can only list those in a window.
Here the period T is found by ``sympy.periodicity`` and proved by ``simplify(h(x + T) - h(x))``;
the sign pattern of h on one period [c, c + T] (c a point where h is not zero) is then taken
symbolically, and every interval and point is reported as a family ``base + k T`` (a
:class:`~symact.analysis.facts.Periodic`). The facts replaced are the monotonicity intervals of f
and f', critical points and extrema, convexity intervals and inflection points.
"""

from __future__ import annotations

import sympy as sp

from ..budget import attempt
from .facts import Fact, Periodic
from .signs import exact_sign, sign_pattern


def proved_period(h: sp.Expr, x: sp.Symbol, seconds: float) -> sp.Expr | None:
    """A period T > 0 of h, verified symbolically, or None."""
    if x not in h.free_symbols:
        return None
    got = attempt(lambda: sp.periodicity(h, x), seconds)
    if not got or got.value is None:
        return None
    t = got.value
    if not (t.is_number and t.is_positive):
        return None
    check = attempt(lambda: sp.simplify(sp.expand_trig(h.subs(x, x + t) - h)), seconds)
    return t if check and check.value == 0 else None


class Pattern:
    """The sign pattern of a T-periodic h over one period, as families.

    ``roots``: representatives in [0, T) of the zeros; ``runs``: (sign, a, b) open base
    intervals, merged across zeros where the sign does not change (touching zeros), so that a
    sign holding everywhere but at isolated zeros gives one run (-oo, oo)."""

    def __init__(self, roots: list, runs: list, period: sp.Expr, changes: list) -> None:
        self.roots, self.runs, self.period = roots, runs, period
        self.changes = changes  # (root, sign before, sign after) where the sign changes


def pattern(h: sp.Expr, x: sp.Symbol, period: sp.Expr, seconds: float) -> Pattern | None:
    """The proved sign pattern of h over one period, or None."""
    start = next((c for c in (sp.Rational(1, 10), sp.Rational(1, 7), sp.Rational(1, 3))
                  if exact_sign(h, x, c) in ("+", "-")), None)
    if start is None:
        return None
    pat = sign_pattern(h, x, start, start + period, seconds)
    if pat.status != "proved" or "0" in pat.signs:
        return None
    pts, signs = list(pat.points), list(pat.signs)
    # wrap around: the piece after the last zero continues into the first piece
    cuts = [start, *pts, start + period]
    pieces = [(s, cuts[i], cuts[i + 1]) for i, s in enumerate(signs)]
    if len(pieces) > 1 and pieces[0][0] == pieces[-1][0]:
        last = pieces.pop()
        first = pieces[0]
        pieces[0] = (first[0], last[1] - period, first[2])
    # merge across touching zeros (no sign change)
    runs: list = []
    for s, a, b in pieces:
        if runs and runs[-1][0] == s:
            runs[-1] = (s, runs[-1][1], b)
        else:
            runs.append((s, a, b))
    if len(runs) > 1 and runs[0][0] == runs[-1][0] and \
            sp.simplify(runs[-1][2] - period - runs[0][1]) == 0:
        s, a, b = runs.pop()
        runs[0] = (s, a - period, runs[0][2])
    if len(runs) == 1:
        runs = [(runs[0][0], -sp.oo, sp.oo)]
    changes = []
    for i, p in enumerate(pts):
        before, after = signs[i], signs[i + 1]
        if before != after:
            changes.append((p, before, after))
    roots = sorted({_mod(p, period) for p in pts}, key=float)
    changes = [(_mod(p, period), a, b) for p, a, b in changes]
    return Pattern(roots, runs, period, changes)


def compare_exact(a: sp.Expr, b: sp.Expr) -> int | None:
    """Sign of a - b when decided exactly (0 only when the difference simplifies to 0)."""
    d = sp.simplify(a - b)
    if d == 0:
        return 0
    v = sp.N(d, 30)
    if v.is_real and abs(v) > 1e-20:
        return 1 if v > 0 else -1
    return None


def _mod(p: sp.Expr, period: sp.Expr) -> sp.Expr:
    """The representative of p + k T in [0, T)."""
    k = sp.floor(p / period)
    return sp.simplify(p - k * period)


def points(reps: list, period: sp.Expr) -> list:
    """Families of points; equally spaced representatives become one family."""
    if not reps:
        return []
    m = len(reps)
    step = period / m
    if m > 1 and all(sp.simplify(reps[i + 1] - reps[i] - step) == 0 for i in range(m - 1)):
        return [Periodic(reps[0], step)]
    return [Periodic(r, period) for r in reps]


def intervals(pat: Pattern, sign: str) -> list:
    out = []
    for s, a, b in pat.runs:
        if s != sign:
            continue
        if a == -sp.oo:
            out.append(sp.Interval(-sp.oo, sp.oo))
        else:
            out.append(Periodic(sp.Interval.open(a, b), pat.period))
    return out


def periodic_facts(f: sp.Expr, d1: sp.Expr, d2: sp.Expr, x: sp.Symbol,
                   seconds: float) -> dict[str, Fact]:
    """Replacement facts for a single-piece f on R whose f' and/or f'' is periodic."""
    out: dict[str, Fact] = {}
    how = "periodic: sign pattern over one period (solveset, exact signs), period checked by " \
        "simplify"
    t1 = proved_period(d1, x, seconds)
    p1 = pattern(d1, x, t1, seconds) if t1 is not None else None
    if p1 is not None:
        inc, dec = intervals(p1, "+"), intervals(p1, "-")
        out["monotonic_intervals"] = Fact({"constant": [], "decreasing": dec,
                                           "increasing": inc}, "proved", how)
        out["critical_points"] = Fact(points(p1.roots, t1), "proved", how)
        if len(p1.runs) == 1:  # one sign but at isolated zeros: strictly monotonic
            word = "increasing" if p1.runs[0][0] == "+" else "decreasing"
            out["monotonic"] = Fact(word, "proved", how + "; f' vanishes only at isolated "
                                    "points")
        extrema = []
        for p, before, _after in p1.changes:
            v = attempt(lambda p=p: sp.simplify(f.subs(x, p)), seconds)
            if not v:
                extrema = None
                break
            extrema.append({"x": Periodic(p, t1), "f": v.value,
                            "kind": "max" if before == "+" else "min"})
        if extrema is not None:
            out["extrema"] = Fact(extrema, "proved", how)
    t2 = proved_period(d2, x, seconds)
    p2 = pattern(d2, x, t2, seconds) if t2 is not None else None
    if p2 is not None and t1 is not None:
        # sup |f'| of a periodic f': the largest |f'| at the zeros of f'' over one period
        vals = []
        for p in p2.roots:
            v = attempt(lambda p=p: sp.simplify(sp.Abs(d1.subs(x, p))), seconds)
            if not v or not v.value.is_number:
                vals = None
                break
            vals.append((v.value, p))
        if vals:
            top = max(vals, key=lambda vp: float(vp[0]))[0]
            if all(compare_exact(top, v) in (0, 1) for v, _ in vals):
                at = [p for v, p in vals if compare_exact(top, v) == 0]
                out["max_gradient"] = Fact({"value": top, "at": points(at, t2)}, "proved", how)
    tf = proved_period(f - x, x, seconds)
    pf = pattern(f - x, x, tf, seconds) if tf is not None else None
    if pf is not None:
        out["fixed_points"] = Fact(points(pf.roots, tf), "proved", how + " (of f(x) - x)")
    if p2 is not None:
        convex, concave = intervals(p2, "+"), intervals(p2, "-")
        out["derivative_monotonic_intervals"] = Fact(
            {"constant": [], "decreasing": concave, "increasing": convex}, "proved", how)
        out["convexity"] = Fact({"convex": convex, "concave": concave}, "proved", how)
        infl = [p for p, _, _ in p2.changes]
        out["inflection_points"] = Fact(points(sorted(set(infl), key=float), t2), "proved",
                                        how)
    return out
