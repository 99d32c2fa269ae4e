"""Result types of the analysis engine: a :class:`Fact` per property, gathered in
:class:`Properties` (scalar activations) or :class:`VectorProperties` (softmax family, glu).

Every fact carries its *status*: ``"proved"`` (every step symbolic), ``"numeric"`` (found or
confirmed by numerical search) or ``"unknown"`` (with the reason in ``method``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

import sympy as sp

Status = Literal["proved", "numeric", "unknown"]
STATUSES: tuple[str, ...] = ("proved", "numeric", "unknown")


@dataclass(frozen=True)
class Fact:
    """One derived property: its value, how sure we are, and how it was obtained."""

    value: Any
    status: Status
    method: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @classmethod
    def unknown(cls, reason: str) -> Fact:
        return cls(None, "unknown", reason)

    @property
    def known(self) -> bool:
        return self.status != "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"value": to_jsonable(self.value), "status": self.status, "method": self.method}


@dataclass(frozen=True)
class Periodic:
    """The family ``{base + k period : k in Z}`` of a point or an open interval (the zeros and
    the monotonicity intervals of an oscillating function)."""

    base: Any  # a SymPy number, or an sp.Interval
    period: Any

    def members(self, lo: float, hi: float) -> list:
        """The members meeting [lo, hi] (points, or intervals)."""
        import math

        t = float(self.period)
        ref = float(self.base.start if isinstance(self.base, sp.Interval) else self.base)
        out = []
        for k in range(math.floor((lo - ref) / t) - 1, math.ceil((hi - ref) / t) + 2):
            shift = k * self.period
            item = (sp.Interval(self.base.start + shift, self.base.end + shift,
                                self.base.left_open, self.base.right_open)
                    if isinstance(self.base, sp.Interval) else self.base + shift)
            a = float(item.start) if isinstance(item, sp.Interval) else float(item)
            b = float(item.end) if isinstance(item, sp.Interval) else float(item)
            if b >= lo and a <= hi:
                out.append(item)
        return out

    def __str__(self) -> str:
        return f"{self.base} + {self.period}*k, k in Z"


def to_jsonable(value: Any) -> Any:
    """Convert SymPy objects (numbers, sets, expressions) and containers to JSON-able data.

    SymPy objects become their ``str`` form (``Interval.Ropen(0, oo)`` -> ``"Interval.Ropen(0,
    oo)"``); exact integers stay ints, ``oo`` becomes the string ``"oo"``.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Fact):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, sp.Basic):
        if value is sp.true or value is sp.false:
            return bool(value)
        if value.is_Integer:
            return int(value)
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


@dataclass
class Properties:
    """Every derived property of a scalar activation (parameters bound or symbolic).

    Value conventions (the contract other modules rely on):
    - ``derivative``: SymPy expression of f'; ``second_derivative``: of f''.
    - ``derivative_through_output``: SymPy expression in the symbol ``f`` (and ``x`` only where
      unavoidable), or None.
    - ``limits``: dict with keys ``"-oo"``, ``"oo"`` and, per breakpoint ``p``, ``"p-"``/``"p+"``
      (SymPy values; ``sp.oo``/``-sp.oo`` for divergence).
    - ``asymptotes``: dict ``{"-oo": expr or None, "oo": expr or None}`` (``a*x + b``).
    - ``values_at_zero``: dict ``{"f": v, "f'": v, "f''": v}``.
    - ``range``: a SymPy set (``Interval``, ``Union``, ``FiniteSet``) for the image of R.
    - ``parity``: ``"even"``, ``"odd"`` or ``"neither"``.
    - ``symmetry``: dict ``{"point": (a, b) or None, "axis": a or None}``.
    - ``odd_even_identity``: SymPy expression g with f(x) - f(-x) = g(x) when g is simpler than f
      (``x`` for softplus), or None.
    - ``monotonic`` / ``derivative_monotonic``: ``"increasing"``, ``"non-decreasing"``,
      ``"decreasing"``, ``"non-increasing"`` or ``"none"``; the matching ``*_intervals`` facts
      hold ``{"increasing": [Interval...], "decreasing": [...]}``.
    - ``continuity``: int k (C^k; -1 = discontinuous) or ``sp.oo``;
      ``nondifferentiable_points``: list of points where f' does not exist.
    - ``identity_near_origin``: bool (f(0) = 0, f'(0) = 1 and f is C^1 at 0).
    - ``bounded``: dict ``{"above": bool, "below": bool}``; ``saturation``:
      ``{"-oo": bool, "oo": bool}`` (f' -> 0 there).
    - ``max_gradient``: dict ``{"value": sup |f'|, "at": [points] or "-oo"/"oo"}``.
    - ``dead_zones``: list of intervals where f' = 0 identically.
    - ``critical_points``, ``inflection_points``, ``fixed_points``: lists of points.
    - ``extrema``: list of dicts ``{"x": p, "f": value, "kind": "min" | "max"}``.
    - ``convexity``: ``{"convex": [intervals], "concave": [intervals]}``.
    - ``taylor``: SymPy polynomial (series at 0 to order 5, O-term removed).
    - ``gaussian_moments``: dict ``{"E[f]": v, "E[f^2]": v, "E[f'^2]": v}``;
      ``init_gain``: 1/sqrt(E[f(Z)^2]); ``torch_gain``: torch.nn.init.calculate_gain's value.
    - ``parameter_conditions``: dict property -> condition in words (``"C^1 iff alpha = 1"``).
    """

    name: str
    derivative: Fact
    second_derivative: Fact
    derivative_through_output: Fact
    limits: Fact
    asymptotes: Fact
    values_at_zero: Fact
    range: Fact
    parity: Fact
    symmetry: Fact
    odd_even_identity: Fact
    monotonic: Fact
    monotonic_intervals: Fact
    derivative_monotonic: Fact
    derivative_monotonic_intervals: Fact
    continuity: Fact
    nondifferentiable_points: Fact
    identity_near_origin: Fact
    bounded: Fact
    saturation: Fact
    max_gradient: Fact
    dead_zones: Fact
    critical_points: Fact
    extrema: Fact
    convexity: Fact
    inflection_points: Fact
    fixed_points: Fact
    taylor: Fact
    gaussian_moments: Fact
    init_gain: Fact
    torch_gain: Fact
    parameter_conditions: Fact
    domain: Fact = field(default_factory=lambda: Fact(sp.S.Reals, "proved", "defined on R"))

    def facts(self) -> dict[str, Fact]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **{k: v.to_dict() for k, v in self.facts().items()}}


@dataclass
class VectorProperties:
    """Properties of a vector-valued activation (softmax family, glu).

    - ``jacobian``: closed form in words/LaTeX-able SymPy (``diag(s) - s s^T``) plus the
      checked n = 3 matrix; ``shift_invariance``: bool (f(x + c 1) = f(x));
      ``simplex``: bool (outputs positive and sum to 1); ``jacobian_norm_bound``: the bound on
      the spectral norm; ``scalar_relation``: the relation to a scalar relative (softmax of two
      inputs = sigmoid of the difference).
    """

    name: str
    jacobian: Fact
    shift_invariance: Fact
    simplex: Fact
    jacobian_norm_bound: Fact
    scalar_relation: Fact

    def facts(self) -> dict[str, Fact]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **{k: v.to_dict() for k, v in self.facts().items()}}
