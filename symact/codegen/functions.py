"""SymPy functions with numerically stable NumPy evaluations and stable derivatives.

The rewrite rules (:mod:`symact.codegen.rewrite`) replace textbook sub-expressions by these
functions; each one knows its derivative in an equally stable form (``fdiff``), so derivatives
taken after the rewrite stay stable, and an :meth:`expand` into primitive operations that
:mod:`symact.codegen.emit` turns into in-place ufunc calls.

========== ==================== ===============================================================
function   meaning              primitive (stable) form
========== ==================== ===============================================================
Expm1(z)   exp(z) - 1           ``np.expm1``
Log1p(z)   log(1 + z)           ``np.log1p``
Erfc(z)    erfc(z)              ``scipy.special.erfc`` (1 + erf(-z) without cancellation)
Hypot(a,b) sqrt(a^2 + b^2)      ``np.hypot`` (no overflow of a^2)
Sigmoid(z) 1 / (1 + exp(-z))    exp(min(z, 0)) / (1 + exp(-|z|))
DSigmoid   sigmoid'(z)          e / (1 + e)^2 with e = exp(-|z|) (never 1 - sigmoid)
Softplus   log(1 + exp(z))      max(z, 0) + log1p(exp(-|z|))
Tanh(z)    tanh(z)              ``np.tanh``; derivative Sech2 instead of 1 - tanh^2
Sech2(z)   1 - tanh(z)^2        4 e / (1 + e)^2 with e = exp(-2|z|)
OnePlusSin 1 + sin(z)           1 + s where s = sin(z) >= 0, else cos(z)^2 / (1 - s)
========== ==================== ===============================================================

``OnePlusSin``: 1 + sin(z) cancels near z = -pi/2 + 2 k pi (1.3e7 ULP for snake' at x = 8.3e256);
(1 + s)(1 - s) = c^2 gives it as c^2 / (1 - s) with no cancellation where s < 0 (c = cos(z) is
correctly rounded, also tiny: libm reduces z exactly): at most ~2.8 ULP (c^2: 1.5, 1 - s: 0.75,
the division 0.5); where s >= 0 the sum 1 + s has no cancellation (<= 1 ULP).

``tanh(Softplus(z))`` expands to ``s k / d``, ``k = s + 2m``, ``d = s k + 2 m^2``, with
``s = exp(min(z, 0))``, ``m = exp(min(-z, 0))`` (two exps, no log1p/tanh, no cancellation; the
factor ``s`` carries the underflow for z -> -inf), and ``Sech2(Softplus(z))`` to
``(2 m (s + m) / d)^2``.

After the expansion :func:`underflow_products` turns each product ``p exp(u)`` with an
x-dependent numerator cofactor ``p`` into ``MulExp(p, exp(u), u)`` (``_rt.mul_exp``): ``p exp(u)``,
except where ``exp(u)`` is subnormal or 0, where (on those elements only) it is
``2^-512 (p exp(u + 512 log 2))`` with the sum carried exactly: a subnormal ``exp(u)`` has a
relative error up to 1/2 that ``p`` would carry into a result far above the subnormal range
(``x exp(x)`` at x = -745). Likewise ``p erfc(c x)`` becomes ``MulErfc(p, x, c)``
(``_rt.erfc_scaled`` with the cofactor).
"""

from __future__ import annotations

import sympy as sp


class Expm1(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return sp.exp(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.exp(z) - 1

    def _eval_is_real(self):
        return self.args[0].is_real


class Log1p(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return 1 / (1 + self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.log(1 + z)


class Erfc(sp.Function):
    """erfc(z) kept as written (SymPy would turn erfc(-z) into 2 - erfc(z), cancelling)."""

    nargs = 1

    def fdiff(self, argindex=1):
        z = self.args[0]
        return -2 / sp.sqrt(sp.pi) * sp.exp(-(z**2))

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.erfc(z)


class Erfcx(sp.Function):
    """The scaled complementary error function exp(z^2) erfc(z) (``scipy.special.erfcx``)."""

    nargs = 1

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.exp(z**2) * sp.erfc(z)


class Hypot(sp.Function):
    nargs = 2

    def fdiff(self, argindex=1):
        return self.args[argindex - 1] / self

    def _eval_rewrite_as_exp(self, a, b, **kwargs):
        return sp.sqrt(a**2 + b**2)

    def _eval_is_positive(self):
        return True if self.args[1].is_nonzero else None


class Sigmoid(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return DSigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))


class DSigmoid(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        # sigmoid'' = sigmoid' (1 - 2 sigmoid) = -sigmoid'(z) tanh(z / 2): no cancellation
        return -DSigmoid(self.args[0]) * Tanh(self.args[0] / 2)

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.exp(-z) / (1 + sp.exp(-z)) ** 2


class Softplus(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))


class Tanh(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return Sech2(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.tanh(z)


class Sech2(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return -2 * Sech2(self.args[0]) * Tanh(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 - sp.tanh(z) ** 2


class OnePlusSin(sp.Function):
    """1 + sin(z) without cancellation near sin(z) = -1 (see the module docstring)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.cos(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 + sp.sin(z)


class Clip(sp.Function):
    """clip(z, lo, hi) = min(max(z, lo), hi), lo <= hi (``np.clip``; NaN propagates)."""

    nargs = 3

    def _eval_rewrite_as_exp(self, z, lo, hi, **kwargs):
        return sp.Min(sp.Max(z, lo), hi)


class TwoSlopes(sp.Function):
    """k_l d where d < 0, else k_r d (``_rt.two_slopes``: one product, the slope picked by the
    sign bit of d; k_l = k_r a plain product)."""

    nargs = 3

    def _eval_rewrite_as_exp(self, d, kl, kr, **kwargs):
        return sp.Piecewise((kl * d, d < 0), (kr * d, True))


class Indicator(sp.Function):
    """1 where the condition holds, else 0 (a bool mask: ``np.multiply(v, mask)``)."""

    nargs = 1

    def _eval_rewrite_as_exp(self, c, **kwargs):
        return sp.Piecewise((1, c), (0, True))


class MulExp(sp.Function):
    """p exp(u) given e = exp(u), as ``MulExp(p, e, u)`` (``_rt.mul_exp``: exact to the last bit
    of a subnormal result); ``MulExp(p, e, x, k)`` for u = -k x^2, k a power of two (x^2 is then
    split exactly, as for ``exp`` itself)."""

    nargs = (3, 4)

    def _eval_rewrite_as_exp(self, p, e, *u, **kwargs):
        return p * e


class MulErfc(sp.Function):
    """p erfc(c x) as ``MulErfc(p, x, c)``, c^2 a power of two (``_rt.erfc_scaled`` with the
    cofactor: in the tail p erfcx(c x) exp(-c^2 x^2), the exponential scaled out of the subnormal
    range)."""

    nargs = 3

    def _eval_rewrite_as_exp(self, p, x, c, **kwargs):
        return p * Erfc(c * x)


STABLE = (Expm1, Log1p, Erfc, Hypot, Sigmoid, DSigmoid, Softplus, Tanh, Sech2, OnePlusSin)


def unwrapped(e: sp.Expr) -> sp.Expr:
    """``e`` without its ``UnevaluatedExpr`` grouping marks."""
    return e.replace(lambda a: isinstance(a, sp.UnevaluatedExpr), lambda a: a.args[0])


def to_textbook(expr: sp.Expr) -> sp.Expr:
    """Replace the stable functions by their textbook SymPy forms (for display and checks)."""
    mapping = {f: (lambda *a, _f=f: _f(*a)._eval_rewrite_as_exp(*a)) for f in STABLE}
    return expr.replace(lambda e: type(e) in mapping, lambda e: mapping[type(e)](*e.args))


def _power_of_two(c: sp.Expr) -> bool:
    if not c.is_Rational or c <= 0:
        return False
    p, q = c.p, c.q
    return (p & (p - 1) == 0) and (q & (q - 1) == 0)


def abs_split(z: sp.Expr, x: sp.Symbol | None) -> sp.Expr:
    """|z| with a factor c free of x taken out: |c| |w| for z = c w. SymPy keeps |(p1 - p2) x|
    whole when the sign of p1 - p2 is unknown; as |p1 - p2| |x| the exponential sees a
    parameter times |x| (``Program._param_product``), a product the runtime carries exactly
    (rounded, the argument's relative error |z| 2^-53 reached the result: 134 ULP for acon_c
    with p1 - p2 = 3 at x = -88.7)."""
    if x is None:
        return sp.Abs(z)
    c, w = z.as_independent(x, as_Add=False)
    return sp.Abs(c) * sp.Abs(w) if c != 1 else sp.Abs(z)


def expand(expr: sp.Expr, x: sp.Symbol | None = None) -> sp.Expr:
    """Replace each stable function by its primitive stable form (for the emitter)."""

    def one(e: sp.Expr) -> sp.Expr:
        z = e.args[0]
        if isinstance(e, Sigmoid):
            # exp(min(z, 0)) / (1 + exp(-|z|)): e^z/(1+e^z) below 0, 1/(1+e^-z) above; no
            # overflow, no cancellation, and no masked select. A positive constant factor of z
            # goes outside the min, as it does outside the abs: min and abs share z's sum
            c, w = z.as_independent(*(z.free_symbols if x is None else {x}), as_Add=False)
            low = c * sp.Min(w, 0) if c.is_positive and c != 1 else sp.Min(z, 0)
            return sp.exp(low) / (1 + sp.exp(-abs_split(z, x)))
        if isinstance(e, DSigmoid):
            q = sp.exp(-abs_split(z, x))
            # (1 + q)^2 as the divisor (1 + q in [1, 2]: no overflow): one rounding less than
            # q (1 / (1 + q))^2
            return q / sp.UnevaluatedExpr((1 + q) ** 2)
        if isinstance(e, Softplus):
            return sp.Max(z, 0) + Log1p(sp.exp(-abs_split(z, x)))
        if isinstance(e, Sech2):
            q = sp.exp(-2 * abs_split(z, x))
            return 4 * q / sp.UnevaluatedExpr((1 + q) ** 2)
        if isinstance(e, Tanh):
            return sp.tanh(z, evaluate=False)
        if isinstance(e, OnePlusSin):
            s = sp.sin(z)
            return sp.Piecewise((sp.cos(z) ** 2 / sp.UnevaluatedExpr(1 - s), s < 0),
                                (1 + s, True), evaluate=False)
        return e

    def of_softplus(e: sp.Expr) -> sp.Expr:
        z = e.args[0].args[0]
        s = sp.exp(sp.Min(z, 0))
        m = sp.exp(sp.Min(-z, 0))
        k = s + 2 * m
        d = s * k + 2 * sp.UnevaluatedExpr(m) ** 2
        if isinstance(e, Tanh):
            return s * sp.UnevaluatedExpr(k / d)
        # sech^2 = 1 - tanh^2 = 4 m^2 (s + m)^2 / d^2 (s k + m^2 = (s + m)^2: no cancellation)
        return sp.UnevaluatedExpr(2 * m * (s + m) / d) ** 2

    def scaled_softplus(m: sp.Mul) -> sp.Expr:
        """k softplus(c w) with k c = 1 (c > 0): max(w, 0) + k log1p(exp(-c |w|)), the max
        unscaled (softplus(beta x) / beta overflowed in beta x: inf at x = 9e307, beta = 3)."""
        for a in m.args:
            if not isinstance(a, Softplus):
                continue
            c, w = a.args[0].as_independent(x, as_Add=False)
            k = m / a
            if c != 1 and c.is_positive and x not in k.free_symbols and sp.simplify(
                    k * c - 1) == 0:
                return sp.Max(w, 0) + k * Log1p(sp.exp(-abs_split(a.args[0], x)))
        return m

    expr = expr.replace(lambda e: isinstance(e, (Tanh, Sech2))
                        and isinstance(e.args[0], Softplus), of_softplus)
    if x is not None:
        expr = expr.replace(lambda e: isinstance(e, sp.Mul)
                            and any(isinstance(a, Softplus) for a in e.args), scaled_softplus)
    kinds = (Sigmoid, DSigmoid, Softplus, Sech2, Tanh, OnePlusSin)
    return expr.replace(lambda e: isinstance(e, kinds), one)


def underflow_products(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """``p exp(u) ...`` (p depending on x) -> ``MulExp(p ..., exp(u), u)`` (see the module
    docstring); with several exp factors the cofactor is treated the same way recursively."""

    def scaled_erfc(a: sp.Expr) -> bool:
        if not isinstance(a, Erfc):
            return False
        c, rest = a.args[0].as_independent(x, as_Add=False)
        return rest == x and c.is_number and _power_of_two(sp.nsimplify(c**2))

    def cofactor(m: sp.Mul, e: sp.Expr) -> tuple[list, list]:
        """(x-dependent numerator factors of m besides e, the other factors): divisors are
        applied afterwards, as the emitter would (same roundings as p e / d)."""
        num = [a for a in m.args if x in a.free_symbols and a is not e
               and not (isinstance(a, sp.Pow) and a.exp.is_negative)]
        rest = [a for a in m.args if a is not e and not any(a is n for n in num)]
        return num, rest

    def one(m: sp.Mul) -> sp.Expr:
        exps = [a for a in m.args if isinstance(a, sp.exp) and x in a.free_symbols]
        erfcs = [a for a in m.args if scaled_erfc(a)]
        if not exps and erfcs:
            e = erfcs[0]
            num, rest = cofactor(m, e)
            if not num:
                return m
            small = [a for a in rest if a.is_number and abs(float(a)) <= 1]
            rest = [a for a in rest if not any(a is n for n in small)]
            # a constant factor <= 1 goes into p (x / 2 erfc(-x): no overflow of 2 x)
            c = e.args[0].as_independent(x, as_Add=False)[0]
            return sp.Mul(MulErfc(sp.Mul(*small, *num), x, c), *rest)
        if not exps:
            return m
        e = exps[0]
        num, rest = cofactor(m, e)
        # parameter factors join p (elu' = alpha exp(x), swish' ~ beta x exp(-beta |x|)): a
        # parameter applied after a subnormal product scales its rounding (10.7 ULP at
        # alpha = 25, x = -745; 10.1 at beta = 25, x = -29.95)
        params = [a for a in rest if a.free_symbols and not a.is_number
                  and not (isinstance(a, sp.Pow) and a.exp.is_negative)]
        num = num + params
        rest = [a for a in rest if not any(a is n for n in params)]
        if not num:
            return m
        p = sp.Mul(*num)
        inner = one(p) if isinstance(p, sp.Mul) else p
        c, sq = e.args[0].as_coeff_Mul()
        if sq == x**2 and c.is_negative and _power_of_two(-c):
            return sp.Mul(MulExp(inner, e, x, -c), *rest)
        return sp.Mul(MulExp(inner, e, e.args[0]), *rest)

    def visit(e: sp.Expr, den: bool = False) -> sp.Expr:
        if not isinstance(e, sp.Basic) or not e.args or x not in e.free_symbols:
            return e
        # (inside a divisor or a bounded factor of an expansion the products are left alone)
        sub = den or (isinstance(e, sp.Pow) and e.exp.is_negative) or isinstance(
            e, sp.UnevaluatedExpr)
        args = [visit(a, sub) for a in e.args]
        if isinstance(e, sp.Piecewise):
            return e.func(*[(a.args[0], a.args[1]) for a in args], evaluate=False)
        out = e if all(a is b for a, b in zip(args, e.args, strict=True)) else e.func(*args)
        return one(out) if isinstance(out, sp.Mul) and not den else out

    return visit(expr)
