"""Analysis of a scalar activation: every field of :class:`Properties`."""

from __future__ import annotations

import random
from collections.abc import Callable

import sympy as sp

from ..budget import attempt
from ..errors import AnalysisError
from ..model import Activation
from .calculus import NoForm, simplify_quick, through_output
from .facts import Fact, Properties
from .moments import gaussian_expectation, torch_gain
from .normalize import Component, components, real_domain, to_piecewise
from .numeric import WINDOW
from .params import parameter_conditions
from .periodic import periodic_facts
from .signs import exact_sign, sign_pattern
from .study import Evidence, Limits, Study, compare, image, monotonicity, runs, study

_FACT_BUDGET = [60.0]  # one fact's whole derivation (set from the per-step budget)
K_MAX = 6  # derivatives compared at a breakpoint before giving up on the continuity class


def _fact(value, ev: Evidence, extra: str = "") -> Fact:
    if ev.status == "unknown":
        return Fact.unknown(ev.method)
    method = ev.method if not extra else (extra + ("; " + ev.method if ev.method else ""))
    return Fact(value, ev.status, method or "symbolic")


def _guard(fn: Callable[[], Fact], name: str) -> Fact:
    """Run one fact's derivation; an unexpected failure makes that fact unknown, not the run."""
    got = attempt(fn, _FACT_BUDGET[0])
    if got:
        return got.value
    return Fact.unknown(f"{name}: {got.reason}")


def _settled(v: sp.Expr) -> bool:
    """A finite limit that is a number (not the AccumBounds of an oscillation)."""
    return bool(v.is_finite) and not v.has(sp.AccumBounds, sp.nan, sp.zoo)


class ScalarAnalysis:
    def __init__(self, act: Activation, budget: float) -> None:
        self.act = act
        self.x = act.x
        self.budget = budget
        # exploratory steps with a numeric fallback (limits, solveset, simplify) get at most 4 s
        # every step gets the whole budget: a shorter cap made results depend on the machine's
        # load (a proof that needs 3 s on a quiet machine and 5 s on a busy one). Steps that are
        # known to be slow are avoided by deterministic size guards instead (simplify_quick).
        self.quick = budget
        x = self.x
        expr = to_piecewise(act.expr)
        if expr.free_symbols - {x}:
            names = ", ".join(sorted(str(s) for s in expr.free_symbols - {x}))
            raise AnalysisError(f"{act.name}: unbound parameters {names}; bind them first")
        self.expr = expr
        raw = components(expr, x, sp.S.Reals, budget)
        comps: list[Component] = []
        domain_parts = []
        for c in raw:
            dom = real_domain(c.expr, x, budget)
            where = sp.Intersection(c.set, dom) if dom != sp.S.Reals else c.set
            for part in _parts(where):
                comps.append(Component(part, c.expr))
                domain_parts.append(part)
        if not comps:
            raise AnalysisError(f"{act.name}: the definition is not real-valued anywhere on R")
        self.comps = comps
        self.domain = sp.Union(*domain_parts)
        self.limits = Limits(x, self.quick)  # a limit that times out is estimated numerically
        # derivatives per component, simplified
        self.d1 = [simplify_quick(sp.diff(c.expr, x), self.quick) for c in comps]
        self.d1 = self._removable(comps, self.d1)
        self.dcomps = [Component(c.set, d) for c, d in zip(comps, self.d1, strict=True)]
        self.d2 = [simplify_quick(sp.diff(d, x), self.quick) for d in self.d1]
        self.d2 = self._removable(self.dcomps, self.d2)
        self.deriv_of = {c.expr: d for c, d in zip(comps, self.d1, strict=True)}
        self.deriv_of.update({c.expr: d for c, d in zip(self.dcomps, self.d2, strict=True)})
        self._f_study: Study | None = None
        self._symmetry_fact: Fact | None = None
        self._d_study: Study | None = None

    # ------------------------------------------------------------------ helpers
    def _removable(self, comps: list[Component], derivs: list[sp.Expr]) -> list[sp.Expr]:
        """At an isolated point that only fills a removable singularity (sinc at 0: the value
        is the limit from both sides), the derivative is the common limit of the neighbours'
        derivatives, not the derivative of the constant that fills the point (sinc''(0) is
        -1/3, not 0). Other points keep their branch's derivative (the kink convention)."""
        out = list(derivs)
        x = self.x
        for i in range(1, len(comps) - 1):
            c, left, right = comps[i], comps[i - 1], comps[i + 1]
            if not c.is_point or left.is_point or right.is_point:
                continue
            p = c.left
            if left.right != p or right.left != p:
                continue
            vals = [self.limits.value(left.expr, p, "-"), self.limits.value(right.expr, p, "+")]
            if any(st != "proved" or compare(v, c.expr.subs(x, p))[0] != 0
                   for v, st, _ in vals):
                continue
            dl, sl, _ = self.limits.value(derivs[i - 1], p, "-")
            dr, sr, _ = self.limits.value(derivs[i + 1], p, "+")
            if sl == sr == "proved" and _settled(dl) and compare(dl, dr)[0] == 0:
                out[i] = dl
        return out

    @property
    def f_study(self) -> Study:
        if self._f_study is None:
            self._f_study = study(self.comps, self.x, self.limits, self.quick, self.d1)
        return self._f_study

    @property
    def d_study(self) -> Study:
        if self._d_study is None:
            self._d_study = study(self.dcomps, self.x, self.limits, self.quick, self.d2)
        return self._d_study

    def at(self, exprs: list[sp.Expr], p: sp.Expr) -> tuple[sp.Expr | None, str]:
        """Value at p of the component expression (from ``exprs``) whose set contains p."""
        for c, e in zip(self.comps, exprs, strict=True):
            if p in c.set:
                v, st, _ = self.limits.value(e, p, "+") if c.is_point is False else (
                    e.subs(self.x, p), "proved", "")
                if c.is_point or (isinstance(v, sp.Expr) and not v.has(sp.nan)):
                    v2 = e.subs(self.x, p)
                    if v2.is_number and not v2.has(sp.nan, sp.zoo):
                        return v2, "proved"
                    return v, st
        return None, "proved"

    def breakpoints(self) -> list[tuple[sp.Expr, Component | None, Component | None, int, int]]:
        """(p, left comp, right comp, left index, right index) for every internal junction."""
        out = []
        for i, (a, b) in enumerate(zip(self.comps, self.comps[1:], strict=False)):
            if a.right == b.left:
                out.append((a.right, a, b, i, i + 1))
        return out

    # ------------------------------------------------------------------ facts
    def derivative(self) -> Fact:
        return Fact(_assemble(self.comps, self.d1, self.x), "proved", "per-piece derivative")

    def second_derivative(self) -> Fact:
        return Fact(_assemble(self.comps, self.d2, self.x), "proved", "per-piece derivative")

    def through_output(self) -> Fact:
        try:
            got = through_output(self.comps, self.d1, self.x, self.quick)
        except NoForm:
            return Fact(None, "numeric", "no form a + b f + c f^2 + d exp(-f) + e exp(f) + g/f "
                        "fits f' (numeric residual on sample points)")
        if got is None:
            return Fact.unknown("a form in f among a + b f + c f^2 + d exp(-f) + e exp(f) + g/f "
                                "fitted numerically but was not verified symbolically")
        return Fact(got, "proved", "fitted in the output f and verified by simplify")

    def limits_fact(self) -> Fact:
        ev = Evidence()
        out: dict[str, sp.Expr] = {}
        first, last = self.comps[0], self.comps[-1]
        if first.left == -sp.oo:
            v, st, m = self.limits.value(first.expr, -sp.oo, "+")
            out["-oo"] = v
            ev.note(st, m)
        else:
            out["-oo"] = None
        if last.right == sp.oo:
            v, st, m = self.limits.value(last.expr, sp.oo, "-")
            out["oo"] = v
            ev.note(st, m)
        else:
            out["oo"] = None
        for comp, side, end in ((first, "+", first.left), (last, "-", last.right)):
            if end.is_finite and not comp.is_point:  # a finite end of the domain
                v, st, m = self.limits.value(comp.expr, end, side)
                out[f"{end}{side}"] = v
                ev.note(st, m)
        for p, left, right, _, _ in self.breakpoints():
            for side, comp in (("-", left), ("+", right)):
                src = comp
                if comp.is_point:  # an isolated point: the one-sided limit comes from beyond it
                    continue
                v, st, m = self.limits.value(src.expr, p, side)
                out[f"{p}{side}"] = v
                ev.note(st, m)
        # one-sided limits around isolated points
        for i, c in enumerate(self.comps):
            if c.is_point:
                p = c.left
                if i > 0 and self.comps[i - 1].right == p:
                    v, st, m = self.limits.value(self.comps[i - 1].expr, p, "-")
                    out[f"{p}-"] = v
                    ev.note(st, m)
                if i + 1 < len(self.comps) and self.comps[i + 1].left == p:
                    v, st, m = self.limits.value(self.comps[i + 1].expr, p, "+")
                    out[f"{p}+"] = v
                    ev.note(st, m)
        if any(v is not None and v.has(sp.nan) for v in out.values()):
            return Fact.unknown("a limit could not be found: " + ev.method)
        return _fact(out, ev)

    def asymptotes(self) -> Fact:
        ev = Evidence()
        out: dict[str, sp.Expr | None] = {}
        x = self.x
        for key, comp, p in (("-oo", self.comps[0], -sp.oo), ("oo", self.comps[-1], sp.oo)):
            if (p == -sp.oo and comp.left != -sp.oo) or (p == sp.oo and comp.right != sp.oo):
                out[key] = None
                continue
            g = comp.expr
            lim, st, m = self.limits.value(g, p, "+")
            ev.note(st, m)
            if _settled(lim):
                out[key] = lim
                continue
            if lim not in (sp.oo, -sp.oo):
                out[key] = None  # oscillates (AccumBounds) or undefined
                continue
            slope, st, m = self.limits.value(sp.cancel(g / x), p, "+")
            ev.note(st, m)
            if not (_settled(slope) and slope != 0):
                out[key] = None
                continue
            icpt, st, m = self.limits.value(g - slope * x, p, "+")
            ev.note(st, m)
            # x + sin(x)^2 has slope 1 but no intercept (it oscillates): no asymptote
            out[key] = slope * x + icpt if _settled(icpt) else None
        return _fact(out, ev)

    def values_at_zero(self) -> Fact:
        if sp.S.Zero not in self.domain:
            return Fact(None, "proved", "0 is outside the domain")
        ev = Evidence()
        out = {}
        for key, exprs in (("f", [c.expr for c in self.comps]), ("f'", self.d1), ("f''", self.d2)):
            v, st = self.at(exprs, sp.S.Zero)
            ev.note(st, "")
            out[key] = v
        return _fact(out, ev, "branch containing 0 (kink convention)")

    def range_fact(self) -> Fact:
        st = self.f_study
        ev = Evidence()
        ev.merge(st.evidence)
        img = image(st, ev)
        if st.infinite:
            # oscillating: SymPy's function_range may still decide it exactly
            if len(self.comps) == 1 and self.comps[0].set == sp.S.Reals:
                got = attempt(lambda: sp.calculus.util.function_range(
                    self.comps[0].expr, self.x, sp.S.Reals), self.budget)
                if got and isinstance(got.value, sp.Interval):
                    return Fact(got.value, "proved", "SymPy function_range (periodic)")
            ev.note("numeric", f"extrema searched within |x| <= {WINDOW:g}")
        return _fact(img, ev)

    def parity(self) -> Fact:
        x = self.x
        ev = Evidence()
        results = {}
        mirrored = self.domain.intersect(sp.Interval(-sp.oo, sp.oo))
        if mirrored != sp.S.Reals:
            flipped = attempt(lambda: sp.imageset(sp.Lambda(x, -x), self.domain), self.quick)
            if flipped and flipped.value != self.domain:
                return Fact("neither", "proved", f"the domain {self.domain} is not symmetric")
        for kind, sgn in (("even", -1), ("odd", 1)):
            results[kind] = self._identity(lambda g, sgn=sgn: g.subs(x, -x) + sgn * g, ev)
        for kind in ("even", "odd"):
            if results[kind] is True:
                return Fact(kind, "proved", f"f(-x) {'=' if kind == 'even' else '= -'}f(x) "
                            "piece by piece")
        # neither: exhibit a point
        for q in (sp.S.One, sp.Rational(1, 2), sp.Integer(2), sp.Rational(3, 2), sp.Integer(3)):
            if q not in self.domain or -q not in self.domain:
                continue
            a = sp.Add(self.at([c.expr for c in self.comps], q)[0])
            b = sp.Add(self.at([c.expr for c in self.comps], -q)[0])
            ce, se = compare(a, b)[0], compare(a, -b)[0]
            if ce not in (None, 0) and se not in (None, 0):
                return Fact("neither", "proved", f"f({q}) != f(-{q}) and != -f(-{q})")
        if results["even"] is None or results["odd"] is None:
            return Fact.unknown("parity undecided")
        return Fact("neither", "numeric", "numeric comparison")

    def _identity(self, make: Callable[[sp.Expr], sp.Expr], ev: Evidence) -> bool | None:
        """Whether ``make(F)`` vanishes on the domain (None: undecided)."""
        x = self.x
        dom = self.domain
        expr = make(self.expr)
        expr = sp.piecewise_fold(expr) if expr.has(sp.Piecewise) else expr
        got = attempt(lambda: components(expr, x, dom, self.quick), self.budget)
        if not got:
            return None
        decided = True
        for c in got.value:
            e = c.expr
            if c.is_point:
                v = e.subs(x, c.left)
                if compare(v, sp.S.Zero)[0] != 0:
                    return False
                continue
            if e.is_zero:
                continue
            z = attempt(lambda e=e: sp.simplify(e), self.quick)
            if z and z.value == 0:
                continue
            # try a point: a non-zero exact value decides 'no'
            from .signs import inner_point
            # an exact non-zero value at a point decides 'no' (0 itself can be a fixed point of
            # the identity, as the centre of a symmetry is: try a few points of the piece)
            tries = [inner_point(c.set.start, c.set.end)]
            tries += [q for q in (sp.S.One, sp.Rational(1, 2), sp.Integer(2), -sp.S.One,
                                  sp.Rational(-1, 2), sp.Integer(-2))
                      if q in c.set and q not in tries]
            if any(exact_sign(e, x, q) in ("+", "-") for q in tries):
                return False
            z2 = attempt(lambda e=e: sp.simplify(sp.expand(e.rewrite(sp.exp))), self.quick)
            if z2 and z2.value == 0:
                continue
            decided = False
        return True if decided else None

    def symmetry(self, parity: Fact, per_point: dict | None = None) -> Fact:
        """Point symmetry f(a + t) + f(a - t) = 2 b and axis symmetry f(a + t) = f(a - t).

        Centre 0 first (from the parity, or f(-x) + f(x) = 2 f(0)). Other centres are found or
        excluded from necessary conditions: the limits and slant asymptotes at -oo and oo must
        match; a reflection maps the points where f is not smooth onto themselves, so when there
        are such points the only candidate is the middle of the outermost two; on a smooth f a
        point centre is a zero of f'' and an axis a zero of f', so the candidates are the ends of
        the monotonicity (convexity) segments. Each candidate is checked piece by piece."""
        x = self.x
        out: dict = {"point": None, "axis": None}
        if not parity.known:
            return Fact.unknown("parity unknown")
        if parity.value == "odd":
            out["point"] = (sp.S.Zero, sp.S.Zero)
        elif parity.value == "even":
            out["axis"] = sp.S.Zero
        else:
            f0, _ = self.at([c.expr for c in self.comps], sp.S.Zero)
            if f0 is not None and not f0.has(sp.Float):
                ok = self._identity(lambda g: g.subs(x, -x) + g - 2 * f0, Evidence())
                if ok is True:
                    out["point"] = (sp.S.Zero, f0)
        self._symmetry_fact = Fact(out, parity.status, "")
        method = "f(-x) + f(x) = 2 f(0) / f(-x) = f(x) checked piece by piece about x = 0"
        point_out, axis_out = self._ends_exclude()
        if (out["axis"] is not None or axis_out) and (out["point"] is not None or point_out):
            return Fact(out, parity.status, method + "; other centres excluded by the limits")
        cands, complete = self._symmetry_candidates(per_point) \
            if self.domain == sp.S.Reals else ([], False)
        ev = Evidence()
        for a in cands:
            if a == 0:  # checked above
                continue
            if out["point"] is None and not point_out:
                b, _ = self.at([c.expr for c in self.comps], a)
                ok = None if b is None or b.has(sp.Float) else self._identity(
                    lambda g, a=a, b=b: g.subs(x, a + x) + g.subs(x, a - x) - 2 * b, ev)
                if ok is True:
                    out["point"] = (a, b)
                complete = complete and ok is not None
            if out["axis"] is None and not axis_out:
                ok = self._identity(lambda g, a=a: g.subs(x, a + x) - g.subs(x, a - x), ev)
                if ok is True:
                    out["axis"] = a
                complete = complete and ok is not None
        self._symmetry_fact = Fact(out, parity.status, "")
        if cands and complete:
            others = [a for a in cands if a != 0]
            if not others:
                return Fact(out, parity.status, method + "; x = 0 is the only candidate centre")
            where = ", ".join(str(a) for a in others)
            return Fact(out, parity.status, method + f"; the only other candidate centres "
                        f"({where}) checked the same way")
        return Fact(out, "numeric", method + "; centres other than x = 0 were not excluded")

    def _ends_exclude(self) -> tuple[bool, bool]:
        """(no point centre, no axis) anywhere, as the behaviour at -oo and oo shows."""
        x = self.x
        lo = self.limits.value(self.comps[0].expr, -sp.oo, "+")[0] \
            if self.comps[0].left == -sp.oo else None
        hi = self.limits.value(self.comps[-1].expr, sp.oo, "-")[0] \
            if self.comps[-1].right == sp.oo else None
        if lo is None or hi is None or lo.has(sp.nan, sp.AccumBounds) \
                or hi.has(sp.nan, sp.AccumBounds):
            return False, False
        inf = {sp.oo, -sp.oo}
        axis_out = compare(lo, hi)[0] not in (0, None)
        point_out = (lo in inf) != (hi in inf) or (lo in inf and lo == hi)
        if lo in inf and hi in inf:
            # slant asymptotes m- x + c-, m+ x + c+: a point centre needs m- = m+, an axis
            # needs m- = -m+
            ml, st1, _ = self.limits.value(sp.cancel(self.comps[0].expr / x), -sp.oo, "+")
            mr, st2, _ = self.limits.value(sp.cancel(self.comps[-1].expr / x), sp.oo, "-")
            if st1 == st2 == "proved" and _settled(ml) and _settled(mr):
                point_out = point_out or compare(ml, mr)[0] not in (0, None)
                axis_out = axis_out or compare(ml, -mr)[0] not in (0, None)
        return point_out, axis_out

    def _symmetry_candidates(self, per_point: dict | None) -> tuple[list, bool]:
        """Candidate centres (0 among them when it is one) and whether the list is complete."""
        if per_point is None:
            return [], False
        rough = sorted((p for p, k in per_point.items() if k != sp.oo), key=float)
        if rough:
            return [(rough[0] + rough[-1]) / 2], True
        cands: list = []
        complete = True
        for st in (self.f_study, self.d_study):
            complete = complete and st.evidence.status == "proved" and not st.infinite
            for seg in st.segments:
                for end in (seg.lo, seg.hi):
                    if end.is_finite and end not in cands:
                        cands.append(end)
        if len(cands) > 12:
            return [], False
        return sorted(cands, key=float), complete

    def odd_even_identity(self, parity: Fact) -> Fact:
        if parity.value in ("odd", "even"):
            return Fact(None, "proved", f"f is {parity.value}")
        if len(self.comps) != 1:
            return Fact(None, "proved", "piecewise definition: no simpler identity sought")
        g = self.comps[0].expr
        x = self.x
        diff = g - g.subs(x, -x)
        got = attempt(lambda: sp.simplify(diff), self.budget)
        if not got:
            return Fact.unknown(f"simplify: {got.reason}")
        r = got.value
        if r != 0 and sp.count_ops(r) < sp.count_ops(g):
            return Fact(r, "proved", "f(x) - f(-x) simplified")
        return Fact(None, "proved", "f(x) - f(-x) is not simpler than f")

    def monotonic(self, which: str) -> tuple[Fact, Fact]:
        st = self.f_study if which == "f" else self.d_study
        val, ev = monotonicity(st, self.x, self.deriv_of)
        mono = _fact(val, ev)
        inc = runs(st, {"+", "0"} if val == "non-decreasing" else {"+"}, True)
        dec = runs(st, {"-", "0"} if val == "non-increasing" else {"-"}, False)
        const = runs(st, {"0"}, True)
        ev2 = Evidence()
        ev2.merge(st.evidence)
        if st.infinite:
            ev2.note("numeric", f"intervals listed within |x| <= {WINDOW:g}")
        # where flat parts are merged into the rising (falling) runs, say so in the key
        up = "non-decreasing" if val == "non-decreasing" else "increasing"
        down = "non-increasing" if val == "non-increasing" else "decreasing"
        intervals = _fact({up: inc, down: dec, "constant": const}, ev2)
        return mono, intervals

    def continuity(self) -> tuple[Fact, Fact, dict]:
        """Class C^k, non-differentiable points, and per-breakpoint classes."""
        ev = Evidence()
        klass: sp.Expr = sp.oo
        per_point: dict = {}
        nondiff = []
        x = self.x
        for p, trio, _ in self._junctions():
            k = self._class_at(p, trio, None, ev)
            per_point[p] = k
            if k is None:
                return (Fact.unknown(f"continuity at {p} undecided: {ev.method}"),
                        Fact.unknown("continuity undecided"), per_point)
            if k < 1:
                nondiff.append(p)
            if k != sp.oo and (klass == sp.oo or k < klass):
                klass = k
        del x
        return (_fact(klass, ev, "one-sided derivatives compared at the breakpoints"),
                _fact(nondiff, ev), per_point)

    def _junctions(self):
        """(p, left comp or None, right comp or None) around each internal breakpoint,
        with an isolated point's own value handled in :meth:`_class_at`."""
        out = []
        comps = self.comps
        for i, c in enumerate(comps):
            if c.is_point:
                continue
            r = c.right
            if r == sp.oo:
                continue
            nxt = comps[i + 1] if i + 1 < len(comps) else None
            if nxt is None or nxt.left != r:
                continue
            if nxt.is_point:
                after = comps[i + 2] if i + 2 < len(comps) and comps[i + 2].left == r else None
                out.append((r, (c, nxt, after), None))
            else:
                out.append((r, (c, None, nxt), None))
        return [(p, trio, None) for p, trio, _ in out]

    def _class_at(self, p, trio, _none, ev: Evidence):
        left, point, right = trio
        x = self.x
        gl, gr = left.expr, (right.expr if right is not None else None)
        # value at p
        if point is not None:
            vp = point.expr.subs(x, p)
        elif not left.set.right_open:
            vp = gl.subs(x, p)
        else:
            vp = gr.subs(x, p) if gr is not None else None
        lv, st, m = self.limits.value(gl, p, "-")
        ev.note(st, m)
        c, s = compare(lv, vp) if vp is not None else (0, "proved")
        ev.note(s, "")
        if c is None:
            return None
        if c != 0:
            return -1
        if gr is None:
            return sp.oo
        if sp.simplify(gl - gr) == 0 if sp.count_ops(gl - gr) < 60 else False:
            return sp.oo
        dl, dr = gl, gr
        for k in range(0, K_MAX + 1):
            a, s1, m1 = self.limits.value(dl, p, "-")
            b, s2, m2 = self.limits.value(dr, p, "+")
            ev.note(s1, m1)
            ev.note(s2, m2)
            c, s = compare(a, b)
            ev.note(s, "")
            if c is None:
                return None
            if c != 0:
                return k - 1
            dl, dr = sp.diff(dl, x), sp.diff(dr, x)
        ev.note("unknown", f"the pieces agree to order {K_MAX} at {p}")
        return None

    def identity_near_origin(self, v0: Fact, per_point: dict) -> Fact:
        if not v0.known or v0.value is None:
            return Fact(False, "proved", "0 is outside the domain") if v0.known else \
                Fact.unknown("values at 0 unknown")
        f0, d0 = v0.value["f"], v0.value["f'"]
        k0 = per_point.get(sp.S.Zero, sp.oo)
        if k0 is None:
            return Fact.unknown("continuity at 0 undecided")
        c1, s1 = compare(f0, sp.S.Zero)
        c2, s2 = compare(d0, sp.S.One)
        if c1 is None or c2 is None:
            return Fact.unknown("values at 0 undecided")
        ok = c1 == 0 and c2 == 0 and (k0 == sp.oo or k0 >= 1)
        status = "numeric" if "numeric" in (s1, s2, v0.status) else "proved"
        return Fact(ok, status, f"f(0) = {f0}, f'(0) = {d0}, C^{_k(k0)} at 0")

    def bounded(self, rng: Fact) -> Fact:
        if not rng.known:
            return Fact.unknown("range unknown")
        r = rng.value
        return Fact({"above": bool(r.sup.is_finite), "below": bool(r.inf.is_finite)},
                    rng.status, "from the range")

    def saturation(self) -> Fact:
        ev = Evidence()
        out = {}
        for key, comp, dexpr, p in (("-oo", self.comps[0], self.d1[0], -sp.oo),
                                    ("oo", self.comps[-1], self.d1[-1], sp.oo)):
            if comp.set.start != p and comp.set.end != p:
                out[key] = False
                continue
            v, st, m = self.limits.value(dexpr, p, "+")
            ev.note(st, m)
            out[key] = bool(v == 0) if not v.has(sp.nan) else None
            if v.has(sp.nan):
                ev.note("unknown", f"limit of f' at {p} unknown")
        return _fact(out, ev, "limit of f' at the ends")

    def max_gradient(self) -> Fact:
        st = self.d_study
        ev = Evidence()
        ev.merge(st.evidence)
        best = None
        where: list = []
        for s in st.segments:
            cands = [(s.v_lo, s.lo, s.lo_closed or s.is_point), (s.v_hi, s.hi, s.hi_closed)]
            if s.trend == "0":
                cands = [(s.v_lo, s.interval(), True)]
            for v, at, closed in cands:
                if isinstance(v, sp.AccumBounds):
                    v = sp.Max(abs(v.min), abs(v.max))
                    closed = True
                    at = "oo"
                if v.has(sp.nan):
                    return Fact.unknown("a value of f' is unknown")
                av = abs(v)
                loc = at if (closed or at not in (sp.oo, -sp.oo)) else str(at)
                if not closed and at in (sp.oo, -sp.oo):
                    loc = str(at)
                elif not closed:
                    loc = ("near", at)
                if best is None:
                    best, where = av, [loc]
                    continue
                c, s2 = compare(av, best)
                ev.note(s2, "")
                if c is None:
                    return Fact.unknown("could not compare values of |f'|")
                if c > 0:
                    best, where = av, [loc]
                elif c == 0 and loc not in where:
                    where.append(loc)
        if best is None:
            return Fact.unknown("no segments")
        clean = []
        for w in where:
            if isinstance(w, tuple):
                w = w[1]
            if w not in clean:
                clean.append(w)
        if st.infinite:
            ev.note("numeric", f"searched within |x| <= {WINDOW:g}")
        return _fact({"value": best, "at": clean}, ev, "sup |f'| over the segments of f'")

    def dead_zones(self) -> Fact:
        st = self.f_study
        zones = runs(st, {"0"}, True)
        return _fact(zones, st.evidence)

    def critical(self, nondiff: Fact) -> tuple[Fact, Fact]:
        st = self.f_study
        ev = Evidence()
        ev.merge(st.evidence)
        pts = []
        for _comp, pat in st.patterns:
            pts.extend(pat.points)
        if nondiff.known:
            pts.extend(nondiff.value)
        pts = sorted(set(pts), key=lambda p: float(p))
        extrema = []
        segs = [s for s in st.segments]
        for prev, nxt in zip(segs, segs[1:], strict=False):
            if prev.is_point or nxt.is_point:
                continue
            kinds = {("-", "+"): "min", ("+", "-"): "max"}
            kind = kinds.get((prev.trend, nxt.trend))
            if kind and prev.hi == nxt.lo and compare(prev.v_hi, nxt.v_lo)[0] == 0:
                extrema.append({"x": prev.hi, "f": prev.v_hi, "kind": kind})
        if st.infinite:
            ev.note("numeric", f"listed within |x| <= {WINDOW:g}")
        return _fact(pts, ev), _fact(extrema, ev)

    def convexity(self, cont: Fact, per_point: dict) -> tuple[Fact, Fact]:
        st = self.d_study
        ev = Evidence()
        ev.merge(st.evidence)
        # the runs join pieces where f' keeps rising (falling); that says nothing across a jump
        # of f (hardshrink jumps up at -lambda: not concave there), so cut the runs at the
        # discontinuities, and at every breakpoint when continuity is not known
        if cont.known:
            cuts = [p for p, k in per_point.items() if k == -1]
        else:
            cuts = [c.left for c in self.comps if c.is_point]
            cuts += [c.set.start for c in self.comps if not c.is_point and c.set.start.is_finite]
        if cuts:
            ev.note("proved", "f is discontinuous: convexity taken on each continuous piece")
        convex = _cut_runs([_interior(s) for s in runs(st, {"+", "0"}, True)], cuts)
        concave = _cut_runs([_interior(s) for s in runs(st, {"-", "0"}, False)], cuts)
        infl = []
        segs = [s for s in st.segments if not s.is_point]
        for prev, nxt in zip(segs, segs[1:], strict=False):
            if {prev.trend, nxt.trend} == {"+", "-"} and prev.hi == nxt.lo:
                if compare(prev.v_hi, nxt.v_lo)[0] == 0:
                    infl.append(prev.hi)
        if st.infinite:
            ev.note("numeric", f"listed within |x| <= {WINDOW:g}")
        return (_fact({"convex": convex, "concave": concave}, ev), _fact(infl, ev))

    def fixed_points(self) -> Fact:
        ev = Evidence()
        pts: list = []
        x = self.x
        for c in self.comps:
            if c.is_point:
                if compare(c.expr.subs(x, c.left), c.left)[0] == 0:
                    pts.append(c.left)
                continue
            pat = sign_pattern(c.expr - x, x, c.set.start, c.set.end, self.quick)
            ev.note(pat.status, pat.method)
            if pat.signs == ["0"]:
                pts.append(c.set)
                continue
            pts.extend(pat.points)
            cuts = [c.set.start, *pat.points, c.set.end]
            for i, s in enumerate(pat.signs):
                if s == "0":
                    pts.append(sp.Interval(cuts[i], cuts[i + 1]))
            for end, closed in ((c.set.start, not c.set.left_open),
                                (c.set.end, not c.set.right_open)):
                if closed and end.is_finite and compare(c.expr.subs(x, end), end)[0] == 0:
                    pts.append(end)
        merged = sp.Union(*[p if isinstance(p, sp.Set) else sp.FiniteSet(p) for p in pts])
        return _fact(_set_items(merged), ev)

    def taylor(self, per_point: dict) -> Fact:
        x = self.x
        for c in self.comps:
            if c.is_point or sp.S.Zero not in c.set:
                continue
            inner = c.set.start < 0 < c.set.end if not c.is_point else False
            if not inner and per_point.get(sp.S.Zero, sp.oo) != sp.oo:
                return Fact(None, "proved", "f is not smooth at 0")
            got = attempt(lambda c=c: sp.series(c.expr, x, 0, 6).removeO(), self.budget)
            if not got:
                return Fact.unknown(f"series: {got.reason}")
            return Fact(sp.expand(got.value), "proved", "SymPy series to order 5")
        k0 = per_point.get(sp.S.Zero)
        if k0 is not None and k0 != sp.oo:
            return Fact(None, "proved", f"f is only C^{_k(k0)} at 0: no Taylor series")
        return Fact(None, "proved", "0 is not inside a smooth piece")

    def moments(self) -> tuple[Fact, Fact]:
        parts_f = [(c.set, c.expr) for c in self.comps]
        if self.domain != sp.S.Reals:
            return (Fact(None, "proved", "f is not defined on all of R"),
                    Fact(None, "proved", "no Gaussian moments"))
        ev = Evidence()
        out = {}
        sym = self._symmetry_fact
        if sym is not None and sym.status == "proved" and sym.value.get("point") \
                and sym.value["point"][0] == 0:
            # f(t) + f(-t) = 2b and Z is symmetric: E[f(Z)] = b exactly
            out["E[f]"] = sym.value["point"][1]
            ev.note("proved", "E[f]: point symmetry about (0, b) gives b")
        for key, parts in (("E[f]", parts_f),
                           ("E[f^2]", [(w, g**2) for w, g in parts_f]),
                           ("E[f'^2]", [(c.set, d**2) for c, d in zip(self.comps, self.d1,
                                                                       strict=True)])):
            if key in out:
                continue
            v, st, m = gaussian_expectation(parts, self.x, self.quick)
            out[key] = v
            ev.note(st, f"{key}: {m}")
        mom = _fact(out, ev)
        e2 = out["E[f^2]"]
        if e2.is_zero:
            gain = Fact(None, "proved", "E[f(Z)^2] = 0")
        else:
            g = 1 / sp.sqrt(e2)
            g = simplify_quick(g, self.quick) if not e2.has(sp.Float) else sp.N(g, 20)
            gain = Fact(g, "numeric" if e2.has(sp.Float) or ev.numeric else "proved",
                        "1/sqrt(E[f(Z)^2])")
        return mom, gain


def _cut_runs(sets: list[sp.Set], cuts: list) -> list[sp.Set]:
    """Open intervals ``sets`` split at the points ``cuts`` inside them."""
    out: list[sp.Set] = []
    for s in sets:
        pieces = [s]
        for p in sorted(set(cuts), key=float):
            nxt = []
            for q in pieces:
                if isinstance(q, sp.Interval) and q.start < p < q.end:
                    nxt += [sp.Interval.open(q.start, p), sp.Interval.open(p, q.end)]
                else:
                    nxt.append(q)
            pieces = nxt
        out += pieces
    return out


def _interior(s: sp.Set) -> sp.Set:
    if isinstance(s, sp.Interval):
        return sp.Interval.open(s.start, s.end)
    if isinstance(s, sp.Union):
        return sp.Interval.open(s.inf, s.sup)
    return s


def _set_items(s: sp.Set) -> list:
    if s is sp.S.EmptySet:
        return []
    if isinstance(s, sp.FiniteSet):
        return sorted(s.args, key=lambda p: float(p))
    if isinstance(s, sp.Union):
        out = []
        for a in s.args:
            out.extend(_set_items(a))
        return out
    return [s]


def _k(k) -> str:
    return "oo" if k == sp.oo else str(k)


def _parts(s: sp.Set) -> list[sp.Set]:
    from .normalize import _split

    return _split(s)


def _assemble(comps: list[Component], exprs: list[sp.Expr], x: sp.Symbol) -> sp.Expr:
    if all(e == exprs[0] for e in exprs):
        return exprs[0]
    pairs = [(e, c.set.as_relational(x)) for c, e in zip(comps, exprs, strict=True)]
    return sp.Piecewise(*pairs[:-1], (pairs[-1][0], True))


def analyze_scalar(act: Activation, budget: float) -> Properties:
    """All properties of a scalar activation (parameters bound to their defaults)."""
    bound = act.with_defaults()
    _FACT_BUDGET[0] = 3 * budget
    an = ScalarAnalysis(bound, budget)
    g = _guard
    parity = g(an.parity, "parity")
    cont_all = attempt(an.continuity, _FACT_BUDGET[0])
    if cont_all:
        cont, nondiff, per_point = cont_all.value
    else:
        cont = nondiff = Fact.unknown(cont_all.reason)
        per_point = {}
    symmetry = g(lambda: an.symmetry(parity, per_point if cont_all else None), "symmetry")
    v0 = g(an.values_at_zero, "values at 0")
    rng = g(an.range_fact, "range")
    mono = attempt(lambda: an.monotonic("f"), _FACT_BUDGET[0])
    dmono = attempt(lambda: an.monotonic("d"), _FACT_BUDGET[0])
    crit = attempt(lambda: an.critical(nondiff), _FACT_BUDGET[0])
    convex = attempt(lambda: an.convexity(cont, per_point), _FACT_BUDGET[0])
    moments = attempt(an.moments, _FACT_BUDGET[0])
    unk = (Fact.unknown("failed"), Fact.unknown("failed"))
    mono_v = mono.value if mono else (Fact.unknown(mono.reason),) * 2
    dmono_v = dmono.value if dmono else (Fact.unknown(dmono.reason),) * 2
    crit_v = crit.value if crit else unk
    convex_v = convex.value if convex else unk
    mom_v = moments.value if moments else (Fact.unknown(moments.reason),) * 2
    tg = torch_gain(act.name, dict(bound.parameter_values))
    torch = Fact(tg, "proved", "torch.nn.init.calculate_gain reference value" if tg is not None
                 else "torch.nn.init.calculate_gain has no entry for this activation")
    domain = Fact(an.domain, "proved", "defined on R" if an.domain == sp.S.Reals
                  else "where the definition is real-valued")
    props = Properties(
        name=act.name,
        derivative=g(an.derivative, "derivative"),
        second_derivative=g(an.second_derivative, "second derivative"),
        derivative_through_output=g(an.through_output, "through output"),
        limits=g(an.limits_fact, "limits"),
        asymptotes=g(an.asymptotes, "asymptotes"),
        values_at_zero=v0,
        range=rng,
        parity=parity,
        symmetry=symmetry,
        odd_even_identity=g(lambda: an.odd_even_identity(parity), "odd/even identity"),
        monotonic=mono_v[0],
        monotonic_intervals=mono_v[1],
        derivative_monotonic=dmono_v[0],
        derivative_monotonic_intervals=dmono_v[1],
        continuity=cont,
        nondifferentiable_points=nondiff,
        identity_near_origin=g(lambda: an.identity_near_origin(v0, per_point), "identity"),
        bounded=g(lambda: an.bounded(rng), "bounded"),
        saturation=g(an.saturation, "saturation"),
        max_gradient=g(an.max_gradient, "max gradient"),
        dead_zones=g(an.dead_zones, "dead zones"),
        critical_points=crit_v[0],
        extrema=crit_v[1],
        convexity=convex_v[0],
        inflection_points=convex_v[1],
        fixed_points=g(an.fixed_points, "fixed points"),
        taylor=g(lambda: an.taylor(per_point), "taylor"),
        gaussian_moments=mom_v[0],
        init_gain=mom_v[1],
        torch_gain=torch,
        parameter_conditions=g(lambda: parameter_conditions(act, budget), "parameters"),
        domain=domain,
    )
    if len(an.comps) == 1 and an.domain == sp.S.Reals:
        # an oscillating f' or f'': the scan lists zeros in a window only; periodic families
        # replace those lists when the period and the pattern over one period are proved
        got = attempt(lambda: periodic_facts(an.comps[0].expr, an.d1[0], an.d2[0], an.x,
                                             budget), _FACT_BUDGET[0])
        for key, fact in (got.value.items() if got else ()):
            old = getattr(props, key)
            if old.status != "proved":
                setattr(props, key, fact)
        _range_from_monotonicity(props)
    return props


def _range_from_monotonicity(props: Properties) -> None:
    """A continuous, strictly monotonic f on R maps R onto the open interval between its limits
    at -oo and oo (for when the scan that found the range was only numeric)."""
    mono, cont, lim = props.monotonic, props.continuity, props.limits
    if props.range.status == "proved" or mono.status != "proved" \
            or mono.value not in ("increasing", "decreasing") or cont.status != "proved" \
            or cont.value == -1 or lim.status != "proved":
        return
    lo, hi = lim.value.get("-oo"), lim.value.get("oo")
    if lo is None or hi is None or not all(v.is_extended_real for v in (lo, hi)):
        return
    if mono.value == "decreasing":
        lo, hi = hi, lo
    rng = sp.Interval.open(lo, hi)
    how = f"f continuous and {mono.value}: the open interval between its limits"
    props.range = Fact(rng, "proved", how)
    props.bounded = Fact({"above": bool(rng.sup.is_finite), "below": bool(rng.inf.is_finite)},
                         "proved", "from the range")


def random_points(n: int, seed: int = 0) -> list[float]:
    rnd = random.Random(seed)
    return [rnd.uniform(-6, 6) for _ in range(n)]
