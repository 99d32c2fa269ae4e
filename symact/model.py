"""The model of an activation function: one SymPy definition plus its metadata.

An :class:`Activation` is immutable. Parameters are SymPy symbols carrying their assumptions
(``alpha`` positive, ...); :meth:`Activation.bind` substitutes numbers for them and returns a new
activation. Scalar activations map a real ``x`` to a real value; vector-valued activations
(softmax family, glu) carry a :class:`VectorSpec` that builds their components for a given length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal

import mpmath
import sympy as sp

from .errors import AnalysisError, ParameterError

#: The input variable every scalar activation is written in.
X = sp.Symbol("x", real=True)

Kind = Literal["scalar", "vector"]


@dataclass(frozen=True)
class FrameworkRef:
    """The equivalent of an activation in a framework (``torch``, ``jax`` or ``keras``).

    ``call`` is the call as that framework spells it; ``params`` maps symact parameter names to
    the framework's own names; ``note`` records anything the framework does beyond the function
    (a numerical shortcut such as PyTorch softplus's ``threshold``, a different default, ...).
    """

    call: str
    params: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"call": self.call, "params": dict(self.params), "note": self.note}


@dataclass(frozen=True)
class VectorSpec:
    """How a vector-valued activation acts on an input vector of length ``n``.

    ``components(n)`` returns ``(inputs, outputs)``: the list of real input symbols and the
    SymPy column matrix of outputs (for glu the output has ``n // 2`` entries).
    ``output`` describes the output shape in words.
    """

    components: Callable[[int], tuple[list[sp.Symbol], sp.Matrix]]
    output: str
    min_length: int = 1
    even_length: bool = False

    def build(self, n: int) -> tuple[list[sp.Symbol], sp.Matrix]:
        if not isinstance(n, int) or n < self.min_length:
            raise AnalysisError(f"vector length must be an integer >= {self.min_length}, got {n!r}")
        if self.even_length and n % 2:
            raise AnalysisError(f"this activation splits its input in half: length {n} is odd")
        return self.components(n)


def _to_number(name: str, value: Any) -> sp.Expr:
    """Convert a user value to an exact SymPy number (floats become the decimal they print as)."""
    if isinstance(value, bool):
        raise ParameterError(f"parameter {name!r}: expected a real number, got a bool")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"parameter {name!r}: value must be finite, got {value!r}")
        return sp.Rational(repr(value))
    if isinstance(value, str):
        try:
            number = sp.Rational(value.strip())
        except (TypeError, ValueError, SyntaxError):
            raise ParameterError(
                f"parameter {name!r}: {value!r} is not a number (write e.g. 0.5 or 1/3)"
            ) from None
        return number
    if isinstance(value, sp.Basic):
        if value.free_symbols:
            raise ParameterError(f"parameter {name!r}: value {value} is not a number")
        if value.is_real is not True or value.is_finite is not True:
            raise ParameterError(f"parameter {name!r}: value {value} is not a finite real number")
        return value
    try:
        f = float(value)  # numpy scalars and the like
    except (TypeError, ValueError):
        raise ParameterError(
            f"parameter {name!r}: expected a real number, got {type(value).__name__}"
        ) from None
    return _to_number(name, f)


#: the sign assumptions a parameter symbol may carry, as (assumption, operator, bound), the
#: strongest first (positive implies nonnegative and nonzero): ``Activation.bind`` checks them
#: on exact values, and the generated kernels on the values they are called with
#: (``codegen.kernel.domain_rules``), so both read this one table
SIGN_RULES: tuple[tuple[str, str, float], ...] = (
    ("positive", ">", 0.0), ("negative", "<", 0.0), ("nonnegative", ">=", 0.0),
    ("nonpositive", "<=", 0.0), ("nonzero", "!=", 0.0))

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    ">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b, "!=": lambda a, b: a != b}


def _check_assumptions(name: str, symbol: sp.Symbol, value: sp.Expr) -> None:
    for assumption, op, bound in SIGN_RULES:
        if symbol.assumptions0.get(assumption) and not bool(_COMPARE[op](value, 0)):
            raise ParameterError(f"parameter {name!r} must be {op} {bound:g}, got {value}")
    if symbol.assumptions0.get("integer") and not bool(value.is_integer):
        raise ParameterError(f"parameter {name!r} must be an integer, got {value}")


@dataclass(frozen=True, eq=False)
class Activation:
    """An activation function defined once as a SymPy expression.

    Attributes:
        name: snake_case catalog name.
        expr: the definition, a SymPy expression in ``x`` and the parameter symbols. For a
            vector-valued activation, a display formula in indexed notation.
        params: parameter name -> SymPy symbol (with its assumptions) still free in ``expr``.
        defaults: parameter name -> default value (exact where the literature gives one).
        aliases, description, reference: names, a one-line summary, the source.
        frameworks: ``{"torch" | "jax" | "keras": FrameworkRef}``.
        conventions: value at a jump and derivative used at a kink, in words. The conditions of
            the Piecewise in ``expr`` encode the same choice: the derivative at a kink is the
            derivative of the branch whose condition contains the point.
        constraints: relations the parameters must satisfy together (``min_val < max_val``).
        bound: parameters already bound to numbers, name -> value.
        kind: ``"scalar"`` or ``"vector"``; vector activations carry ``vector``.
    """

    name: str
    expr: sp.Expr
    params: Mapping[str, sp.Symbol] = field(default_factory=dict)
    defaults: Mapping[str, sp.Expr] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    description: str = ""
    reference: str = ""
    frameworks: Mapping[str, FrameworkRef] = field(default_factory=dict)
    conventions: tuple[str, ...] = ()
    constraints: tuple[sp.Basic, ...] = ()
    bound: Mapping[str, sp.Expr] = field(default_factory=dict)
    kind: Kind = "scalar"
    vector: VectorSpec | None = None
    user_defined: bool = False
    param_docs: Mapping[str, str] = field(default_factory=dict)
    x: sp.Symbol = X

    def __post_init__(self) -> None:
        for attr in ("params", "defaults", "frameworks", "bound", "param_docs"):
            object.__setattr__(self, attr, MappingProxyType(dict(getattr(self, attr))))

    # ------------------------------------------------------------------ identity and display
    def __repr__(self) -> str:
        bound = ", ".join(f"{k}={v}" for k, v in self.bound.items())
        return f"Activation({self.name}{', ' + bound if bound else ''}: {self.expr})"

    @property
    def is_vector(self) -> bool:
        return self.kind == "vector"

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def parameter_values(self) -> dict[str, sp.Expr]:
        """Every parameter's value in use: bound values, then defaults for the free ones."""
        values = {k: self.defaults[k] for k in self.params if k in self.defaults}
        values.update(self.bound)
        return values

    # ------------------------------------------------------------------ parameters
    def bind(self, **values: Any) -> Activation:
        """Substitute numbers for parameters; with no arguments, bind every default.

        Raises :class:`ParameterError` for an unknown name or a value that violates the
        parameter's assumptions or the activation's constraints.
        """
        if not values:
            values = {k: v for k, v in self.defaults.items() if k in self.params}
        unknown = [k for k in values if k not in self.params]
        if unknown:
            known = ", ".join(self.params) or "none"
            already = [k for k in unknown if k in self.bound]
            extra = f" ({', '.join(already)} already bound)" if already else ""
            raise ParameterError(
                f"{self.name}: unknown parameter {unknown[0]!r}{extra}; its parameters are: {known}"
            )
        numbers = {k: _to_number(k, v) for k, v in values.items()}
        for k, v in numbers.items():
            _check_assumptions(k, self.params[k], v)
        subs = {self.params[k]: v for k, v in numbers.items()}
        self._check_constraints({**{self.params[k]: v for k, v in self.bound.items()
                                    if k in self.params}, **subs}, numbers)
        remaining = {k: s for k, s in self.params.items() if k not in numbers}
        new_vector = self.vector
        if self.vector is not None and subs:
            inner = self.vector.components

            def components(n: int, _inner=inner, _subs=subs):
                xs, out = _inner(n)
                return xs, out.subs(_subs)

            new_vector = replace(self.vector, components=components)
        return replace(
            self,
            expr=self.expr.subs(subs),
            params=remaining,
            bound={**self.bound, **numbers},
            constraints=tuple(c.subs(subs) for c in self.constraints),
            vector=new_vector,
        )

    def _check_constraints(self, subs: Mapping[sp.Symbol, sp.Expr], numbers: Mapping) -> None:
        for constraint in self.constraints:
            value = constraint.subs(subs)
            if value is sp.false or value is False:
                shown = ", ".join(f"{k}={v}" for k, v in numbers.items())
                raise ParameterError(f"{self.name}: {shown} violates the constraint {constraint}")

    def with_defaults(self) -> Activation:
        """The activation with every remaining parameter bound to its default."""
        return self.bind() if self.params else self

    # ------------------------------------------------------------------ evaluation
    def __call__(self, value: Any) -> sp.Expr:
        """The definition at ``value`` (a number or SymPy expression), parameters left free."""
        self._require_scalar("evaluate at a point")
        return self.expr.subs(self.x, sp.sympify(value) if not isinstance(value, sp.Basic)
                              else value)

    def evaluate(self, value: Any, dps: int = 30, **params: Any) -> mpmath.mpf:
        """A high-precision value of f(value) (parameters at ``params``, else their defaults)."""
        self._require_scalar("evaluate at a point")
        act = self.bind(**params) if params else self
        act = act.with_defaults()
        point = sp.Rational(repr(value)) if isinstance(value, float) else sp.sympify(value)
        result = act.expr.subs(act.x, point).evalf(dps + 5)
        if not result.is_number:
            raise ParameterError(f"{self.name}: could not evaluate at {value}: {result}")
        with mpmath.workdps(dps):
            return mpmath.mpmathify(complex(result).real if result.is_real is False
                                    else result)

    def _require_scalar(self, what: str) -> None:
        if self.is_vector:
            raise AnalysisError(
                f"{self.name} is vector-valued; cannot {what} on a scalar. "
                f"Use act.vector.build(n) for its components."
            )

    # ------------------------------------------------------------------ analysis
    def derivative(self, n: int = 1) -> sp.Expr:
        """The n-th derivative (piecewise, kink convention; see :mod:`symact.analysis`)."""
        from .analysis import derivative

        return derivative(self, n)

    def properties(self, budget: float = 20.0) -> Any:
        """Every derived property (:class:`symact.analysis.Properties` or VectorProperties)."""
        from .analysis import analyze

        return analyze(self, budget)

    # ------------------------------------------------------------------ code generation
    def numpy(self, order: int = 0) -> Callable[..., Any]:
        """A NumPy kernel ``k(x, *, out=None, **params)`` for f (0), f' (1) or f'' (2).

        See :mod:`symact.codegen`; parameters default to the catalog defaults and broadcast.
        """
        from .codegen import numpy_kernel

        return numpy_kernel(self, order)

    def numpy_value_and_grad(self) -> Callable[..., Any]:
        """A NumPy kernel returning ``(f, f')`` computed with shared work."""
        from .codegen import value_and_grad_kernel

        return value_and_grad_kernel(self)

    def numpy_from_output(self) -> Callable[..., Any]:
        """A NumPy kernel ``k(y, *, out=None)`` giving f'(x) from the output ``y = f(x)``.

        The memory-saving backward form (sigmoid: y (1 - y)), generated from the derivative
        through the output that the analysis proved; parameters fixed at their bound (or
        default) values. Raises :class:`~symact.codegen.CodegenError` when f' has no such form.
        """
        from .codegen.through import from_output_kernel

        return from_output_kernel(self)

    # ------------------------------------------------------------------ serialisation
    def latex(self) -> str:
        """The definition as LaTeX (``f(x) = ...`` right-hand side)."""
        return sp.latex(self.expr)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "description": self.description,
            "expr": str(self.expr),
            "params": {k: _assumption_text(s) for k, s in self.params.items()},
            "defaults": {k: str(v) for k, v in self.defaults.items()},
            "bound": {k: str(v) for k, v in self.bound.items()},
            "reference": self.reference,
            "frameworks": {k: v.to_dict() for k, v in self.frameworks.items()},
            "conventions": list(self.conventions),
        }


def _assumption_text(symbol: sp.Symbol) -> str:
    for word in ("positive", "nonnegative", "negative", "nonpositive", "integer"):
        if symbol.assumptions0.get(word):
            return word if word != "integer" else "integer"
    return "real"
