"""Gaussian moments E[g(Z)], Z ~ N(0, 1), per piece: closed form when SymPy integrates within the
budget, otherwise mpmath quadrature (numeric). Also PyTorch's ``calculate_gain`` table."""

from __future__ import annotations

import mpmath
import sympy as sp

from ..budget import attempt
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
        exact = gaussian_integral(g, x, a, b)
        if exact is not None:
            total += exact
            continue
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
            simp = attempt(lambda form=form: sp.simplify(form), seconds)
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


def _phi(z: sp.Expr) -> sp.Expr:
    """The standard normal density (0 at +-oo)."""
    return sp.S.Zero if z in (sp.oo, -sp.oo) else _PHI_C * sp.exp(-z**2 / 2)


def _cdf(z: sp.Expr) -> sp.Expr:
    if z == sp.oo:
        return sp.S.One
    if z == -sp.oo:
        return sp.S.Zero
    return sp.erfc(-z / sp.sqrt(2)) / 2


def _normal_power_integrals(lo: sp.Expr, hi: sp.Expr, k: int) -> list[sp.Expr]:
    """[int_lo^hi u^j phi(u) du for j = 0..k], by I_j = [-u^(j-1) phi(u)] + (j - 1) I_(j-2)."""
    out = [_cdf(hi) - _cdf(lo), _phi(lo) - _phi(hi)]
    for j in range(2, k + 1):
        edge = sp.S.Zero
        for z, sgn in ((hi, -1), (lo, 1)):
            if z not in (sp.oo, -sp.oo):
                edge += sgn * z ** (j - 1) * _phi(z)
        out.append(edge + (j - 1) * out[j - 2])
    return out[:k + 1]


def _term(t: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, int, sp.Expr, sp.Expr] | None:
    """c x^k exp(alpha x^2 + beta x) -> (c, k, alpha, beta), or None for other shapes."""
    c, rest = t.as_independent(x, as_Add=False)
    k, arg = 0, sp.S.Zero
    for f in sp.Mul.make_args(sp.powsimp(rest)):
        if f == 1:
            continue
        if f == x:
            k += 1
        elif f.is_Pow and f.base == x and f.exp.is_Integer and f.exp > 0:
            k += int(f.exp)
        elif isinstance(f, sp.exp):
            arg += f.args[0]
        elif f.is_Pow and f.base == sp.E:
            arg += f.exp
        else:
            return None
    if arg != 0 and not sp.expand(arg).is_polynomial(x):
        return None  # exp(exp(x)), exp(1/x), ...: not a Gaussian-type factor
    poly = sp.Poly(sp.expand(arg), x) if arg != 0 else None
    if poly is not None and (poly.degree() > 2 or poly.coeff_monomial(1) != 0):
        return None
    alpha = poly.coeff_monomial(x**2) if poly is not None else sp.S.Zero
    beta = poly.coeff_monomial(x) if poly is not None else sp.S.Zero
    if not (alpha.is_number and beta.is_number and alpha.is_real
            and (alpha < sp.S.Half) == sp.true):
        return None
    return c, k, alpha, beta


def gaussian_integral(g: sp.Expr, x: sp.Symbol, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    """int_a^b g(x) phi(x) dx in closed form for g a sum of c x^k exp(alpha x^2 + beta x)
    (alpha < 1/2), or None. Deterministic and fast: completing the square,
    exp(alpha x^2 + beta x) phi(x) = s exp(mu^2 / (2 s^2)) phi((x - mu) / s) / s with
    s^2 = 1 / (1 - 2 alpha) and mu = beta s^2, then x = mu + s u and the recursion for
    int u^j phi(u) du. No call to ``sympy.integrate``, so no time budget is involved."""
    if not (a.is_number or a in (sp.oo, -sp.oo)) or not (b.is_number or b in (sp.oo, -sp.oo)):
        return None
    trig = g.has(sp.sin, sp.cos)
    if trig:
        # sin and cos as exp(+-i b x): the same formula with an imaginary beta, on the whole
        # line only (there the shift into the complex plane is exact)
        if (a, b) != (-sp.oo, sp.oo) or g.has(sp.tan, sp.sinh, sp.cosh, sp.tanh):
            return None
        g = g.rewrite(sp.exp)
    total = sp.S.Zero
    for t in sp.Add.make_args(sp.expand(g)):
        parts = _term(t, x)
        if parts is None:
            return None
        c, k, alpha, beta = parts
        s = 1 / sp.sqrt(1 - 2 * alpha)
        mu = beta * s**2
        lo = (a - mu) / s if a.is_finite else a
        hi = (b - mu) / s if b.is_finite else b
        ints = _normal_power_integrals(lo, hi, k)
        acc = sum(sp.binomial(k, j) * mu ** (k - j) * s**j * ints[j] for j in range(k + 1))
        total += c * s * sp.exp(mu**2 / (2 * s**2)) * acc
    if trig:
        total = sp.expand_complex(sp.expand(total))
        if sp.im(total) != 0:
            return None
    return total


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
