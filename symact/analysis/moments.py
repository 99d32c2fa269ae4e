"""Gaussian moments E[g(Z)], Z ~ N(0, 1), per piece: closed form when SymPy integrates within the
budget, otherwise mpmath quadrature (numeric). Also PyTorch's ``calculate_gain`` table."""

from __future__ import annotations

import mpmath
import sympy as sp

from .budget import attempt
from .numeric import DPS, mp_function, to_float_expr

_PHI_C = 1 / sp.sqrt(2 * sp.pi)


def gaussian_expectation(parts: list[tuple[sp.Set, sp.Expr]], x: sp.Symbol,
                         seconds: float) -> tuple[sp.Expr, str, str]:
    """E[g(Z)] for g given on interval parts (points have measure zero)."""
    total = sp.S.Zero
    symbolic = True
    reason = ""
    for where, g in parts:
        if isinstance(where, sp.FiniteSet) or g == 0:
            continue
        a, b = where.start, where.end
        if not _integrable_kind(g, x):
            symbolic = False
            reason = "no closed form attempted for this integrand"
            break
        const, rest = sp.expand_power_base(g, force=True).as_independent(x, as_Add=False)
        dens = rest * sp.exp(-x**2 / 2) * _PHI_C
        got = attempt(lambda d=dens, a=a, b=b, k=const: k * sp.integrate(d, (x, a, b)), seconds)
        if got and not got.value.has(sp.Integral) and got.value.is_number \
                and not got.value.has(sp.nan, sp.zoo):
            total += got.value
        else:
            symbolic = False
            reason = got.reason or "no closed form"
            break
    if symbolic:
        value = total
        forms = [total, total.rewrite(sp.erf)] if total.has(sp.erfc) else [total]
        for form in forms:
            simp = attempt(lambda form=form: sp.simplify(form), min(seconds, 2.0))
            if simp and sp.count_ops(simp.value) <= sp.count_ops(value):
                value = simp.value
        return value, "proved", "SymPy integration"
    acc = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        for where, g in parts:
            if isinstance(where, sp.FiniteSet) or g == 0:
                continue
            fn = mp_function(g, x)
            # the Gaussian weight is below e^-800 beyond |z| = 40: cut there (and never feed
            # astronomically large arguments to exp(exp(z)) and the like)
            a = max(mpmath.mpf(-40), -mpmath.inf if where.start == -sp.oo
                    else mpmath.mpf(str(sp.N(where.start, DPS))))
            b = min(mpmath.mpf(40), mpmath.inf if where.end == sp.oo
                    else mpmath.mpf(str(sp.N(where.end, DPS))))
            if a >= b:
                continue
            pts = [a, *[p for p in (-4, 0, 4) if a < p < b], b]
            acc += mpmath.quad(lambda t, fn=fn: fn(t) * mpmath.npdf(t), pts)
    return to_float_expr(acc, 20), "numeric", f"mpmath quadrature ({reason[:60]})"


def _integrable_kind(g: sp.Expr, x: sp.Symbol) -> bool:
    """Integrands SymPy integrates against a Gaussian quickly: polynomials times exponentials
    of polynomials of degree <= 2 (and their sums)."""
    for f in g.atoms(sp.Function):
        if x in f.free_symbols and not isinstance(f, sp.exp):
            return False
        if isinstance(f, sp.exp):
            arg = f.args[0]
            if not arg.is_polynomial(x) or sp.degree(arg, x) > 2:
                return False
    for p in g.atoms(sp.Pow):
        if x in p.base.free_symbols and not (p.exp.is_Integer and p.exp >= 0):
            if not isinstance(p.base, sp.exp) and p.base != sp.E:
                return False
    return True


def torch_gain(name: str, params: dict[str, sp.Expr]) -> sp.Expr | None:
    """``torch.nn.init.calculate_gain`` for the activations PyTorch lists (reference values)."""
    if name in ("identity", "linear"):
        return sp.S.One
    if name == "sigmoid":
        return sp.S.One
    if name == "tanh":
        return sp.Rational(5, 3)
    if name == "relu":
        return sp.sqrt(2)
    if name == "leaky_relu":
        slope = params.get("negative_slope", sp.Rational(1, 100))
        return sp.sqrt(2 / (1 + slope**2))
    if name == "selu":
        return sp.Rational(3, 4)
    return None
