"""Human-readable rendering of analysis results (``symact show NAME``)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from .facts import Fact, Properties, VectorProperties

MAX_ITEMS = 6  # longer lists (oscillating functions) are cut in the text view

_MARK = {"proved": "", "numeric": "  [numeric]", "unknown": "  [unknown]"}

_LABELS = {
    "domain": "Domain",
    "derivative": "f'(x)",
    "second_derivative": "f''(x)",
    "derivative_through_output": "f' via output f",
    "limits": "Limits",
    "asymptotes": "Asymptotes",
    "values_at_zero": "At x = 0",
    "range": "Range",
    "parity": "Parity",
    "symmetry": "Symmetry",
    "odd_even_identity": "f(x) - f(-x)",
    "monotonic": "Monotonic",
    "monotonic_intervals": "  rises/falls",
    "derivative_monotonic": "f' monotonic",
    "derivative_monotonic_intervals": "  f' rises/falls",
    "continuity": "Continuity",
    "nondifferentiable_points": "Not differentiable at",
    "identity_near_origin": "Identity near 0",
    "bounded": "Bounded",
    "saturation": "Saturates (f' -> 0)",
    "max_gradient": "sup |f'|",
    "dead_zones": "Dead zones (f' = 0)",
    "critical_points": "Critical points",
    "extrema": "Local extrema",
    "convexity": "Convexity",
    "inflection_points": "Inflection points",
    "fixed_points": "Fixed points f(x) = x",
    "taylor": "Taylor at 0 (order 5)",
    "gaussian_moments": "Gaussian moments",
    "init_gain": "Init gain 1/sqrt(E f^2)",
    "torch_gain": "torch calculate_gain",
    "parameter_conditions": "Parameter conditions",
    "jacobian": "Jacobian",
    "shift_invariance": "f(x + c) = f(x)",
    "simplex": "Outputs on simplex",
    "jacobian_norm_bound": "||J|| <=",
    "scalar_relation": "Scalar relative",
}


def show_value(v: Any) -> str:
    """A compact text form of a fact's value."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, sp.Set):
        return _set(v)
    if isinstance(v, sp.Basic):
        return _num(v)
    if isinstance(v, dict):
        if set(v) == {"value", "at"}:
            at = ", ".join(show_value(a) for a in v["at"]) or "-"
            return f"{show_value(v['value'])} at {at}"
        if set(v) == {"x", "f", "kind"}:
            return f"{v['kind']} f({show_value(v['x'])}) = {show_value(v['f'])}"
        if "closed_form" in v:
            return str(v["closed_form"])
        parts = [f"{k}: {show_value(val)}" for k, val in v.items()
                 if not (isinstance(val, list) and not val)]
        return "; ".join(parts) if parts else "none"
    if isinstance(v, (list, tuple)):
        if not v:
            return "none"
        if isinstance(v, tuple):
            return "(" + ", ".join(show_value(a) for a in v) + ")"
        if len(v) > MAX_ITEMS:
            shown = ", ".join(show_value(a) for a in v[:MAX_ITEMS])
            return f"{shown}, ... ({len(v)} in all)"
        return ", ".join(show_value(a) for a in v)
    return str(v)


def _num(v: sp.Basic) -> str:
    if v is sp.oo:
        return "oo"
    if v is -sp.oo:
        return "-oo"
    if isinstance(v, sp.Float):
        return sp.sstr(sp.Float(v, 15))
    text = sp.sstr(v)
    if v.is_number and not v.is_Rational and len(text) > 40:
        return f"{text[:60]}{'...' if len(text) > 60 else ''} (~ {sp.N(v, 12)})"
    return text


def _set(s: sp.Set) -> str:
    if s == sp.S.Reals:
        return "R"
    if isinstance(s, sp.Interval):
        lb = "(" if s.left_open or s.start == -sp.oo else "["
        rb = ")" if s.right_open or s.end == sp.oo else "]"
        return f"{lb}{_num(s.start)}, {_num(s.end)}{rb}"
    if isinstance(s, sp.Union):
        return " u ".join(_set(a) for a in s.args)
    if isinstance(s, sp.FiniteSet):
        return "{" + ", ".join(_num(a) for a in s.args) + "}"
    return sp.sstr(s)


def _line(label: str, fact: Fact) -> str:
    if fact.status == "unknown":
        return f"  {label:<24} unknown ({fact.method})"
    return f"  {label:<24} {show_value(fact.value)}{_MARK[fact.status]}"


def format_properties(props: Properties | VectorProperties, methods: bool = False) -> str:
    """All facts, one per line; numeric results are marked ``[numeric]``."""
    lines = [f"{props.name}"]
    facts = props.facts()
    order = ["domain", *[k for k in facts if k != "domain"]] if "domain" in facts else list(facts)
    for key in order:
        fact = facts[key]
        lines.append(_line(_LABELS.get(key, key), fact))
        if methods and fact.method and fact.status != "unknown":
            lines.append(f"  {'':<24}   by: {fact.method}")
    counts = {s: sum(f.status == s for f in facts.values()) for s in ("proved", "numeric",
                                                                        "unknown")}
    lines.append(f"  ({counts['proved']} proved, {counts['numeric']} numeric, "
                 f"{counts['unknown']} unknown)")
    return "\n".join(lines)
