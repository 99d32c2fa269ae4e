"""Access to the analysis engine (:mod:`symact.analysis`) from the checks.

The analysis engine derives every property of an activation with a proof status. The checks ask
it for the facts a claim is about; when it is not available (or fails), the checks decide the
claim by their own symbolic and numeric means and say so.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .. import budget as _budget
from ..model import Activation

_CACHE: dict[tuple, tuple[Any, str]] = {}


def _key(act: Activation, budget: float | None) -> tuple:
    return (act.name, sp.srepr(act.expr), tuple(sorted((k, str(v)) for k, v in
                                                     act.bound.items())), budget)


def properties(act: Activation, budget: float | None) -> tuple[Any, str]:
    """``(Properties, "")`` from the analysis engine, or ``(None, reason)``.

    The analysis runs in a child process under a total time limit (``10 * budget + 5`` s), so
    that no activation can hang a verification. A catalog activation at its default parameters
    goes through the engine's disk cache (the one ``symact build`` fills).
    """
    key = _key(act, budget)
    if key in _CACHE:
        return _CACHE[key]
    try:
        from ..analysis import analyze  # noqa: F401 - availability check
    except ImportError:
        result: tuple[Any, str] = (None, "analysis engine not available")
    else:
        limit = None if budget is None else 10 * budget + 5
        out = _budget.run(_analyze, act, budget, budget=limit)
        if out.ok:
            result = (out.value, "")
        else:
            result = (None, f"analysis engine: {out.reason}")
    _CACHE[key] = result
    return result


def _analyze(act: Activation, budget: float | None) -> Any:
    from .. import catalog
    from ..analysis import DEFAULT_BUDGET, analyze, analyze_catalog

    seconds = DEFAULT_BUDGET if budget is None else budget
    if not act.user_defined and catalog.is_known(act.name):
        base = catalog.get(act.name)
        if not base.is_vector and base.with_defaults().expr == act.expr:
            return analyze_catalog([act.name], jobs=1, budget=seconds)[act.name]
    return analyze(act, seconds)


def fact(act: Activation, name: str, budget: float | None) -> tuple[Any, str]:
    """The analysis fact ``name`` if known: ``(Fact, "")``, else ``(None, reason)``."""
    props, reason = properties(act, budget)
    if props is None:
        return None, reason
    value = getattr(props, name, None)
    if value is None:
        return None, f"analysis has no {name!r}"
    if getattr(value, "status", "unknown") == "unknown":
        return None, f"analysis: {name} unknown ({getattr(value, 'method', '')})"
    return value, ""


def derivative(act: Activation, n: int, budget: float | None) -> _budget.Outcome:
    """The n-th derivative: from the analysis engine when it offers one, else SymPy's diff."""
    def compute(a: Activation, order: int) -> sp.Expr:
        try:
            from ..analysis import derivative as analysis_derivative
        except ImportError:
            return sp.diff(a.expr, a.x, order)
        return analysis_derivative(a, order)

    return _budget.run(compute, act, n, budget=budget)


def clear_cache() -> None:
    _CACHE.clear()
