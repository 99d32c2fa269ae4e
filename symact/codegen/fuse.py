"""Piecewise selects -> branch-free closed forms (clip, abs, sign, hinges, masks).

A ``Piecewise`` is lowered by the emitter as a default branch plus a masked copy per branch;
masked copies (``np.putmask``, ``np.copyto(where=)``, ``np.where``) branch on every element and
cost ~10x a plain ufunc pass on random data. :func:`fuse` replaces the Piecewise patterns below
by closed forms of branch-free ufuncs. Each rule is generic (it looks at the shape of the
branches and conditions, never at activation names) and exact: on each interval the closed form
computes the branch's value with the same roundings (or the branch's value is exactly
representable), NaN propagates (``np.maximum``/``np.minimum``/``np.clip``/``np.abs``/``np.sign``
propagate NaN, and ``NaN * 0 = NaN``), and at +-inf it gives the branch's value.

* ``(-x, x < 0), (x, x > 0), (0, True)`` -> ``|x|``; with values ``-k, k, 0`` -> ``k sign(x)``
* ``(L, x <= a), (H, x >= b), (m(x), True)``, m linear increasing with m(a) = L, m(b) = H ->
  ``clip(m(x), L, H)`` (rounding is monotonic: fl(m(x)) <= L for x <= a); one-sided forms ->
  ``max(m(x), L)`` / ``min(m(x), H)``
* ``max(a, min(b, z))`` with a <= b provable -> ``clip(z, a, b)``
* ``(x - b, x > b), (x - a, x < a), (0, True)``, a <= b provable -> ``x - clip(x, a, b)``
  (for a <= x <= b, x - x = 0; outside, the same subtraction as the branch)
* ``(k1 z, z <= 0), (k2 z, True)`` (z linear in x, k1 and k2 free of x) ->
  ``k1 min(z, 0) + k2 max(z, 0)`` (one term is k * 0 = 0, added exactly; at z = 0 both are 0)
* every branch x q_i(x) (q_i polynomials): ``x * (the fused Piecewise of the q_i)``, e.g.
  ``x clip((x + 3) / 6, 0, 1)`` (x * 0 = 0 for finite x; the generator's probe adds the limit
  at -inf where -inf * 0 would give NaN)
* ``(f(x), x <= b), (g(x), True)``, f or g holding a function of x -> f(min(x, b)) / g(max(x, b))
  in the branches (the same values where each is selected; bounded elsewhere)
* ``(A(x), x < 0), (B(x), True)`` with A(x) = B(-x) -> ``B(|x|)``; with A(x) = -B(-x) and
  B(x) = x g(x) -> ``x g(|x|)`` (softsign: ``x / (|x| + 1)``)
* ``(f(x), x <= 0), (g(x), True)`` with f(0) = g(0) = 0 exactly -> ``f(min(x, 0)) + g(max(x, 0))``
  (elu: ``alpha expm1(min(x, 0)) + max(x, 0)``)
* ``(a x + b, x > t), (d, True)`` (d free of x) -> ``(a max(x, t) + b) [x > t] + d [x <= t]``
* ``(k x, c), (0, True)`` where c holds at x = +-inf -> ``k x * [c]`` (``np.multiply`` by the
  mask: k x * 0 = 0 for the finite x where c fails, NaN * 0 = NaN)
* ``(H, x > b), ..inner.., (L, True)`` with the inner branches worth H at b and L at a ->
  ``inner(clip(x, a, b))``, the inner Piecewise fused on its own (sqnl: ``c (1 - |c|/4)``)
* ``(L, x <= a), (x, x >= b), (p(x), True)``, p a polynomial >= x on [a, b] joining both ->
  ``max(p(clip(x, a, b)), x)`` (sparse_plus)

Rules exact only for some parameter values give a :class:`Guarded` Piecewise ``(fast form,
condition on the parameters), (general form, True)``; the kernel tests the condition once per
call (scalar parameters; array parameters take the general form):

* ``(k x, x <= 0), (x, True)`` [with caps ``(H, x >= H)``] -> ``max(x, k x)`` [``min(., H)``]
  when 0 < k <= 1 [and H >= 0] (leaky_relu, prelu, rrelu, leaky_relu6)
* ``(t_l + k_l (x - t_l), x <= t_l), (t_r + k_r (x - t_r), x >= t_r), (x, True)`` ->
  ``clip(x, t_l, t_r) + k_l min(x - t_l, 0) + k_r max(x - t_r, 0)`` when t_l <= t_r (srelu)
"""

from __future__ import annotations

import sympy as sp

from .functions import Clip, Expm1, Indicator, Log1p, TwoSlopes, unwrapped

_OPS = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
        sp.GreaterThan: ">="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _linear(e: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(a, b) with e = a x + b, a and b free of x; None if e is not linear in x."""
    e = sp.expand(unwrapped(e))
    a = e.coeff(x, 1)
    b = sp.expand(e - a * x)
    if x in a.free_symbols or x in b.free_symbols:
        return None
    return a, b


def _bound(c: sp.Basic, x: sp.Symbol) -> tuple[str, sp.Expr] | None:
    """A relational condition as ``x op bound`` (op in <, <=, >, >=), if it is linear in x with
    a numeric slope."""
    op = _OPS.get(type(c))
    if op is None:
        return None
    lin = _linear(c.lhs - c.rhs, x)
    if lin is None:
        return None
    a, b = lin
    if not a.is_number or a == 0:
        return None
    if a < 0:
        op = _FLIP[op]
    return op, sp.simplify(-b / a)


def _zero(e: sp.Expr) -> bool:
    return e == 0 or sp.simplify(e) == 0


def _le(a: sp.Expr, b: sp.Expr) -> bool:
    """a <= b provably (parameter assumptions included)."""
    d = sp.simplify(b - a)
    return bool(d.is_nonnegative)


def _free(e: sp.Expr, x: sp.Symbol) -> bool:
    return x not in e.free_symbols


def _abs_sign(pairs, default, x):
    if len(pairs) != 2 or not _zero(default):
        return None
    bounds = [_bound(c, x) for _, c in pairs]
    if None in bounds:
        return None
    by = {}
    for (e, _), (op, b) in zip(pairs, bounds, strict=True):
        if b != 0 or op not in ("<", ">"):
            return None
        by[op] = e
    if set(by) != {"<", ">"}:
        return None
    neg, pos = by["<"], by[">"]
    if _zero(neg + x) and _zero(pos - x):
        return sp.Abs(x, evaluate=False)
    if _free(pos, x) and _zero(neg + pos) and pos.is_finite:
        return pos * sp.sign(x, evaluate=False)
    return None


def _clip(pairs, default, x):
    lin = _linear(default, x)
    if lin is None or not lin[0].is_positive or not pairs or len(pairs) > 2:
        return None
    lo = hi = None
    for e, c in pairs:
        b = _bound(c, x)
        if b is None or not _free(e, x) or not _zero(unwrapped(default).subs(x, b[1]) - e):
            return None
        if b[0] in ("<", "<=") and lo is None:
            lo = e
        elif b[0] in (">", ">=") and hi is None:
            hi = e
        else:
            return None
    if lo is not None and hi is not None:
        if not _le(lo, hi):
            return None
        return Clip(default, lo, hi)
    if lo is not None:
        return sp.Max(default, lo, evaluate=False)
    return sp.Min(default, hi, evaluate=False)


def _shrink(pairs, default, x):
    if len(pairs) != 2 or not _zero(default):
        return None
    lo = hi = None
    for e, c in pairs:
        b = _bound(c, x)
        if b is None or not _zero(e - (x - b[1])):
            return None
        if b[0] in (">", ">=") and hi is None:
            hi = b[1]
        elif b[0] in ("<", "<=") and lo is None:
            lo = b[1]
        else:
            return None
    if lo is None or hi is None or not _le(lo, hi):
        return None
    return x - Clip(x, lo, hi)


def _hinge(pairs, default, x):
    if len(pairs) != 1:
        return None
    e, c = pairs[0]
    op = _OPS.get(type(c))
    if op is None or c.rhs != 0:
        return None
    z = c.lhs
    if _free(z, x) or _linear(z, x) is None:
        return None
    k1 = sp.simplify(e / z)
    k2 = sp.simplify(default / z)
    if not (_free(k1, x) and _free(k2, x)) or not (k1.is_finite and k2.is_finite):
        return None
    lower, upper = sp.Min(z, 0, evaluate=False), sp.Max(z, 0, evaluate=False)
    if op in (">", ">="):
        k1, k2 = k2, k1
    return k1 * lower + k2 * upper


def _mask(pairs, default, x):
    if len(pairs) != 1 or not _zero(default):
        return None
    e, c = pairs[0]
    k = sp.simplify(e / x)
    if not _free(k, x) or k == 0 or not k.is_finite:
        return None
    at = [c.subs(x, v) for v in (sp.oo, -sp.oo)]
    if not all(h is sp.true for h in at):
        return None
    return k * x * Indicator(c)


#: the common-factor rule (hardswish -> x clip((x + 3)/6, 0, 1))
COMMON_FACTOR = True

#: functions f with f(0) = 0 exactly in floating point (odd, or expm1/log1p)
_ZERO_AT_ZERO = (Expm1, Log1p, sp.sin, sp.tanh, sp.atan, sp.sinh, sp.asinh)


def _exact_zero_at_0(e: sp.Expr, x: sp.Symbol) -> bool:
    """e evaluates to exactly 0 at x = 0 in floating point (structurally: x, f(zero) for the
    functions above, a product with such a factor, a quotient with such a numerator and a
    nonzero denominator, a positive power of such a base)."""
    e = unwrapped(e)
    if e == x:
        return True
    if isinstance(e, _ZERO_AT_ZERO):
        return _exact_zero_at_0(e.args[0], x)
    if isinstance(e, sp.Mul):
        num = [f for f in e.args if not (isinstance(f, sp.Pow) and f.exp.is_negative)]
        den = [f.base for f in e.args if isinstance(f, sp.Pow) and f.exp.is_negative]
        if any(sp.simplify(d.subs(x, 0)) == 0 for d in den):
            return False
        return any(_exact_zero_at_0(f, x) for f in num) and all(
            sp.simplify(f.subs(x, 0)).is_finite for f in num)
    if isinstance(e, sp.Pow):
        return bool(e.exp.is_positive) and _exact_zero_at_0(e.base, x)
    return False


def _split_zero(pairs, default, x):
    """(f(x), x <= 0), (g(x), True) with f(0) = g(0) = 0 exactly -> f(min(x, 0)) + g(max(x, 0)):
    on each side one term is the branch, the other f(0) or g(0) = 0, added exactly."""
    if len(pairs) != 1:
        return None
    e, c = pairs[0]
    b = _bound(c, x)
    if b is None or b[1] != 0:
        return None
    if not (_exact_zero_at_0(e, x) and _exact_zero_at_0(default, x)):
        return None
    lower, upper = sp.Min(x, 0, evaluate=False), sp.Max(x, 0, evaluate=False)
    if b[0] in (">", ">="):
        lower, upper = upper, lower
    return unwrapped(e).xreplace({x: lower}) + unwrapped(default).xreplace({x: upper})


def _symmetric(pairs, default, x):
    """(A(x), x < 0), (B(x), True) with A(x) = B(-x) -> B(|x|); with A(x) = -B(-x) and
    B = x g(x) -> x g(|x|) (the same roundings: |x| and the sign are exact). At 0 both give
    B(0); the generator's probe adds the limits at +-inf where inf * 0 would give NaN."""
    if len(pairs) != 1:
        return None
    a, c = pairs[0]
    b = _bound(c, x)
    if b is None or b[0] not in ("<", "<=") or b[1] != 0:
        return None
    a, d = unwrapped(a), unwrapped(default)
    if not a.has(x) or not d.has(x) or d.has(sp.Piecewise, sp.Abs):
        return None
    mirrored = d.xreplace({x: -x})
    ax = sp.Abs(x, evaluate=False)
    if sp.simplify(a - mirrored) == 0:
        return d.xreplace({x: ax})
    if sp.simplify(a + mirrored) == 0:
        g = sp.cancel(d / x)
        if _free(g, x) or sp.simplify(sp.denom(g).subs(x, 0)) == 0:
            return None
        return x * g.xreplace({x: ax})
    return None


def _select_linear(pairs, default, x):
    """(a x + b, x > t), (d, True), d free of x -> (a max(x, t) + b) [x > t] + d [x <= t]
    (and mirrored): each side adds an exact 0 (the other branch is finite there: its argument
    is clamped to t); NaN fails both masks and gives NaN * 0 = NaN."""
    if len(pairs) != 1 or not _free(default, x) or not default.is_finite:
        return None
    e, c = pairs[0]
    bd = _bound(c, x)
    lin = _linear(e, x)
    if bd is None or lin is None or not lin[0].is_finite or not lin[1].is_finite:
        return None
    op, t = bd
    if not _free(t, x) or not t.is_finite:
        return None
    clamp = sp.Max(x, t, evaluate=False) if op in (">", ">=") else sp.Min(x, t, evaluate=False)
    return unwrapped(e).xreplace({x: clamp}) * Indicator(c) + default * Indicator(sp.Not(c))


def _branch_at(pairs, default, x, v):
    """The value of the Piecewise (pairs, default) at the number v (first true wins)."""
    for e, c in pairs:
        holds = c.subs(x, v)
        if holds is sp.true:
            return unwrapped(e).subs(x, v)
        if holds is not sp.false:
            return None
    return unwrapped(default).subs(x, v)


def _outer_clamps(pairs, default, x):
    """(H, x > b), ..inner.., (L, True) with the inner branches worth H at b and L at a (the
    last inner condition x >= a) -> inner(clip(x, a, b)): inside [a, b] the clip is x itself;
    outside it is the bound, where the inner value is exactly H or L (checked symbolically,
    and the constant must come out of the inner formula exactly: the bounds and values are
    small integers or the values are checked for exact binary fractions). The inner
    Piecewise is fused on its own (e.g. by :func:`_symmetric`); two branches split at t are
    written (lower, x < t), (upper, True) first."""
    if len(pairs) < 3 or not _free(default, x) or not _free(pairs[0][0], x):
        return None
    top = _bound(pairs[0][1], x)
    last = _bound(pairs[-1][1], x)
    if top is None or last is None or top[0] not in (">", ">=") or last[0] != ">=":
        return None
    (hi, lo) = top[1], last[1]
    if not (hi.is_number and lo.is_number and lo < hi):
        return None
    inner = pairs[1:-1]
    inner_default = pairs[-1][0]
    for bound, value in ((hi, pairs[0][0]), (lo, default)):
        got = _branch_at(inner, inner_default, x, bound)
        if got is None or not _zero(got - value) or not _dyadic(bound) or not _dyadic(value):
            return None
    if len(inner) == 1:
        op, t = _bound(inner[0][1], x) or (None, None)
        if op in (">", ">="):  # (upper, x >= t), (lower, True) -> (lower, x < t), (upper, True)
            flipped = sp.StrictLessThan(x, t) if op == ">=" else sp.LessThan(x, t)
            inner = [(inner_default, flipped)]
            inner_default = pairs[1][0]
    fused = _apply_rules(inner, inner_default, x)
    if fused is None:
        return None
    return fused.xreplace({x: Clip(x, lo, hi)})


def _dyadic(v) -> bool:
    """v is a number exactly representable in float32 (so no rounding hides a mismatch)."""
    v = sp.nsimplify(v)
    return bool(v.is_Rational) and v.q & (v.q - 1) == 0 and abs(v.p) < 2**24


def _convex_join(pairs, default, x):
    """(L, x <= a), (x, x >= b), (p(x), True) with p a polynomial, p(a) = L, p(b) = b and
    p(x) >= x on [a, b] (a square, e.g. sparse_plus: (x + 1)^2/4 - x = (x - 1)^2/4) ->
    max(p(clip(x, a, b)), x). Below a: max(L, x) = L (L >= a >= x); above b: max(b, x) = x;
    inside, fl(p) or, only where fl(p) < x <= p, x itself: closer to p than fl(p)."""
    if len(pairs) != 2:
        return None
    (l_val, l_c), (x_val, x_c) = pairs
    lb, xb = _bound(l_c, x), _bound(x_c, x)
    if lb is None or xb is None or lb[0] not in ("<", "<=") or xb[0] not in (">", ">="):
        return None
    if unwrapped(x_val) != x or not _free(l_val, x):
        return None
    a, b = lb[1], xb[1]
    p = unwrapped(default)
    if not (a.is_number and b.is_number and a < b and p.is_polynomial(x)):
        return None
    if not (_zero(p.subs(x, a) - l_val) and _zero(p.subs(x, b) - b) and _le(a, l_val)):
        return None
    gap = sp.factor(p - x)
    if not gap.is_nonnegative:
        return None
    return sp.Max(p.xreplace({x: Clip(x, a, b)}), x, evaluate=False)


_RULES = (_abs_sign, _clip, _shrink, _hinge, _mask, _symmetric, _split_zero, _select_linear,
          _outer_clamps, _convex_join)


def _leaky(pairs, default, x):
    """(k x, x <= 0), (x, True) [with clamps (H, x >= H)] -> max(x, k x) [min(., H)] when
    0 < k <= 1 [and H >= 0]: for x <= 0, k x >= x and rounding is monotonic, so fl(k x) >= x;
    for x > 0, fl(k x) <= x: the maximum is the branch's own value. k > 0 keeps k (-inf) = -inf
    (0 * -inf would be NaN). For x >= H >= 0 the maximum is x and min(x, H) = H; below H it is
    at most max(x, 0) < H and the min leaves it."""
    if unwrapped(default) != x:
        return None
    slopes, caps = [], []
    for e, c in pairs:
        b = _bound(c, x)
        if b is None:
            return None
        op, t = b
        if _free(e, x):
            if op in (">", ">=") and _free(t, x) and _zero(e - t):
                caps.append(t)
                continue
            return None
        k = sp.simplify(unwrapped(e) / x)
        if op not in ("<", "<=") or t != 0 or not _free(k, x):
            return None
        slopes.append(k)
    if len(slopes) != 1 or len(caps) > 1:
        return None
    k = slopes[0]
    fast = sp.Max(x, k * x, evaluate=False)
    guard = [sp.StrictGreaterThan(k, 0), sp.LessThan(k, 1)]
    for h in caps:
        fast = sp.Min(fast, h, evaluate=False)
        guard.append(sp.GreaterThan(h, 0))
    return fast, sp.And(*guard)


def _kinked(e, t, x):
    """k with e = t + k (x - t) as written (k free of x), or None."""
    r = unwrapped(e) - t
    if not isinstance(r, sp.Mul):
        return None
    z = [f for f in r.args if not _free(f, x)]
    if len(z) != 1 or not _zero(z[0] - (x - t)):
        return None
    return sp.Mul(*[f for f in r.args if _free(f, x)])


def _three_slopes(pairs, default, x):
    """(t_l + k_l (x - t_l), x <= t_l), (t_r + k_r (x - t_r), x >= t_r), (x, True) ->
    c + two_slopes(x - c, k_l, k_r) with c = clip(x, t_l, t_r), when t_l <= t_r. Below t_l,
    c = t_l and d = fl(x - t_l) < 0 (x != t_l; rounding is monotonic), so the
    value is t_l + fl(k_l d), the branch's own roundings; above t_r likewise with k_r; between
    them d = x - x = +0 and x + 0. Four NumPy passes where k_l = k_r (a plain product), seven
    otherwise (the slope picked by d's sign bit), against nine for clip + k_l min(x - t_l, 0)
    + k_r max(x - t_r, 0) (float32 srelu at n = 1e7: 6.0-8.3 -> 3.7-4.4 ms at the defaults)."""
    if unwrapped(default) != x or len(pairs) != 2:
        return None
    lo = hi = None
    for e, c in pairs:
        b = _bound(c, x)
        if b is None or not _free(b[1], x):
            return None
        op, t = b
        k = _kinked(e, t, x)
        if k is None:
            return None
        if op in ("<", "<=") and lo is None:
            lo = (t, k)
        elif op in (">", ">=") and hi is None:
            hi = (t, k)
        else:
            return None
    if lo is None or hi is None:
        return None
    (tl, kl), (tr, kr) = lo, hi
    c = Clip(x, tl, tr)
    fast = c + TwoSlopes(x - c, kl, kr)
    return fast, sp.LessThan(tl, tr)


class Guarded(sp.Piecewise):
    """(fast form, condition on the parameters), (general form, True): the emitter picks the
    branch once per call for scalar parameters and uses the general form for array ones."""


#: rules exact only for some parameter values: (closed form, condition on the parameters);
#: the kernel checks the condition once per call (scalar parameters) and otherwise keeps the
#: general form (see :func:`.emit.compile_outputs`)
_GUARDED = (_leaky, _three_slopes)


def _guarded(pairs, default, x, general):
    for rule in _GUARDED:
        try:
            got = rule(pairs, default, x)
        except (TypeError, ValueError, AttributeError):
            got = None
        if got is None:
            continue
        fast, guard = got
        if guard is sp.true:
            return fast
        if guard is sp.false or x in guard.free_symbols:
            continue
        return Guarded((fast, guard), (general, True), evaluate=False)
    return general


def _one(pw: sp.Piecewise, x: sp.Symbol) -> sp.Expr:
    args = list(pw.args)
    if args[-1].cond is not sp.true or x not in pw.free_symbols:
        return pw
    pairs = [(a.expr, a.cond) for a in args[:-1]]
    default = args[-1].expr
    if any(isinstance(c, sp.logic.boolalg.BooleanAtom) for _, c in pairs):
        return pw
    return _guarded(pairs, default, x, _general(pw, pairs, default, x))


def _general(pw, pairs, default, x):
    out = _apply_rules(pairs, default, x)
    if out is not None:
        return out
    if not COMMON_FACTOR:
        return _clamp_regions(pw, x)
    # a common factor x of every branch: x * (fused quotient), e.g. x * clip(m(x), 0, 1)
    quotients = [_factored(unwrapped(e) / x) for e, _ in pairs] + [_factored(unwrapped(default) / x)]
    if all(unwrapped(q).is_polynomial(x) for q in quotients) and any(_free(q, x) for q in quotients):
        out = _apply_rules(list(zip(quotients[:-1], [c for _, c in pairs], strict=True)),
                           quotients[-1], x)
        if out is not None:
            return x * out
    return _clamp_regions(pw, x)


def _clamp_regions(pw: sp.Piecewise, x: sp.Symbol) -> sp.Expr:
    """Two branches split by one bound x <= b: a branch holding an exponential of x is evaluated at
    min(x, b) (the other at max(x, b)). Where the branch is selected the argument is x itself;
    elsewhere its value is discarded, but it now stays bounded (no overflow of exp(x) for x > 0
    in a branch kept for x <= 0, which also lets float32 compute it natively)."""
    if len(pw.args) != 2:
        return pw
    (e, c), (d, _) = pw.args
    b = _bound(c, x)
    if b is None or x in b[1].free_symbols or not b[1].is_number:
        return pw
    below = b[0] in ("<", "<=")

    def growing(expr):  # exponentials of x, which overflow outside their branch
        return {f for f in sp.preorder_traversal(expr)
                if isinstance(f, (sp.exp, Expm1, sp.sinh, sp.cosh)) and x in f.free_symbols}

    shared = growing(e) & growing(d)

    def clamp(expr, lower):
        if not growing(expr) or shared:
            return expr
        bound = sp.Min(x, b[1], evaluate=False) if lower else sp.Max(x, b[1], evaluate=False)
        return expr.xreplace({x: bound})

    return sp.Piecewise((clamp(e, below), c), (clamp(d, not below), True), evaluate=False)


def _factored(q: sp.Expr) -> sp.Expr:
    """q factored, a rational coefficient kept outside the sum ((x + 3)/6, not x/6 + 1/2: no
    cancellation near the zero)."""
    q = sp.factor(sp.cancel(q))
    c, rest = q.as_coeff_Mul()
    if c != 1 and isinstance(rest, sp.Add):
        return sp.Mul(c, sp.UnevaluatedExpr(rest), evaluate=False)
    return q


def _apply_rules(pairs, default, x):
    for rule in _RULES:
        try:
            out = rule(pairs, default, x)
        except (TypeError, ValueError, AttributeError):
            out = None
        if out is not None:
            return out
    return None


def _clip_minmax(e: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """max(a, min(b, z)) / min(b, max(a, z)) with a <= b -> clip(z, a, b)."""
    if len(e.args) != 2:
        return e
    inner = [a for a in e.args if isinstance(a, (sp.Max, sp.Min)) and a.func is not e.func]
    outer = [a for a in e.args if _free(a, x)]
    if len(inner) != 1 or len(outer) != 1 or len(inner[0].args) != 2:
        return e
    ib = [a for a in inner[0].args if _free(a, x)]
    iz = [a for a in inner[0].args if not _free(a, x)]
    if len(ib) != 1 or len(iz) != 1:
        return e
    if isinstance(e, sp.Max):
        lo, hi = outer[0], ib[0]
    else:
        lo, hi = ib[0], outer[0]
    if not _le(lo, hi):
        return e
    return Clip(iz[0], lo, hi)


def _or_abs(c: sp.Or, x: sp.Symbol) -> sp.Basic:
    """``a < z | a < -z`` -> ``a < |z|`` (a free of x; also with <=): max(z, -z) = |z|, and
    NaN fails both forms. One comparison and an abs instead of two comparisons, a negation and
    an or (hardshrink's mask)."""
    if len(c.args) != 2:
        return c
    p, q = (_as_below(a, x) for a in c.args)
    if p is None or q is None or p[0] is not q[0] or not _zero(p[1] - q[1]) \
            or not _zero(p[2] + q[2]):
        return c
    return p[0](p[1], sp.Abs(p[2], evaluate=False))


def _as_below(c: sp.Basic, x: sp.Symbol):
    """A relation between a free of x and z holding x as (op, a, z) meaning ``a op z``, op
    ``<`` or ``<=`` (z < a is -a < -z)."""
    kind = type(c)
    if kind not in _OPS:
        return None
    lo, hi = (c.lhs, c.rhs) if kind in (sp.StrictLessThan, sp.LessThan) else (c.rhs, c.lhs)
    op = sp.StrictLessThan if kind in (sp.StrictLessThan, sp.StrictGreaterThan) else sp.LessThan
    if _free(lo, x) and not _free(hi, x):
        return op, lo, hi
    if _free(hi, x) and not _free(lo, x):
        return op, -hi, -lo
    return None


def fuse(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """Apply the rules above to every Piecewise / Max-Min pair of ``expr``."""
    expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: _one(e, x))
    expr = expr.replace(lambda e: isinstance(e, sp.Or), lambda e: _or_abs(e, x))
    return expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min)) and x in e.free_symbols,
                        lambda e: _clip_minmax(e, x))
