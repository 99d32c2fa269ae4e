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
========== ==================== ===============================================================
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


class Clip(sp.Function):
    """clip(z, lo, hi) = min(max(z, lo), hi), lo <= hi (``np.clip``; NaN propagates)."""

    nargs = 3

    def _eval_rewrite_as_exp(self, z, lo, hi, **kwargs):
        return sp.Min(sp.Max(z, lo), hi)


class Indicator(sp.Function):
    """1 where the condition holds, else 0 (a bool mask: ``np.multiply(v, mask)``)."""

    nargs = 1

    def _eval_rewrite_as_exp(self, c, **kwargs):
        return sp.Piecewise((1, c), (0, True))


STABLE = (Expm1, Log1p, Erfc, Hypot, Sigmoid, DSigmoid, Softplus, Tanh, Sech2)


def to_textbook(expr: sp.Expr) -> sp.Expr:
    """Replace the stable functions by their textbook SymPy forms (for display and checks)."""
    mapping = {f: (lambda *a, _f=f: _f(*a)._eval_rewrite_as_exp(*a)) for f in STABLE}
    return expr.replace(lambda e: type(e) in mapping, lambda e: mapping[type(e)](*e.args))


def _power_of_two(c: sp.Expr) -> bool:
    if not c.is_Rational or c <= 0:
        return False
    p, q = c.p, c.q
    return (p & (p - 1) == 0) and (q & (q - 1) == 0)


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
            return sp.exp(low) / (1 + sp.exp(-sp.Abs(z)))
        if isinstance(e, DSigmoid):
            q = sp.exp(-sp.Abs(z))
            return q / (1 + q) ** 2
        if isinstance(e, Softplus):
            return sp.Max(z, 0) + Log1p(sp.exp(-sp.Abs(z)))
        if isinstance(e, Sech2):
            q = sp.exp(-2 * sp.Abs(z))
            return 4 * q / (1 + q) ** 2
        if isinstance(e, Tanh):
            return sp.tanh(z, evaluate=False)
        return e

    kinds = (Sigmoid, DSigmoid, Softplus, Sech2, Tanh)
    return expr.replace(lambda e: isinstance(e, kinds), one)
