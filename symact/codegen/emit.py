"""SymPy expressions -> a straight-line program of in-place NumPy ufunc calls.

The outputs are first reduced by :func:`sympy.cse` (common subexpressions computed once), then
lowered to single-assignment operations on whole chunks; a register allocator maps the values
onto a few reused scratch buffers (an operation writes in place over an argument that dies
there) and the final value of each output straight into the output chunk. Sub-expressions free
of ``x`` (parameters and constants) are computed once per chunk as scalars. A ``Piecewise`` that
:mod:`symact.codegen.fuse` could not turn into branch-free ufuncs is a select: the default
branch is written, then each branch overwrites where its condition holds, last to first
(``_rt.select``: the masked copy as bit operations, no branch per element), so the first true
condition wins (the catalog's kink convention); a select between two constants is arithmetic on
the mask. A Piecewise whose conditions hold only parameters (soft_exponential's alpha, the guards
of :class:`.fuse.Guarded`) becomes ``if``/``elif`` over one straight-line program per branch
when the parameters are scalars. max/min against a scalar are ``np.clip`` with an infinite bound
(NumPy's maximum with a broadcast scalar has no SIMD loop). The program also tells whether
float32 input may be computed natively (:mod:`symact.codegen.precision`).

Exponentials whose argument is rounded before ``exp`` sees it get runtime helpers that carry the
argument as a double-double on the elements where its rounding matters (``|argument| > 1``):
``exp(c y)`` (``_rt.exp_mul``), ``exp(-k x^2)`` (Dekker's square), ``exp(c F(q(x)))`` for a
polynomial q and F = min(0, .), max(0, .), |.| (``_rt.exp_poly``; ``c + exp(-|q|)`` with
``c >= 1`` damps the error and stays plain) and ``exp(rest + c exp(z))`` (``_rt.exp_exp``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .functions import (
    Clip,
    Erfc,
    Erfcx,
    Expm1,
    Hypot,
    Indicator,
    Log1p,
    MulErfc,
    MulExp,
    TwoSlopes,
    _power_of_two,
    abs_split,
)
from .fuse import Guarded

#: SymPy function -> NumPy / scipy.special ufunc (as named in the generated source)
UFUNCS: dict[type, str] = {
    sp.exp: "np.exp",
    sp.log: "np.log",
    sp.sin: "_rt.sin",
    sp.cos: "_rt.cos",
    sp.tan: "np.tan",
    sp.tanh: "np.tanh",
    sp.sinh: "np.sinh",
    sp.cosh: "np.cosh",
    sp.atan: "np.arctan",
    sp.Abs: "np.abs",
    sp.sign: "np.sign",
    sp.erf: "_sc.erf",
    sp.erfc: "_sc.erfc",
    Erfc: "_sc.erfc",
    Erfcx: "_sc.erfcx",
    Expm1: "np.expm1",
    Log1p: "np.log1p",
    Hypot: "np.hypot",
    MulExp: "_rt.mul_exp",
    TwoSlopes: "_rt.two_slopes",
}

#: op names written as another call in the source: the clip ufunc itself (see ``runtime.clip``)
_SOURCE = {"np.clip": "_rt.clip"}

_RELATIONS = {
    sp.StrictLessThan: "np.less",
    sp.LessThan: "np.less_equal",
    sp.StrictGreaterThan: "np.greater",
    sp.GreaterThan: "np.greater_equal",
    sp.Equality: "np.equal",
    sp.Unequality: "np.not_equal",
}

_SCALAR_REL = {
    sp.StrictLessThan: "<",
    sp.LessThan: "<=",
    sp.StrictGreaterThan: ">",
    sp.GreaterThan: ">=",
    sp.Equality: "==",
    sp.Unequality: "!=",
}


class EmitError(Exception):
    """The expression uses something the emitter cannot lower to NumPy."""


def _num(value: sp.Expr) -> str:
    f = float(value)
    if f != f:
        return "np.nan"
    if f in (float("inf"), float("-inf")):
        return "np.inf" if f > 0 else "(-np.inf)"
    return repr(f) if f >= 0 else f"({f!r})"


@dataclass
class Op:
    dest: int
    fn: str  # ufunc name, or "select", "copy", "fill"
    args: list  # operands: int (value id), "x", or ("s", code) scalar
    kind: str = "f"  # "f" float value, "b" bool value
    extra: list = field(default_factory=list)


class Program:
    """Lowering of a list of output expressions."""

    def __init__(self, x: sp.Symbol, params: list[sp.Symbol]):
        self.x = x
        self.params = params
        self.ops: list[Op] = []
        self.memo: dict[sp.Basic, object] = {}
        self.n = 0
        self.functions: set[str] = set()
        self.signs: dict[str, str] = {}
        self.defs: dict[sp.Symbol, sp.Expr] = {}  # CSE symbol -> its expression
        self.plain_exps: dict[sp.Expr, int] = {}  # exp(..) -> its value (see _plain_exp)

    # ------------------------------------------------------------------ lowering
    def dep(self, e: sp.Basic) -> bool:
        """Whether ``e`` depends on x (directly or through a CSE symbol holding an array)."""
        return any(s == self.x or (s in self.memo and not isinstance(self.memo[s], tuple))
                   for s in e.free_symbols)

    def new(self, fn: str, args: list, kind: str = "f", extra: list | None = None) -> int:
        self.n += 1
        self.ops.append(Op(self.n, fn, args, kind, extra or []))
        if fn.startswith(("np.", "_sc.", "_rt.")):
            self.functions.add(fn)
        return self.n

    def scalar(self, e: sp.Expr) -> str:
        """Python code of an x-free expression (parameters are plain names); the sign of the
        value, when the parameter assumptions fix it, is kept in ``signs``."""
        code = self._scalar(e)
        if isinstance(e, sp.Expr) and not e.is_number:
            sign = "+" if e.is_positive else "-" if e.is_negative else None
            if sign:
                self.signs[code] = sign
        return code

    def _scalar(self, e: sp.Expr) -> str:
        if e in (sp.oo, -sp.oo, sp.nan, sp.zoo):
            return {sp.oo: "np.inf", -sp.oo: "(-np.inf)"}.get(e, "np.nan")
        if e.is_number:
            if e.is_real is False:
                raise EmitError(f"non-real constant {e}")
            return _num(e)
        if isinstance(e, sp.Symbol):
            if e in self.memo and isinstance(self.memo[e], tuple):
                return self.memo[e][1]
            if e not in self.params:
                raise EmitError(f"unknown symbol {e}")
            return "p_" + e.name
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self.scalar(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            return "(" + " * ".join(self.scalar(a) for a in e.args) + ")"
        if isinstance(e, sp.Pow):
            b, p = e.args
            if p == sp.S.Half:
                return f"np.sqrt({self.scalar(b)})"
            # (NumPy's scalar rules, not Python's: 1 / 0 is inf and 1e200 ** 2 is inf, inside
            # the core's errstate, where Python raises; (-2) ** 0.5 is NaN, not complex)
            if p == -1:
                return f"np.divide(1.0, {self.scalar(b)})"
            return f"np.power({self.scalar(b)}, {self.scalar(p)})"
        if isinstance(e, sp.Piecewise):
            code = "np.nan"
            for expr, cond in reversed(e.args):
                code = (self.scalar(expr) if cond is sp.true
                        else f"np.where({self.scalar_cond(cond)}, {self.scalar(expr)}, {code})")
            return code
        fn = UFUNCS.get(type(e))
        if fn is not None:
            return f"{fn}({', '.join(self.scalar(a) for a in e.args)})"
        if isinstance(e, Clip):
            return "np.clip({}, {}, {})".format(*(self.scalar(a) for a in e.args))
        if isinstance(e, (sp.Max, sp.Min)):
            name = "np.maximum" if isinstance(e, sp.Max) else "np.minimum"
            code = self.scalar(e.args[0])
            for a in e.args[1:]:
                code = f"{name}({code}, {self.scalar(a)})"
            return code
        raise EmitError(f"cannot lower {type(e).__name__} in {e}")

    def scalar_cond(self, c: sp.Basic) -> str:
        if c is sp.true:
            return "True"
        if c is sp.false:
            return "False"
        if type(c) in _SCALAR_REL:
            return (f"({self.scalar(c.lhs)} {_SCALAR_REL[type(c)]} {self.scalar(c.rhs)})")
        if isinstance(c, sp.And):
            return "np.logical_and.reduce([" + ", ".join(self.scalar_cond(a) for a in c.args) + "])"
        if isinstance(c, sp.Or):
            return "np.logical_or.reduce([" + ", ".join(self.scalar_cond(a) for a in c.args) + "])"
        if isinstance(c, sp.Not):
            return f"np.logical_not({self.scalar_cond(c.args[0])})"
        raise EmitError(f"cannot lower condition {c}")

    def value(self, e: sp.Basic):
        """Operand for ``e``: "x", a value id, or ("s", code)."""
        if e in self.memo:
            return self.memo[e]
        r = self._value(e)
        self.memo[e] = r
        return r

    def _value(self, e: sp.Basic):
        if e == self.x:
            return "x"
        if isinstance(e, (sp.core.relational.Relational, sp.And, sp.Or, sp.Not)):
            return self.cond(e)
        if isinstance(e, sp.Expr) and not self.dep(e) and not isinstance(
                e, sp.Piecewise):
            return ("s", self.scalar(e))
        if isinstance(e, sp.Piecewise) and not self.dep(e):
            return ("s", self.scalar(e))
        if isinstance(e, sp.UnevaluatedExpr):
            return self.value(e.args[0])
        if isinstance(e, sp.Add):
            return self._add(e)
        if isinstance(e, sp.Mul):
            return self._mul(e)
        if isinstance(e, sp.Pow):
            return self._pow(e)
        if isinstance(e, sp.Piecewise):
            return self._select(e)
        if isinstance(e, (sp.Max, sp.Min)):
            return self._minmax(e)
        if isinstance(e, sp.exp) and isinstance(e.args[0], sp.Add):
            terms = [self._inline(t) for t in e.args[0].args]
            nested = [k for k, t in enumerate(terms) if self._exp_term(t)]
            if len(nested) == 1:  # exp(rest + c exp(z)): exp(z) as a double-double
                k = nested[0]
                c, inner = terms[k].as_coeff_Mul()
                rest = sp.Add(*[t for j, t in enumerate(e.args[0].args) if j != k])
                return self.new("_rt.exp_exp", [self.value(rest), self.value(inner.args[0]),
                                                ("s", _num(c))])
        if isinstance(e, sp.exp):
            poly = self._exp_poly(e.args[0])
            if poly is not None:
                return self.new("_rt.exp_poly", ["x", self.value(e.args[0]), *poly])
        if isinstance(e, MulExp) and len(e.args) == 3:
            pc = self._param_product(e.args[2])
            if pc is not None:  # p exp(P y), P a parameter: the exponent as a double-double
                return self.new("_rt.mul_exp", [self.value(e.args[0]), self.value(e.args[1]),
                                                self.value(pc[0]), ("s", "None"), *pc[1:]])
        if isinstance(e, MulExp) and len(e.args) == 3:  # p exp(F(q(x))): one helper
            ex = e.args[1]
            for _ in range(20):
                if not isinstance(ex, sp.Symbol) or ex not in self.defs:
                    break
                ex = self.defs[ex]
            poly = self._exp_poly(ex.args[0]) if isinstance(ex, sp.exp) else None
            if poly is not None:
                return self.new("_rt.exp_poly", ["x", self.value(ex.args[0]), *poly,
                                                 self.value(e.args[0])])
        if isinstance(e, sp.exp):
            c, rest = e.args[0].as_coeff_Mul()
            if rest == self.x**2 and c.is_negative and _power_of_two(-c):
                return self._exp_neg_square(-c)
            if self._exact_of_x(rest) and c.is_number and not _power_of_two(abs(c)):
                # exp(c y), c inexact or c y rounded: c y as a double-double (runtime helper)
                hi = float(c)
                lo = float(sp.N(c - sp.Float(hi, 40), 20))
                return self.new("_rt.exp_mul", [self.value(rest), ("s", repr(hi)),
                                                ("s", repr(lo))])
        if isinstance(e, (sp.exp, Expm1)):
            pc = self._param_product(e.args[0])
            if pc is not None:  # exp(P y), P a parameter: P y as a double-double (helper)
                return self.new("_rt.exp_mul", [self.value(pc[0]), *pc[1:],
                                                ("s", str(isinstance(e, Expm1))),
                                                ("s", "False")])
        if isinstance(e, Erfc):
            c, rest = e.args[0].as_independent(self.x, as_Add=False)
            if rest == self.x and c.is_number and _power_of_two(sp.nsimplify(c**2)):
                # erfc(c x): erfcx(c x) exp(-c^2 x^2) in the tail, on those elements only
                return self.new("_rt.erfc_scaled", ["x", ("s", _num(c)),
                                                    ("s", _num(sp.nsimplify(c**2)))])
        if isinstance(e, MulErfc):  # p erfc(c x) (see functions.underflow_products)
            c = e.args[2]
            return self.new("_rt.erfc_scaled", ["x", ("s", _num(c)),
                                                ("s", _num(sp.nsimplify(c**2))),
                                                self.value(e.args[0])])
        if isinstance(e, Hypot) and e.args[1].is_number and not self.dep(e.args[1]) \
                and 2**-60 <= abs(float(e.args[1])) <= 2**20:
            return self._hypot_const(self.value(e.args[0]), float(e.args[1]))
        if isinstance(e, (sp.sin, sp.cos)):
            arg = self.defs.get(e.args[0], e.args[0])  # (through a CSE symbol)
            c, rest = arg.as_coeff_Mul()
            name = "sin" if isinstance(e, sp.sin) else "cos"
            pc, kind = None, name
            c2, rest2 = self._inline(arg).as_coeff_Mul()  # (a CSE symbol may hold 2 P)
            if c2.is_Number and abs(c2) == 2 and self.dep(rest2):  # 2 P y: P y doubled inside
                pc, kind = self._param_product(rest2 * sp.sign(c2)), name + "2"
            if pc is None:
                pc, kind = self._param_product(arg), name
            if pc is not None:  # of P y, P a parameter: the phase as a double-double
                return self._trig_mul(pc, kind)
            if c.is_Number and abs(c) == 2 and self.dep(rest):
                # sin(2 y) / cos(2 y): 2 y overflows for |y| > 2^1023 (double-angle form there)
                return self.new("_rt.trig_double", [self.value(arg / 2),
                                                    ("s", str(isinstance(e, sp.cos)))])
        if isinstance(e, Hypot) and not self.dep(e.args[1]) and self.dep(e.args[0]):
            # a parameter: the same six passes when 2^-60 <= |c| <= 2^20 (checked per call)
            self.functions.add("hypot")
            return self.new("_rt.hypot_c", [self.value(e.args[0]),
                                            ("s", self.scalar(e.args[1]))])
        if isinstance(e, MulExp) and len(e.args) == 3:
            u = self.defs.get(e.args[2], e.args[2])  # (through a CSE symbol)
            if isinstance(u, sp.Min) and len(u.args) == 2 and sp.S.Zero in u.args:
                # p exp(min(w, 0)): mul_exp reads u only where exp(u) is subnormal or 0, so
                # u < -87 < 0 and u = w there; w saves the pass computing min(w, 0)
                w = next(a for a in u.args if a != 0)
                pc = self._param_product(-abs_split(self._inline(w), self.x))
                if pc is not None:  # (there w = -|P| |x|: the exponent as a double-double)
                    return self.new("_rt.mul_exp", [self.value(e.args[0]),
                                                    self.value(e.args[1]),
                                                    self.value(pc[0]), ("s", "None"),
                                                    *pc[1:]])
                return self.new("_rt.mul_exp", [self.value(e.args[0]), self.value(e.args[1]),
                                                self.value(w)])
        if isinstance(e, sp.DiracDelta):
            return ("s", "0.0")
        if isinstance(e, Indicator):
            return self.cond(e.args[0])  # a bool mask, multiplied as 1/0
        if isinstance(e, Clip):
            z, lo, hi = e.args
            if self.dep(lo) or self.dep(hi):
                return self.value(sp.Min(sp.Max(z, lo), hi))
            return self.new("np.clip", [self.value(z), ("s", self.scalar(lo)),
                                        ("s", self.scalar(hi))])
        fn = UFUNCS.get(type(e))
        if fn is not None:
            return self.new(fn, [self.value(a) for a in e.args])
        if isinstance(e, sp.Expr) and e.is_number:
            return ("s", _num(e))
        raise EmitError(f"cannot lower {type(e).__name__} in {e}")

    def _minmax(self, e: sp.Expr):
        """max/min; against a scalar bound it is ``np.clip(a, c, inf)`` / ``np.clip(a, -inf, c)``:
        the same value (NaN propagates through clip as through maximum, also a NaN bound), but
        NumPy's maximum/minimum with a broadcast scalar has no SIMD loop (~3x the time of clip
        in float32, ~1.8x in float64)."""
        big = isinstance(e, sp.Max)
        name = "np.maximum" if big else "np.minimum"
        arrays = [a for a in e.args if self.dep(a)]
        scalars = [a for a in e.args if not self.dep(a)]
        cur = None
        for a in arrays:
            v = self.value(a)
            cur = v if cur is None else self.new(name, [cur, v])
        for c in scalars:
            code = self.scalar(c)
            if cur is None:
                cur = ("s", code)
            elif isinstance(cur, tuple):
                cur = ("s", f"{name}({cur[1]}, {code})")
            else:
                bounds = [("s", code), ("s", "np.inf")] if big else [("s", "(-np.inf)"),
                                                                      ("s", code)]
                cur = self.new("np.clip", [cur, *bounds])
        return cur

    def _exp_poly(self, arg: sp.Expr):
        """exp(c F(p)) for a polynomial p of x with two or more terms and F = min(0, .),
        max(0, .), |.| or nothing: the polynomial is re-evaluated to ~2^-60 absolute (as a head and
        a low part) where the exponent exceeds 1 in magnitude (runtime helper)."""
        for _ in range(20):  # through the CSE symbols
            if not arg.free_symbols & set(self.defs):
                break
            arg = arg.xreplace(self.defs)
        c, rest = arg.as_coeff_Mul()
        if not c.is_number or c == 0:
            return None
        kind, p = "id", rest
        if isinstance(rest, (sp.Min, sp.Max)) and len(rest.args) == 2 and sp.S.Zero in rest.args:
            p = [a for a in rest.args if a != 0][0]
            kind = ("min0" if isinstance(rest, sp.Min) else "max0") if c > 0 else (
                "max0" if isinstance(rest, sp.Min) else "min0")
        elif isinstance(rest, sp.Abs):
            p = rest.args[0]
            kind = "abs" if c > 0 else "negabs"
        if p.free_symbols != {self.x} or not p.is_polynomial(self.x):
            return None
        q = sp.Poly(sp.expand(p), self.x)
        if len(q.terms()) < 2 or q.degree() < 2 or q.degree() > 8:
            return None
        coeffs = [sp.N(sp.Abs(c) * q.coeff_monomial(self.x**k) if kind != "id" else
                       c * q.coeff_monomial(self.x**k), 40) for k in range(q.degree() + 1)]
        hi = tuple(float(a) for a in coeffs)
        lo = tuple(float(sp.N(a - sp.Float(h, 40), 20)) for a, h in zip(coeffs, hi, strict=True))
        return [("s", repr(hi)), ("s", repr(lo)), ("s", repr(kind))]

    def _plain_exp(self, t: sp.Expr, scal: list):
        """c + exp(F(q)) with c >= 1 and F(q) <= 0: the exponential's relative error
        |q| 2^-53 reaches the sum damped by e^F / (c + e^F) (at most 0.4 2^-53 in total):
        no double-double (the sigmoid's denominator 1 + exp(-|z|))."""
        if isinstance(t, sp.Symbol) and t in self.defs:  # a CSE value: its other uses (if
            t = self.defs[t]  # any) keep the helper, else the helper's op is dropped
        if not (isinstance(t, sp.exp) and len(scal) == 1 and scal[0].is_number
                and scal[0] >= 1):
            return None
        poly = self._exp_poly(t.args[0])
        if poly is None or poly[2][1] not in ("'negabs'", "'min0'"):
            return None
        v = self.new("np.exp", [self.value(t.args[0])])
        self.plain_exps[self._inline(t)] = v
        return v

    def _inline(self, e: sp.Expr) -> sp.Expr:
        """``e`` with its CSE symbols replaced by their expressions."""
        for _ in range(20):
            if not e.free_symbols & set(self.defs):
                break
            e = e.xreplace(self.defs)
        return e

    def _exp_term(self, t: sp.Expr) -> bool:
        """``t = c exp(z)``, c = +-2^k (exact product), z depending on x."""
        c, f = t.as_coeff_Mul()
        return (isinstance(f, sp.exp) and self.dep(f) and c.is_Rational
                and _power_of_two(abs(c)))

    def _exact_of_x(self, y: sp.Expr) -> bool:
        """Whether y is x, |x|, min(x, 0) or max(x, 0): a value of x computed exactly."""
        x = self.x
        return y == x or y == sp.Abs(x) or (isinstance(y, (sp.Min, sp.Max))
                                            and set(y.args) == {x, sp.S.Zero})

    def _param_product(self, arg: sp.Expr):
        """(y, c, c_lo) when ``arg`` is P y: y one of x, |x|, min(x, 0), max(x, 0) (exact) and
        P an expression of the parameters (not a number): c the code of P, c_lo the code of
        its rounding where that is known (0 for +-2^k p, 2^k recip_lo(p) for +-2^k / p; 0,
        i.e. the rounding of P kept, otherwise). The product P y is rounded where the
        exponential sees it (relative error |P y| 2^-53 in the result)."""
        arg = self.defs.get(arg, arg)
        if not isinstance(arg, sp.Mul):
            return None
        coeff, rest = arg.as_independent(self.x, as_Add=False)
        if coeff.is_number or not coeff.free_symbols or self.dep(coeff) or not \
                self._exact_of_x(rest):
            return None
        k, q = self._inline(coeff).as_coeff_Mul()  # (a CSE symbol is not a parameter)
        lo = "0.0"  # (exact for +-2^k p; for other P the rounding of P stays)
        if k.is_Rational and _power_of_two(abs(k)) and isinstance(q, sp.Pow) \
                and q.exp == -1 and isinstance(q.base, sp.Symbol) and q.base not in self.defs:
            lo = f"({_num(k)} * _rt.recip_lo({self.scalar(q.base)}))"
        return rest, ("s", self.scalar(coeff)), ("s", lo)

    def _trig_mul(self, pc: tuple, kind: str) -> int:
        """sin, cos, sin^2, sin(2 .), cos(2 .) of P y (``pc`` from :meth:`_param_product`):
        ``runtime.trig_mul`` keeps the rounding of P y, which moves the phase by up to
        |P y| 2^-53 (all the digits next to a zero of the result)."""
        return self.new("_rt.trig_mul", [self.value(pc[0]), *pc[1:], ("s", repr(kind))])

    def _hypot_const(self, a, c: float):
        """hypot(a, c), c a constant with |c| <= 2^20: u = |a|, sqrt(min(u, 2^60)^2 + c^2),
        then max(., u). Below 2^60 this is sqrt(a^2 + c^2) (two correctly rounded steps, no
        overflow, not even in float32); above, c^2 / a^2 < 2^-80 and the result is |a|
        (np.hypot is ~5x slower than these six passes); |c| >= 2^-60 keeps c^2 a normal
        number even in float32. The float32 error analysis decides whether float32 input runs
        natively (the marker "hypot" keeps the kernel off the all-exact-ufuncs shortcut)."""
        self.functions.add("hypot")
        u = self.new("np.abs", [a])
        t = self.new("np.clip", [u, ("s", "0.0"), ("s", "1.152921504606847e+18")])
        t = self.new("np.square", [t])
        t = self.new("np.add", [t, ("s", _num(c * c))])
        t = self.new("np.sqrt", [t])
        return self.new("np.maximum", [t, u])

    def _exp_neg_square(self, k: sp.Expr):
        """exp(-k x^2), k a power of two: x^2 as an exact double-double (runtime helper
        ``exp_neg_sq``; the split is skipped for float16/float32 input computed in float64)."""
        return self.new("_rt.exp_neg_sq", ["x", ("s", _num(k))])

    def cond(self, c: sp.Basic):
        if c in self.memo:
            return self.memo[c]
        if c is sp.true or c is sp.false:
            return ("s", "True" if c is sp.true else "False")
        if not self.dep(c):
            return ("s", self.scalar_cond(c))
        if type(c) in _RELATIONS:
            return self.new(_RELATIONS[type(c)], [self.value(c.lhs), self.value(c.rhs)], "b")
        if isinstance(c, (sp.And, sp.Or)):
            name = "np.logical_and" if isinstance(c, sp.And) else "np.logical_or"
            parts = [self.cond(a) for a in c.args]
            cur = parts[0]
            for p in parts[1:]:
                cur = self.new(name, [cur, p], "b")
            return cur
        if isinstance(c, sp.Not):
            return self.new("np.logical_not", [self.cond(c.args[0])], "b")
        raise EmitError(f"cannot lower condition {c}")

    def _add(self, e: sp.Add):
        scal, pos, neg = [], [], []
        for t in e.args:
            if not self.dep(t):
                scal.append(t)
                continue
            c, rest = t.as_coeff_Mul()
            if c.is_negative:
                neg.append(-t)
            else:
                pos.append(t)
        ops = [self._plain_exp(t, scal) or self.value(t) for t in pos]
        cur = ops[0] if ops else None
        for o in ops[1:]:
            cur = self.new("np.add", [cur, o])
        if cur is None and scal and neg:  # c - v: one subtraction, not a negation and an add
            cur = self.new("np.subtract", [("s", self.scalar(sp.Add(*scal))),
                                           self.value(neg[0])])
            scal, neg = [], neg[1:]
        for t in neg:
            v = self.value(t)
            cur = self.new("np.negative", [v]) if cur is None else self.new("np.subtract",
                                                                              [cur, v])
        if scal:
            cur = self.new("np.add", [cur, ("s", self.scalar(sp.Add(*scal)))])
        return cur

    def _mul(self, e: sp.Mul):
        scal, num, den = [], [], []
        for f in e.args:
            if not self.dep(f):
                scal.append(f)
            elif isinstance(f, sp.Pow) and f.exp == -1:
                den.append(f.base)
            else:
                num.append(f)
        coeff = sp.Mul(*scal)
        shared = self._sigmoid_exp(num, den)
        cur = None
        for f in num:
            v = self.value(f) if shared is None else self._exp_poly_sharing(f, shared)
            if (cur is None and coeff.is_number and coeff != 1 and coeff != -1
                    and abs(float(coeff)) <= 1):
                if coeff.is_Rational and coeff.p == 1 and coeff.q & (coeff.q - 1) == 0:
                    # x / 2^k as x * 2^-k: the same correctly rounded value, a faster loop
                    cur = self.new("np.multiply", [v, ("s", _num(coeff))])
                    coeff = sp.S.One
                    continue
                if coeff.is_Rational and coeff.p == 1:
                    cur = self.new("np.divide", [v, ("s", _num(coeff.q))])
                    coeff = sp.S.One
                    continue
                # the constant first (x * 0.5 * erfc(..) cannot overflow where x * 2 would)
                cur = self.new("np.multiply", [v, ("s", self.scalar(coeff))])
                coeff = sp.S.One
                continue
            cur = v if cur is None else self.new("np.multiply", [cur, v])
        dv = None
        for f in den:
            v = self.value(f)
            dv = v if dv is None else self.new("np.multiply", [dv, v])
        if cur is None:
            top = ("s", self.scalar(coeff))
            return self.new("np.divide", [top, dv])
        if coeff != 1:
            if coeff == -1:
                cur = self.new("np.negative", [cur])
            else:
                cur = self.new("np.multiply", [cur, ("s", self.scalar(coeff))])
        if dv is not None:
            hq = self._hypot_of_product(den[0], num[0]) if len(num) == len(den) == 1 else None
            if hq is not None:  # y / hypot(q y, c): the limit sign(y) / q where q y overflows
                return self.new("_rt.div_hypot", [cur, dv, ("s", self.scalar(hq))])
            cur = self.new("np.divide", [cur, dv])
        return cur

    def _sigmoid_exp(self, num: list, den: list) -> int | None:
        """p exp(c min(0, q)) / (1 + exp(-c |q|)) (p sigmoid(2 c q), gelu_tanh's form): the
        denominator's exponential exp(-c |q|), emitted first so that the numerator's
        ``_rt.exp_poly`` can share it (``e=``): where the results are rounded to float32,
        exp(c min(0, q)) is max(exp(-c |q|), [c min(0, q) = 0]) there, one exponential instead
        of two. None when the product is not of that form."""
        if len(num) != 1 or len(den) != 1 or not isinstance(num[0], MulExp):
            return None
        d, ex = self._inline(den[0]), self._inline(num[0].args[1])
        if not (isinstance(d, sp.Add) and len(d.args) == 2 and sp.S.One in d.args
                and isinstance(ex, sp.exp)):
            return None
        t = d.args[0] if d.args[1] == 1 else d.args[1]
        if not isinstance(t, sp.exp):
            return None
        a, b = self._exp_poly(ex.args[0]), self._exp_poly(t.args[0])
        if a is None or b is None or a[:2] != b[:2] or (a[2][1], b[2][1]) != ("'min0'",
                                                                           "'negabs'"):
            return None
        self.value(den[0])  # (emits exp(-c |q|) through _plain_exp)
        return self.plain_exps.get(t)  # (t inlined, as _plain_exp keys it)

    def _exp_poly_sharing(self, f: MulExp, e: int):
        """``f`` = p exp(c min(0, q)) as ``_rt.exp_poly`` given exp(-c |q|) (value ``e``)."""
        v = self.value(f)
        op = self.ops[v - 1] if isinstance(v, int) else None
        if (op is not None and op.dest == v and e < v and op.fn == "_rt.exp_poly"
                and len(op.args) == 6):  # (e computed before the helper runs)
            op.args.append(e)
        return v

    def _hypot_of_product(self, h: sp.Expr, y: sp.Expr) -> sp.Expr | None:
        """q when ``h`` is Hypot(q y, c), q a positive parameter expression (not a number:
        a constant q has no overflow the textbook form would not have too)."""
        h = self.defs.get(h, h)
        qy = self._positive_param_times(h.args[0]) if isinstance(h, Hypot) else None
        return qy[0] if qy is not None and qy[1] == self._inline(y) else None

    def _positive_param_times(self, z: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
        """(q, y) when z = q y, q a positive expression of the parameters (not a number)."""
        q, y = self._inline(z).as_independent(self.x, as_Add=False)
        return (q, y) if not q.is_number and q.free_symbols and q.is_positive else None

    def _pow(self, e: sp.Pow):
        b, p = e.args
        if self.dep(p):
            if b == sp.E:
                return self.new("np.exp", [self.value(p)])
            return self.new("np.power", [self.value(b), self.value(p)])
        if p == 1:
            return self.value(b)
        if p == 2 and isinstance(b, sp.sin):
            pc = self._param_product(b.args[0])
            if pc is not None:  # of P y, P a parameter: the phase as a double-double
                return self._trig_mul(pc, "sin_sq")
            # sin(y)^2 (runtime helper: tan-based, ~10x faster, for float32 results)
            return self.new("_rt.sin_sq", [self.value(b.args[0])])
        if p == -1:
            return self.new("np.divide", [("s", "1.0"), self.value(b)])
        hb = self.defs.get(b, b)  # (through a CSE symbol: the hypot shared with f)
        if (isinstance(hb, Hypot) and p.is_Rational and p <= -3 and hb.args[1].is_number
                and not self.dep(hb.args[1]) and hb.args[1] != 0):
            # (z^2 + c^2)^(p/2): the sum as a double-double, one pow (runtime helper); the
            # chain 1/hypot, square, product would carry the roundings of hypot times |p|
            qy = self._positive_param_times(hb.args[0])
            if qy is not None and self._exact_of_x(qy[1]):
                # sqrt(k) y, k a parameter: k y^2 carried exactly (the helper's k)
                return self.new("_rt.hypot_pow", [self.value(qy[1]),
                                                  ("s", _num(hb.args[1] ** 2)),
                                                  ("s", _num(p / 2)),
                                                  ("s", self.scalar(qy[0] ** 2))])
            return self.new("_rt.hypot_pow", [self.value(hb.args[0]),
                                              ("s", _num(hb.args[1] ** 2)), ("s", _num(p / 2))])
        if p.is_negative:
            # 1/b first, then the power: no overflow of b^n when b^-n is representable
            r = self.new("np.divide", [("s", "1.0"), self.value(b)])
            return self._power(r, -p)
        return self._power(self.value(b), p)

    def _power(self, v, p: sp.Expr):
        if p == 1:
            return v
        if p == 2:
            return self.new("np.square", [v])
        if p == sp.S.Half:
            return self.new("np.sqrt", [v])
        if p == sp.Rational(3, 2):
            return self.new("np.multiply", [v, self.new("np.sqrt", [v])])
        if p.is_Integer and 2 < p <= 8:
            sq = self.new("np.square", [v])
            cur = sq if p % 2 == 0 else self.new("np.multiply", [sq, v])
            for _ in range(int(p) // 2 - 1):
                cur = self.new("np.multiply", [cur, sq])
            return cur
        return self.new("np.power", [v, ("s", self.scalar(p))])

    def _select(self, e: sp.Piecewise):
        pairs = list(e.args)
        if pairs[-1].cond is not sp.true:
            pairs.append(sp.ExprCondPair(sp.nan, sp.true))
        # drop branches after an always-true condition
        cut = next(i for i, pc in enumerate(pairs) if pc.cond is sp.true)
        pairs = pairs[:cut + 1]
        default = self.value(pairs[-1].expr)
        branches = []
        for pc in pairs[:-1]:
            branches.append((self.cond(pc.cond), self.value(pc.expr)))
        if not branches:
            return default
        args = [default]
        for c, v in branches:
            args.extend([c, v])
        return self.new("select", args)


# ---------------------------------------------------------------------- register allocation
@dataclass
class Compiled:
    lines: list[str]
    nfloat: int
    nbool: int
    functions: set[str]
    native_float32: bool = False
    #: when not native: the x intervals where float32 is rejected, the rest being accepted
    #: (:func:`.precision.float32_refine`), or None
    refine: tuple[tuple[float, float], ...] | None = None
    #: (ops, results, signs) of a straight-line program (None for a dispatch on parameters):
    #: for :func:`float32_at` with the parameters fixed
    program: tuple | None = None


def _fold_constants(e: sp.Expr) -> sp.Expr:
    """One float coefficient per product (sqrt(2)/2 * x is one multiplication, not two)."""

    def one(m: sp.Mul) -> sp.Expr:
        nums = [a for a in m.args if a.is_number]
        if len(nums) < 2 and not any(isinstance(a, (sp.Pow, sp.NumberSymbol)) for a in nums):
            return m
        coeff = sp.Mul(*nums)
        rest = [a for a in m.args if not a.is_number]
        if coeff.is_Rational:
            return m
        return sp.Mul(sp.N(coeff, 30), *rest)

    return e.replace(lambda m: isinstance(m, sp.Mul) and any(a.is_number for a in m.args), one)


#: nesting depth of the parameter dispatch (each level multiplies the code by its branches)
DISPATCH_DEPTH = 2


def _param_conditions(outputs: list[sp.Expr], x: sp.Symbol) -> tuple | None:
    """The conditions of the first x-dependent Piecewise whose conditions hold only parameters
    (with a final True), or None."""
    for o in outputs:
        for e in sp.preorder_traversal(o):
            if not isinstance(e, sp.Piecewise) or x not in e.free_symbols:
                continue
            conds = tuple(a.cond for a in e.args)
            if conds[-1] is not sp.true or len(conds) < 2:
                continue
            if all(not isinstance(c, sp.logic.boolalg.BooleanAtom) and c.free_symbols
                   and x not in c.free_symbols for c in conds[:-1]):
                return conds, isinstance(e, Guarded)
    return None


def compile_outputs(outputs: list[sp.Expr], x: sp.Symbol, params: list[sp.Symbol],
                    depth: int = DISPATCH_DEPTH) -> Compiled:
    """Lower ``outputs`` (expressions in x and params) to core-function body lines.

    A Piecewise whose conditions hold only parameters is chosen once per call when those
    parameters are scalars: one straight-line program per branch under ``if``/``elif`` (the
    first true condition wins, a NaN parameter fails every comparison, as in the select), and
    the general program (a masked copy per branch) for array parameters."""
    found = _param_conditions(outputs, x) if depth > 0 else None
    if found is None:
        return _compile_straight(outputs, x, params)
    conds, guarded = found
    if guarded:  # array parameters: the general form (a fast form valid where the guard holds)
        general = compile_outputs([o.replace(
            lambda e: isinstance(e, Guarded) and tuple(a.cond for a in e.args) == conds,
            lambda e: e.args[-1].expr) for o in outputs], x, params, depth - 1)
    else:
        general = _compile_straight(outputs, x, params)
    prog = Program(x, params)
    names = sorted({"p_" + s.name for c in conds[:-1] for s in c.free_symbols})
    lines = [f"if not isinstance({names[0]}, np.ndarray)"
             + "".join(f" and not isinstance({n}, np.ndarray)" for n in names[1:]) + ":"]
    parts = [general]
    for k, cond in enumerate(conds):
        def pick(e, k=k):
            return e.args[k].expr

        branch = [o.replace(lambda e: isinstance(e, sp.Piecewise)
                            and tuple(a.cond for a in e.args) == conds, pick) for o in outputs]
        sub = compile_outputs(branch, x, params, depth - 1)
        parts.append(sub)
        head = "else:" if cond is sp.true else (
            f"{'if' if k == 0 else 'elif'} {_python_test(prog, cond)}:")
        lines.append("    " + head)
        lines.extend("        " + ln for ln in sub.lines or ["pass"])
    lines.append("else:")
    lines.extend("    " + ln for ln in general.lines or ["pass"])
    return Compiled(lines, max(p.nfloat for p in parts), max(p.nbool for p in parts),
                    set().union(*(p.functions for p in parts)),
                    all(p.native_float32 for p in parts))


def _python_test(prog: Program, c: sp.Basic) -> str:
    """A condition on scalar parameters as a Python boolean expression."""
    if isinstance(c, (sp.And, sp.Or)):
        op = " and " if isinstance(c, sp.And) else " or "
        return "(" + op.join(_python_test(prog, a) for a in c.args) + ")"
    if isinstance(c, sp.Not):
        return f"(not {_python_test(prog, c.args[0])})"
    return prog.scalar_cond(c)


def _exp_magnitude(e: sp.exp, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr | None] | None:
    """For exp(k min(0, w)) (k > 0): (k |w|, w); for exp(-k |w|): (k |w|, None); else None.
    k > 0 may rest on the parameters' assumptions (swish's beta > 0): the kernels reject
    parameter values outside them (``runtime.check_domain``)."""
    k, rest = e.args[0].as_independent(x, as_Add=False)
    if k.is_positive and isinstance(rest, sp.Min) and len(rest.args) == 2 \
            and sp.S.Zero in rest.args:
        w = next(a for a in rest.args if a != 0)
        return abs_split(k * w, x), w
    if (-k).is_nonnegative and isinstance(rest, sp.Abs):  # (k = 0: both are 1)
        return -k * rest, None
    return None


def _share_exponentials(outputs: list[sp.Expr], x: sp.Symbol) -> list[sp.Expr]:
    """exp(k min(0, w)) as max(exp(-k |w|), [w > 0]) (k > 0) where the program also computes
    exp(-k |w|), the stable sigmoid's pair (sigmoid, silu, logsigmoid', mish): one exponential
    instead of two. The same value: for w <= 0 both exponents are k w, for w > 0 the first is 1 and
    exp(-k |w|) <= 1; a NaN w gives NaN through np.maximum. Not for the exponential of a
    ``MulExp`` with a polynomial argument (its helper keeps the exponent as a double-double)."""
    atoms: set = set()
    skip: set = set()
    for o in outputs:
        atoms |= o.atoms(sp.exp)
        for m in o.atoms(MulExp):
            if isinstance(m.args[1], sp.exp) and _is_poly_exponent(m.args[1].args[0], x):
                skip.add(m.args[1])
    groups: dict = {}
    for a in atoms - skip:
        key = _exp_magnitude(a, x)
        if key is not None:
            groups.setdefault(key[0], []).append((a, key[1]))
    repl = {}
    for mag, items in groups.items():
        if len(items) < 2 or all(w is not None for _, w in items):
            continue  # (no exp(-k |w|) to share)
        shared = sp.exp(-mag)
        for a, w in items:
            if w is not None:
                # (w > 0 without w's positive factors: acon_c's beta (p1 - p2) x > 0 is
                # (p1 - p2) x > 0, the product its numerator computes anyway)
                sign = sp.Mul(*[f for f in sp.Mul.make_args(w) if not f.is_positive])
                repl[a] = sp.Max(shared, sp.Piecewise((1, sign > 0), (0, True)),
                                 evaluate=False)
    return [o.xreplace(repl) for o in outputs]


def _is_poly_exponent(arg: sp.Expr, x: sp.Symbol) -> bool:
    """Whether exp(arg) has a polynomial of two or more terms inside (``Program._exp_poly``)."""
    return any(isinstance(a, sp.Add) and a.has(x) and a.is_polynomial(x)
               for a in sp.preorder_traversal(arg))


def _compile_straight(outputs: list[sp.Expr], x: sp.Symbol, params: list[sp.Symbol]
                      ) -> Compiled:
    # UnevaluatedExpr around a Hypot (the hypot-sum rule's marker) protects nothing here:
    # unwrapped, the same hypot / 2 in both branches is one value (squareplus)
    outputs = [o.replace(lambda e: isinstance(e, sp.UnevaluatedExpr)
                         and isinstance(e.args[0], Hypot), lambda e: e.args[0])
               for o in outputs]
    outputs = [_fold_constants(o) for o in outputs]
    outputs = _share_exponentials(outputs, x)
    repl, reduced = sp.cse(outputs, symbols=sp.numbered_symbols("_c"), order="none")
    # a CSE value -x (SymPy's cse takes it out of x - a and x - b) is inlined: x - a then
    # stays one subtraction instead of a negation of a negation (the values are the same)
    inline: dict = {}
    kept = []
    for sym, sub in repl:
        sub = sub.xreplace(inline)
        if sub == -x:
            inline[sym] = sub
        else:
            kept.append((sym, sub))
    repl, reduced = kept, [r.xreplace(inline) for r in reduced]
    prog = Program(x, params)
    for sym, sub in repl:
        prog.defs[sym] = sub
        prog.memo[sym] = prog.value(sub)
    results = [prog.value(r) for r in reduced]
    return _allocate(prog, results)


def _allocate(prog: Program, results: list) -> Compiled:
    # drop operations whose value is never used (a CSE value replaced by a runtime helper)
    live = {r for r in results if isinstance(r, int)}
    kept = []
    for op in reversed(prog.ops):
        if op.dest in live:
            kept.append(op)
            live.update(a for a in op.args if isinstance(a, int))
    ops = kept[::-1]
    kinds = {op.dest: op.kind for op in ops}
    functions = prog.functions - ({op.fn for op in prog.ops} - {op.fn for op in ops})
    lines, nf, nb = _registers(ops, results, kinds)
    streamed = _schedule(ops, results)
    if streamed != ops:
        alt = _registers(streamed, results, kinds)
        if alt[1] + alt[2] <= nf + nb:
            lines, nf, nb = alt
    if "np.hypot" in functions:
        return Compiled(lines, nf, nb, functions)
    program = (ops, results, prog.signs)
    native = float32_at(program)
    compiled = Compiled(lines, nf, nb, functions, native is True,
                        native if isinstance(native, tuple) else None, program)
    if native is False:
        alt = with_exp_rounded(compiled)
        if alt is not None and (alt.native_float32 or alt.refine):
            return alt
    return compiled


def _schedule(ops: list[Op], results: list) -> list[Op]:
    """The operations in depth-first order from the outputs, the operand needing more
    registers first (Sethi-Ullman): each value is used soon after it is made, so fewer values
    are alive at once. a + b + c is then a, b, a + b, c, (a + b) + c instead of a, b, c and the
    sums; with fewer scratch buffers a chunk's working set stays nearer the core's cache (apl,
    float32, n = 1e7: 14.1 -> 11.0 ms). The same operations on the same values: the results
    are bit-identical."""
    by_dest = {op.dest: op for op in ops}
    need: dict[int, int] = {}
    for op in ops:  # (ops are in a valid order: operands first)
        subs = sorted((need[a] for a in op.args if isinstance(a, int)), reverse=True)
        need[op.dest] = max([1] + [n + i for i, n in enumerate(subs)])
    order: list[Op] = []
    done: set[int] = set()
    for r in results:
        if not isinstance(r, int) or r in done:
            continue
        stack = [(r, False)]
        while stack:
            v, expanded = stack.pop()
            if v in done:
                continue
            if expanded:
                done.add(v)
                order.append(by_dest[v])
                continue
            stack.append((v, True))
            args = [a for a in dict.fromkeys(by_dest[v].args)
                    if isinstance(a, int) and a not in done]
            args.sort(key=lambda a: -need[a])  # (stable: ties keep the operand order)
            stack.extend((a, False) for a in reversed(args))
    return order


def _registers(ops: list[Op], results: list, kinds: dict) -> tuple[list[str], int, int]:
    """Register allocation of a straight-line program: the source lines and the numbers of
    float and bool scratch buffers they use."""
    last: dict[int, int] = {}
    for i, op in enumerate(ops):
        for a in op.args:
            if isinstance(a, int):
                last[a] = i
    final = {r: k for k, r in enumerate(results) if isinstance(r, int)}
    # an output value is written straight into its output chunk only if it is the value's
    # first use as an output (two outputs equal: the second is a copy)
    reg: dict[int, str] = {}
    free_f: list[int] = []
    free_b: list[int] = []
    nf = nb = 0
    lines: list[str] = []

    def operand(a) -> str:
        if a == "x":
            return "x"
        if isinstance(a, tuple):
            return a[1]
        return reg[a]

    for i, op in enumerate(ops):
        dying = [a for a in op.args if isinstance(a, int) and last.get(a) == i and a not in final]
        # release dying arguments first (in-place), except for select: only its default
        reusable = dying if op.fn != "select" else [a for a in dying[:1] if a == op.args[0]]
        for a in dict.fromkeys(reusable):
            name = reg[a]
            if name.startswith("s["):
                (free_f if kinds[a] == "f" else free_b).append(_idx(name))
            elif name.startswith("b["):
                free_b.append(_idx(name))
        if op.dest in final:
            dest = f"o[{final[op.dest]}]"
        elif op.kind == "b":
            if free_b:
                dest = f"b[{free_b.pop()}]"
            else:
                dest = f"b[{nb}]"
                nb += 1
        else:
            if free_f:
                dest = f"s[{free_f.pop()}]"
            else:
                dest = f"s[{nf}]"
                nf += 1
        reg[op.dest] = dest
        args = [operand(a) for a in op.args]
        if op.fn == "select" and len(op.args) == 3 and all(
                isinstance(a, tuple) for a in (op.args[0], op.args[2])) and "0.0" in (
                op.args[0][1], op.args[2][1]):
            # two constants, one of them 0: c2 + (c1 - c2) * cond is exact, two fast passes
            # instead of a masked copy
            d, c, v = args
            lines.append(f"np.copyto({dest}, {c})")
            if d == "0.0" and v != "1.0":
                lines.append(f"np.multiply({dest}, {v}, out={dest})")
            elif d != "0.0":
                lines.append(f"np.multiply({dest}, ({v} - {d}), out={dest})")
                lines.append(f"np.add({dest}, {d}, out={dest})")
        elif op.fn == "select":
            default, rest = args[0], args[1:]
            if default != dest:
                lines.append(f"np.copyto({dest}, {default})")
            pairs = list(zip(rest[0::2], rest[1::2], op.args[1::2], strict=True))
            for c, v, raw in reversed(pairs):
                if isinstance(raw, tuple):  # condition on parameters only: a scalar
                    lines.append(f"np.copyto({dest}, {v}, where={c})")
                else:
                    lines.append(f"_rt.select({dest}, {c}, {v})")
        elif op.fn == "np.multiply" and op.kind == "f" and dest not in args and (
                k := _mask_operand(op, kinds)) is not None:
            # a bool mask times a value: the mask cast into the destination first, then a
            # same-dtype product (NumPy's mixed bool/float loop costs ~3 plain passes)
            lines.append(f"np.copyto({dest}, {args[k]})")
            pair = [args[0], dest] if k else [dest, args[1]]  # (the operands' order kept)
            lines.append(f"np.multiply({pair[0]}, {pair[1]}, out={dest})")
        elif op.fn == "_rt.exp_poly" and len(args) == 7:  # (the shared exponential: e=)
            lines.append(f"{op.fn}({', '.join(args[:6])}, e={args[6]}, out={dest})")
        else:
            lines.append(f"{_SOURCE.get(op.fn, op.fn)}({', '.join(args)}, out={dest})")
        for a in dict.fromkeys(dying):
            if a in reusable:
                continue
            name = reg[a]
            (free_f if name.startswith("s[") else free_b).append(_idx(name))
    for k, r in enumerate(results):
        target = f"o[{k}]"
        if isinstance(r, int) and reg.get(r) == target:
            continue
        lines.append(f"np.copyto({target}, {operand(r)})")
    return lines, nf, nb


def _mask_operand(op: Op, kinds: dict) -> int | None:
    """The index of the bool operand of a two-operand product, or None."""
    if len(op.args) != 2:
        return None
    return next((j for j, a in enumerate(op.args) if isinstance(a, int) and kinds[a] == "b"),
                None)


#: a line calling :func:`.runtime.exp_r` starts with this (after its indentation)
EXP_R = "_rt.exp_r("
#: exp(c y) with c y as a double-double; its last argument asks for the rounded exponential
EXP_MUL = "_rt.exp_mul("


def exp_lines(lines: list[str], rounded: bool) -> list[str]:
    """Exponential op lines as ``runtime.exp_r`` (``rounded``) or back to ``np.exp``: the same
    arguments; only lines that are such a call (not np.exp inside parameter code)."""
    old, new = ("np.exp(", EXP_R) if rounded else (EXP_R, "np.exp(")
    flag = (", False, out=", ", True, out=")[::1 if rounded else -1]
    out = []
    for ln in lines:
        code = ln.lstrip()
        if code.startswith(EXP_MUL) and flag[0] in code:  # (its last flag: ``rounded``)
            head, _, tail = code.rpartition(flag[0])
            out.append(ln[:len(ln) - len(code)] + head + flag[1] + tail)
            continue
        out.append(ln[:len(ln) - len(code)] + new + code[len(old):] if code.startswith(old)
                   else ln)
    return out


def with_exp_rounded(c: Compiled, values: dict | None = None) -> Compiled | None:
    """``c`` with its exponentials as ``runtime.exp_r`` (float32: the float64 exp rounded once,
    0.5 ULPs instead of NumPy's 2.45) and the float32 decision taken again (at ``values``, see
    :func:`float32_at`); None when ``c`` has no np.exp. The sigmoid family needs it: x e /
    (1 + e) with NumPy's float32 exp measures 4.16 ULPs."""
    if c.program is None or not {"np.exp", "_rt.exp_mul"} & c.functions:
        return None
    ops, results, signs = c.program
    ops = [Op(o.dest, "_rt.exp_r", o.args, o.kind, o.extra) if o.fn == "np.exp" else
           Op(o.dest, o.fn, [*o.args[:4], ("s", "True")], o.kind, o.extra)
           if o.fn == "_rt.exp_mul" and len(o.args) == 5 else o for o in ops]
    program = (ops, results, signs)
    native = float32_at(program, values)
    functions = c.functions - {"np.exp"} | ({"_rt.exp_r"} if "np.exp" in c.functions else set())
    return Compiled(exp_lines(c.lines, True), c.nfloat, c.nbool, functions,
                    native is True, native if isinstance(native, tuple) else None, program)


def float32_at(program: tuple, values: dict | None = None) -> bool | tuple:
    """The float32 decision for a straight-line ``program`` (ops, results, signs), with the
    parameters at ``values`` (``{"p_NAME": value}``) or free: True (native float32), a tuple
    of x intervals (float32 refined in float64 there) or False (float64)."""
    from .precision import float32_refine, native_float32

    ops, results, signs = program
    if native_float32(ops, results, signs, values=values):
        return True
    refine = float32_refine(ops, results, signs, values)
    if refine == ():  # accepted on every piece of the line (e.g. each branch of a select on
        return True   # the side of 0 where it is taken)
    return refine if refine is not None else False


def ops_kind(ops: list[Op], vid: int) -> str:
    return ops[vid - 1].kind


def _idx(name: str) -> int:
    return int(name[2:-1])
