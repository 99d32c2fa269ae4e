"""Where each part of the sheet comes from: the analysis engine, the kernels, or a fallback.

Every part is taken from its real source when that module exists (``symact.analysis.analyze``,
``symact.analysis.derivative``, ``act.numpy``) and otherwise from a plain, honest fallback
(``sympy.diff``, mpmath values, no properties) with the reason recorded for the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..model import Activation


@dataclass
class Derived:
    """Derivatives and properties of one activation, with where they came from."""

    derivatives: dict[int, sp.Expr | None] = field(default_factory=dict)
    derivative_source: str = ""
    properties: Any = None  # Properties | VectorProperties | None
    properties_note: str = ""


def derivative(act: Activation, n: int) -> tuple[sp.Expr, str]:
    """The n-th derivative with the Piecewise kink convention, and its source in words."""
    try:
        from ..analysis import derivative as engine_derivative
    except ImportError:
        engine_derivative = None
    if engine_derivative is not None:
        try:
            return engine_derivative(act, n), "analysis engine"
        except Exception as exc:  # the engine refused: fall back, and say so
            reason = f"analysis engine failed ({type(exc).__name__}: {exc})"
    else:
        reason = "analysis engine unavailable"
    expr = act.expr
    for _ in range(n):
        # d/dx of a Piecewise differentiates each branch under the same condition: the
        # derivative at a kink is the derivative of the branch whose condition holds there.
        expr = sp.diff(expr, act.x)
    return expr, f"sympy.diff ({reason})"


UNAVAILABLE = "not derived: the analysis engine (symact.analysis.analyze) is not available"


def properties(act: Activation) -> tuple[Any, str]:
    """Properties at the default parameters from the analysis engine, or None and why not."""
    try:
        from ..analysis import analyze
    except ImportError:
        return None, UNAVAILABLE
    try:
        return analyze(act), ""
    except Exception as exc:  # reported in the sheet, never hidden
        return None, f"not derived: analysis failed ({type(exc).__name__}: {exc})"


def catalog_properties(names: list[str], report=None) -> dict[str, tuple[Any, str]]:
    """Properties of catalog activations via the engine's cached, parallel catalog run.

    The build's analysis stage has usually filled the disk cache already, so this is cheap.
    An activation whose analysis fails is reported as such; the others are unaffected.
    """
    try:
        from ..analysis import analyze_catalog
    except ImportError:
        return {n: (None, UNAVAILABLE) for n in names}
    try:
        found = analyze_catalog(names, report=report)
        return {n: (found[n], "") if n in found else (None, "not derived: no result")
                for n in names}
    except Exception:  # some analysis failed: collect the others one by one (cached)
        pass
    out = {}
    for n in names:
        try:
            out[n] = (analyze_catalog([n])[n], "")
        except Exception as exc:
            out[n] = (None, f"not derived: analysis failed ({type(exc).__name__}: {exc})")
    return out


def derive(act: Activation, with_properties: bool = True,
           known: tuple[Any, str] | None = None) -> Derived:
    out = Derived()
    if not act.is_vector:
        sources = set()
        for n in (1, 2):
            expr, source = derivative(act, n)
            out.derivatives[n] = expr
            sources.add(source)
        out.derivative_source = "; ".join(sorted(sources))
    if known is not None:
        out.properties, out.properties_note = known
    elif with_properties:
        out.properties, out.properties_note = properties(act)
    else:
        out.properties_note = "not included in this sheet (built without the analysis engine)"
    return out
