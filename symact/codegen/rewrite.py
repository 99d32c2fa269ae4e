"""Rewrite rules: textbook SymPy expressions -> numerically stable forms.

Rules are applied bottom-up to the SymPy tree (:func:`stabilise`); they are generic and know
nothing about particular activations:

* ``log(1 + exp(z))`` -> ``Softplus(z)``; ``log(1 + z)`` -> ``Log1p(z)``
* ``1 / (1 + exp(-z))`` -> ``Sigmoid(z)``
* ``c exp(z) - c`` -> ``c Expm1(z)`` (also ``c - c exp(z)``)
* ``c + c erf(z)`` -> ``c erfc(-z)`` and ``c - c erf(z)`` -> ``c erfc(z)`` (no cancellation in the
  tails)
* ``c + c tanh(z)`` -> ``2 c Sigmoid(2 z)`` and ``c - c tanh(z)`` -> ``2 c Sigmoid(-2 z)``
* ``c - c Sech2(z)`` -> ``c Tanh(z)^2``; ``c - c Sigmoid(z)`` -> ``c Sigmoid(-z)``
* ``tanh(z)`` -> ``Tanh(z)`` (whose derivative is ``Sech2``, never ``1 - tanh^2``)
* ``sin(u) cos(u)`` -> ``sin(2 u) / 2`` (2 u is exact); ``c + c sin(w)`` -> ``c OnePlusSin(w)``,
  ``c - c sin(w)`` -> ``c OnePlusSin(-w)`` (no cancellation near sin(w) = -+1);
  ``c + c cos(w)`` -> ``2 c cos(w / 2)^2`` and ``c - c cos(w)`` -> ``2 c sin(w / 2)^2`` (exact
  identities, w / 2 exact)
* ``sqrt(k x^2 + c)`` -> ``Hypot(sqrt(k) x, sqrt(c))`` (no overflow of ``x^2``)
* ``k cos(u)^2 - k sin(u)^2`` -> ``k cos(2 u)`` (no cancellation next to its zeros)
* ``z + Hypot(z, s)`` -> ``(s^2 / 2) / (Hypot(z, s) / 2 - z / 2)`` where ``z < 0`` (region
  selection; the halves keep the divisor finite at ``|z| ~ 1.8e308``); a power-of-two factor
  of that select goes into its branches (``(z + hypot) / (2 hypot)`` -> ``(z/2 + hypot/2) /
  hypot``)
* in :func:`algebraic`, a rational function of x and one root ``s = sqrt(P(x))`` is reduced
  modulo ``s^2 = P`` and a constant quotient is divided out of a numerator sum:
  ``(x + 2 s) / (2 s)`` -> ``1 + (x/2) / s`` (the sum and the divisor overflow together at
  ``|x| ~ 1.8e308``; the remainder over the divisor stays bounded)

:func:`tangent_forms` (after the series branches): ``A cos(u) + B sin(u)`` -> ``cos(u) (A + B tan(u))``
with ``A + B tan(u)`` over a common monomial divisor x^k (divided out one x at a time, so
nothing overflows): near the zeros the cancellation then involves one correctly rounded value,
tan(u), instead of two rounded products (sinc': ``cos(x) (x - tan(x)) / x / x``, 12 -> ~2 ULP
at x = -39.25; NumPy's float64 tan is also ~10x faster than its sin). At the zeros of the sum
itself (tan x = x) the one rounding of tan(x) still loses every digit: Taylor patches there
(:mod:`.roots`).

After differentiation, :func:`series_branches` finds sums whose terms cancel at ``x = 0`` (the
sum vanishes to higher order than its terms, e.g. ``x - tanh(x)``) and evaluates them by their
Taylor polynomial on ``|x| < r``, with ``r`` chosen so the truncation error is below half an ulp.

:data:`HINTS` is the small table of per-activation rewrites a generic rule cannot find; each hint
is checked numerically against the definition before use.
"""

from __future__ import annotations

import sympy as sp

from ..budget import BudgetExceeded, time_budget
from .functions import Erfc, Expm1, Hypot, Log1p, OnePlusSin, Sech2, Sigmoid, Softplus, Tanh

_x = sp.Symbol("x", real=True)

#: name -> (reason, builder(x) -> equivalent expression) for forms no generic rule reaches
HINTS: dict[str, tuple[str, object]] = {
    "symmetric_sigmoid": (
        "(1 - exp(-x)) / (1 + exp(-x)) = tanh(x / 2): the quotient overflows to inf/inf for "
        "x < -709",
        lambda x: sp.tanh(x / 2),
    ),
    "bent_identity": (
        "(sqrt(x^2 + 1) - 1) / 2 = x^2 / (2 (sqrt(x^2 + 1) + 1)): no cancellation near 0",
        lambda x: x**2 / (2 * (sp.sqrt(x**2 + 1) + 1)) + x,
    ),
}


def _is_pos(e: sp.Expr) -> bool:
    return bool(e.is_positive)


def _split_const(add: sp.Add, x: sp.Symbol) -> tuple[sp.Expr, list[sp.Expr]]:
    const = [t for t in add.args if x not in t.free_symbols]
    rest = [t for t in add.args if x in t.free_symbols]
    return sp.Add(*const), rest


def _rule_log(e: sp.Expr) -> sp.Expr:
    arg = e.args[0]
    if isinstance(arg, sp.Add) and any(t == 1 for t in arg.args):
        rest = arg - 1
        if isinstance(rest, sp.exp):
            return Softplus(rest.args[0])
        return Log1p(rest)
    return e


def _rule_pow(e: sp.Expr, x: sp.Symbol) -> sp.Expr:
    base, ex = e.args
    if ex == -1 and isinstance(base, sp.Add) and any(t == 1 for t in base.args):
        rest = base - 1
        if isinstance(rest, sp.exp):
            return Sigmoid(-rest.args[0])
    if ex.is_Rational and ex.q in (1, 2) and isinstance(base, sp.Add):
        const, rest = _split_const(base, x)
        if len(rest) == 1 and const.is_nonnegative:
            k = sp.simplify(rest[0] / x**2)
            if x not in k.free_symbols and k.is_positive:
                return Hypot(sp.sqrt(k) * x, sp.sqrt(const)) ** (2 * ex)
    return e


def _rule_cos_double(e: sp.Add) -> sp.Expr:
    """k cos(u)^2 - k sin(u)^2 -> k cos(2 u): the difference cancels next to the zeros of
    cos(2 u) (snake'' = 2 a (cos(a x)^2 - sin(a x)^2) was 424 ULP off at x = -76.2)."""
    for t in e.args:
        for f in sp.Mul.make_args(t):
            if isinstance(f, sp.Pow) and f.exp == 2 and isinstance(f.base, sp.cos):
                u = f.base.args[0]
                k = t / f
                partner = -k * sp.sin(u) ** 2
                if partner in e.args:
                    return e - t - partner + k * sp.cos(2 * u)
    return e


def _rule_add(e: sp.Add, x: sp.Symbol, final: bool) -> sp.Expr:
    e2 = _rule_cos_double(e)
    if e2 != e:
        return e2
    const, rest = _split_const(e, x)
    if const == 0:
        return _rule_hypot_sum(e, x) if final else e
    for t in rest:
        c, f = t.as_independent(x, as_Add=False)
        if isinstance(f, sp.exp) and sp.simplify(c + const) == 0:
            return e - t - const + c * Expm1(f.args[0])
        if isinstance(f, sp.erf) and sp.simplify(c - const) == 0:
            return e - t - const + c * Erfc(-f.args[0])
        if isinstance(f, sp.erf) and sp.simplify(c + const) == 0:
            return e - t - const + const * Erfc(f.args[0])
        if isinstance(f, Sech2) and sp.simplify(c + const) == 0:
            return e - t - const + const * Tanh(f.args[0]) ** 2
        if isinstance(f, Sigmoid) and sp.simplify(c + const) == 0:
            return e - t - const + const * Sigmoid(-f.args[0])
        if isinstance(f, (sp.tanh, Tanh)) and sp.simplify(c - const) == 0:
            return e - t - const + 2 * c * Sigmoid(2 * f.args[0])
        if isinstance(f, (sp.tanh, Tanh)) and sp.simplify(c + const) == 0:
            return e - t - const + 2 * const * Sigmoid(-2 * f.args[0])
        if isinstance(f, (sp.sin, sp.cos)) and x in f.free_symbols:
            same = sp.simplify(c - const) == 0
            if not same and sp.simplify(c + const) != 0:
                continue
            w = f.args[0]
            if isinstance(f, sp.sin):
                new = const * OnePlusSin(w if same else -w)
            else:
                new = 2 * const * (sp.cos(w / 2) if same else sp.sin(w / 2)) ** 2
            return e - t - const + new
    return e


def _rule_sin_cos(e: sp.Mul) -> sp.Expr:
    """sin(u) cos(u) -> sin(2 u) / 2 (the doubling of u is exact)."""
    sins = [a for a in e.args if isinstance(a, sp.sin)]
    for s in sins:
        c = sp.cos(s.args[0])
        if c in e.args:
            rest = [a for a in e.args if a is not s and a != c]
            return sp.Mul(*rest) * sp.sin(2 * s.args[0]) / 2
    return e


def _rule_hypot_sum(e: sp.Add, x: sp.Symbol) -> sp.Expr:
    if len(e.args) != 2:
        return e
    c, rest = sp.factor_terms(e).as_coeff_Mul()
    if not isinstance(rest, sp.Add) or len(rest.args) != 2:
        return e
    a, b = rest.args
    if isinstance(b, Hypot):
        a, b = b, a
    if isinstance(a, Hypot) and sp.simplify(a.args[0] - b) == 0:
        z, s = a.args
        # the hypot in the default branch is wrapped so this rule does not match it again;
        # the coefficient multiplies each term (no overflow of z + hypot at the top of the range)
        # (halves in the z < 0 branch: a / 2 - z / 2 cannot overflow where a - z would, at
        # |z| ~ 1.8e308)
        half = sp.UnevaluatedExpr(a / 2 - z / 2)
        return sp.Piecewise((c * s**2 / 2 / half, z < 0),
                            (c * z + c * sp.UnevaluatedExpr(a), True))
    return e


def _rule_scaled_select(e: sp.Mul) -> sp.Expr:
    """c * Piecewise(.., (z + UnevaluatedExpr(Hypot(z, s)), True)) with c a power of two ->
    the coefficient in each branch (c z + c Hypot(z, s): the scaling is exact, and the halves
    cannot overflow where z + Hypot(z, s) would at z ~ 1.8e308, e.g. in (z + hypot) / (2 hypot))."""
    from .functions import _power_of_two

    c, rest = e.as_coeff_Mul()
    pws = [a for a in sp.Mul.make_args(rest) if isinstance(a, sp.Piecewise)]
    if c == 1 or not _power_of_two(abs(c)) or len(pws) != 1:
        return e
    pw = pws[0]
    d = pw.args[-1].expr
    if not (isinstance(d, sp.Add) and any(isinstance(a, sp.UnevaluatedExpr)
                                          and isinstance(a.args[0], Hypot) for a in d.args)):
        return e
    others = [a for a in sp.Mul.make_args(rest) if a is not pw]
    scaled = sp.Piecewise(*[(sp.Add(*[c * t for t in b.args]) if isinstance(b, sp.Add)
                             else c * b, cond) for b, cond in pw.args], evaluate=False)
    return sp.Mul(scaled, *others)


def stabilise(expr: sp.Expr, x: sp.Symbol, final: bool = False) -> sp.Expr:
    """Apply the stable-form rules bottom-up (``final``: also the region-selection rules,
    whose result is no longer differentiated)."""
    if not expr.args or isinstance(expr, (sp.Symbol, sp.Number)):
        return expr
    args = [stabilise(a, x, final) if isinstance(a, sp.Basic) else a for a in expr.args]
    if isinstance(expr, sp.Piecewise):
        expr = sp.Piecewise(*[(a.args[0], a.args[1]) for a in args], evaluate=False)
    else:
        expr = expr.func(*args)
    if isinstance(expr, sp.log):
        return _rule_log(expr)
    if isinstance(expr, sp.Pow):
        return _rule_pow(expr, x)
    if isinstance(expr, sp.Add):
        return _rule_add(expr, x, final)
    if isinstance(expr, sp.tanh):
        return Tanh(expr.args[0])
    if isinstance(expr, sp.Mul) and any(isinstance(a, sp.sin) for a in expr.args):
        expr = _rule_sin_cos(expr)
        if not isinstance(expr, sp.Mul):
            return expr
    if final and isinstance(expr, sp.Mul):
        expr = _rule_scaled_select(expr)
    if isinstance(expr, sp.Mul) and sum(isinstance(a, sp.exp) for a in expr.args) > 1:
        # exp(a) exp(b) -> exp(a + b): no inf * 0 when a -> inf and b -> -inf
        exps = [a for a in expr.args if isinstance(a, sp.exp)]
        rest = [a for a in expr.args if not isinstance(a, sp.exp)]
        return sp.Mul(*rest) * sp.exp(sp.Add(*[a.args[0] for a in exps]))
    return expr


def prepare(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """Definitions from users: Max/Min/Heaviside as Piecewise before the rules run."""
    expr = expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min)) and x in e.free_symbols,
                        lambda e: e.rewrite(sp.Piecewise))
    expr = expr.replace(lambda e: isinstance(e, sp.Heaviside),
                        lambda e: sp.Piecewise((0, e.args[0] < 0), (1, True)))
    expr = expr.replace(lambda e: isinstance(e, sp.Abs) and x in e.free_symbols,
                        lambda e: sp.Piecewise((-e.args[0], e.args[0] < 0), (e.args[0], True)))
    expr = expr.replace(lambda e: isinstance(e, sp.sinc),
                        lambda e: sp.Piecewise((sp.sin(e.args[0]) / e.args[0],
                                                sp.Ne(e.args[0], 0)), (1, True)))
    return expr


# ---------------------------------------------------------------------------- series branches
def _leading_order(e: sp.Expr, x: sp.Symbol, n: int) -> int | None:
    s = sp.expand(sp.series(e, x, 0, n).removeO())
    if s == 0:
        return None
    return int(min(t.as_coeff_exponent(x)[1] for t in sp.Add.make_args(s)))


def series_branches(expr: sp.Expr, x: sp.Symbol, defaults: dict, seconds: float = 20.0
                    ) -> sp.Expr:
    """Replace sums that cancel at x = 0 by their Taylor polynomial on |x| < r."""

    def visit(e: sp.Expr) -> sp.Expr:
        if not isinstance(e, sp.Basic) or x not in e.free_symbols:
            return e
        if isinstance(e, sp.Add) and len(e.args) >= 2:
            replaced = _series_branch(e, x, defaults)
            if replaced is not None:
                return replaced
        if not e.args:
            return e
        args = [visit(a) for a in e.args]
        if isinstance(e, sp.Piecewise):
            return sp.Piecewise(*[(a.args[0], a.args[1]) for a in args], evaluate=False)
        return e.func(*args)

    try:
        with time_budget(seconds):
            return visit(expr)
    except BudgetExceeded:
        return expr


def _series_branch(e: sp.Add, x: sp.Symbol, defaults: dict) -> sp.Expr | None:
    from .functions import to_textbook

    plain = to_textbook(e)
    if plain.has(sp.Piecewise, sp.Abs, sp.sign):
        return None
    try:
        terms_order = min(_leading_order(to_textbook(t), x, 6) or 6 for t in e.args)
        order = _leading_order(plain, x, terms_order + 6)
    except Exception:
        return None
    if order is None or order <= terms_order:
        return None
    # Taylor polynomial with enough terms; radius where the first dropped term < 2^-56
    n_terms = 14
    top = order + 2 * n_terms
    poly = sp.series(plain, x, 0, top + 1).removeO()
    coeffs = sp.Poly(sp.expand(poly), x).as_dict()
    subs = {s: v for s, v in defaults.items()}
    lead = abs(float(sp.sympify(coeffs.get((order,), 0)).subs(subs)))
    if lead == 0:
        return None
    degs = sorted(d[0] for d in coeffs)
    last = degs[-1]
    c_last = abs(float(sp.sympify(coeffs[(last,)]).subs(subs)))
    if c_last == 0:
        return None
    r = (2.0**-56 * lead / c_last) ** (1.0 / (last - order))
    if r < 1e-3:
        return None
    r = float(f"{r:.3g}")
    poly = sp.Add(*[sp.sympify(coeffs[(d,)]) * x**d for d in degs[:-1]])
    return sp.Piecewise((sp.horner(poly, x), sp.Abs(x) < r), (e, True))


def clamps(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """``Piecewise((a, x <= a), (x, True))`` -> ``Max(x, a)`` (and the Min / clip forms): one
    ufunc instead of a masked select; the value is the same at the kink and NaN propagates."""

    def one(pw: sp.Piecewise) -> sp.Expr:
        args = list(pw.args)
        if len(args) not in (2, 3) or args[-1].expr != x or args[-1].cond is not sp.true:
            return pw
        out = x
        for e, c in reversed(args[:-1]):
            if x in e.free_symbols or not isinstance(c, sp.core.relational.Relational):
                return pw
            if c.rhs == x and c.lhs == e:
                c = c.reversed
            if c.lhs != x or c.rhs != e:
                return pw
            if isinstance(c, (sp.LessThan, sp.StrictLessThan)):
                out = sp.Max(out, e, evaluate=False)
            elif isinstance(c, (sp.GreaterThan, sp.StrictGreaterThan)):
                out = sp.Min(out, e, evaluate=False)
            else:
                return pw
        return out

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), one)


_ALGEBRAIC = (sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Number, sp.NumberSymbol)


def _one_root(e: sp.Expr, x: sp.Symbol, seconds: float) -> sp.Expr:
    """A rational function of x and one root s = sqrt(P(x)): reduced modulo s^2 = P (SymPy's
    ratsimpmodprime; e.g. bent_identity' from (x^3 + 2 x^2 s + ...) / (2 s (s + 1)^2) to
    (x + 2 s) / (2 s)), then each sum A in the numerator over the denominator D with A = q D + r
    (q a nonzero constant, division in s) as q + r / D: (x + 2 s) / (2 s) -> 1 + x / (2 s).
    With s ~ |x| for large x, A and D overflow together (2 s is inf at x ~ 1.8e308) while r / D
    stays bounded; q + r / D adds no cancellation where |r / D| < |q| / 2."""
    roots = {a for a in sp.preorder_traversal(e) if isinstance(a, sp.Pow)
             and a.exp.is_Rational and a.exp.q == 2 and x in a.base.free_symbols}
    bases = {a.base for a in roots}
    if len(bases) != 1:
        return e
    base = bases.pop()
    if not base.is_polynomial(x):
        return e
    s = sp.Dummy("s", positive=True)
    es = e.replace(lambda a: isinstance(a, sp.Pow) and a.base == base and a.exp.is_Rational
                   and a.exp.q == 2, lambda a: s ** (2 * a.exp))
    if x in es.free_symbols - {x} or not sp.together(es).is_rational_function(x, s):
        return e
    try:
        with time_budget(seconds):
            red = sp.factor(sp.ratsimpmodprime(sp.together(es), [s**2 - base], x, s))
    except (BudgetExceeded, sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        return e
    if sp.count_ops(red) > sp.count_ops(es) or s not in sp.fraction(red)[1].free_symbols:
        red = es  # (a reduction to a sum such as x + s/2 - 1/2 would bring the cancellation back)
    num, den = sp.fraction(red)
    if s not in den.free_symbols:
        return e
    factors = []
    divided = False
    for f in sp.Mul.make_args(num):
        if not divided and isinstance(f, sp.Add) and s in f.free_symbols:
            try:
                q, r = sp.div(f, den, s)
            except (sp.PolynomialError, sp.GeneratorsNeeded):
                q, r = 0, f
            if q != 0 and q.is_number and r != 0:
                cd, dd = sp.factor_terms(den).as_coeff_Mul()
                rd = sp.Mul(r / cd, sp.Pow(dd, -1))  # (x / 2) / (s + 1): no overflow of 2 s
                bound = [abs(rd.subs({x: v, s: sp.sqrt(base.subs(x, v))}).evalf(20))
                         for v in (-10**300, -10**3, -1, 0, 1, 10**3, 10**300)]
                if all(b.is_number and b.is_finite and bool(b <= abs(q) / 2) for b in bound):
                    factors.append(sp.UnevaluatedExpr(q + rd))
                    divided = True
                    continue
        factors.append(f)
    out = sp.Mul(*factors) if divided else red
    return out.subs(s, sp.sqrt(base))


def algebraic(expr: sp.Expr, x: sp.Symbol, seconds: float = 20.0) -> sp.Expr:
    """Rational/algebraic pieces (only + * / powers) -> together + factor.

    ``1/H - a x^2/H^3`` becomes ``1/H^3`` (H = sqrt(1 + a x^2)), ``x/6 + 1/2`` becomes
    ``(x + 3)/6``: no cancellation near the zeros, no overflow of the separate terms. Applied to
    each Piecewise branch; the rules of :func:`stabilise` run again afterwards.
    """
    from .functions import to_textbook

    def simplify(e: sp.Expr) -> sp.Expr:
        if x not in e.free_symbols:
            return e
        plain = to_textbook(e)
        if not all(isinstance(n, _ALGEBRAIC) for n in sp.preorder_traversal(plain)):
            return e
        if plain.is_polynomial(x) and sp.degree(plain, x) <= 1 and plain.free_symbols != {x}:
            return e  # linear with parameters: already as good as it gets
        try:
            with time_budget(seconds):
                out = sp.factor(sp.together(plain))
        except BudgetExceeded:
            return e
        out = _one_root(out, x, seconds)
        c, rest = out.as_coeff_Mul()
        if c != 1 and isinstance(rest, sp.Add):
            # keep (x + 3)/6 factored: SymPy would distribute 1/6 over the sum again
            return sp.Mul(c, sp.UnevaluatedExpr(stabilise(rest, x, True)), evaluate=False)
        return stabilise(out, x, True)

    def visit(e: sp.Expr) -> sp.Expr:
        if isinstance(e, sp.Piecewise):
            return sp.Piecewise(*[(visit(b), c) for b, c in e.args], evaluate=False)
        if e.has(sp.Piecewise):
            if len(e.atoms(sp.Piecewise)) <= 2:
                folded = sp.piecewise_fold(e)
                if isinstance(folded, sp.Piecewise):
                    return visit(folded)
            return e.func(*[visit(a) for a in e.args])
        return simplify(e)

    return visit(expr)


def _trig_term(t: sp.Expr, kind) -> tuple[sp.Expr, sp.Expr] | None:
    """(A, u) with t = A kind(u), A free of trigonometric functions."""
    fs = [a for a in sp.Mul.make_args(t) if isinstance(a, kind)]
    if len(fs) != 1:
        return None
    rest = t / fs[0]
    if rest.has(sp.sin, sp.cos, sp.tan):
        return None
    return rest, fs[0].args[0]


def tangent_forms(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """``A cos(u) + B sin(u)`` -> ``cos(u) (A + B tan(u))`` (see the module docstring); only
    where A + B tan(u) has a monomial divisor x^k."""

    def one(e: sp.Add) -> sp.Expr:
        if len(e.args) != 2:
            return e
        for t1, t2 in (e.args, e.args[::-1]):
            c, s = _trig_term(t1, sp.cos), _trig_term(t2, sp.sin)
            if c is None or s is None or c[1] != s[1] or x not in c[1].free_symbols:
                continue
            (a, u), (b, _) = c, s
            num, den = sp.fraction(sp.together(a + b * sp.tan(u)))
            k = 0 if den == 1 else den.exp if (isinstance(den, sp.Pow) and den.base == x
                                                 and den.exp.is_Integer) else 1 if den == x \
                else None
            if k is None or k < 0:
                return e
            # each divisor x wrapped differently: no common 1/x for CSE (with f's sin(x)/x
            # either), so each is a correctly rounded division, not a product by 1/x
            div = sp.UnevaluatedExpr(x)
            out = num
            for _ in range(int(k) - 1):
                out = sp.UnevaluatedExpr(out / div)
                div = sp.UnevaluatedExpr(div)
            return sp.cos(u) * out / div ** min(int(k), 1)
        return e

    return expr.replace(lambda e: isinstance(e, sp.Add) and e.has(sp.sin) and e.has(sp.cos),
                        one)
