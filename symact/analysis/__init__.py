"""The analysis engine: derive analytic properties of activations from their definitions.

Public API: :func:`analyze`, :func:`derivative`, :func:`analyze_catalog`,
:func:`format_properties`; results are :class:`Properties` / :class:`VectorProperties` of
:class:`Fact` objects.
"""

from __future__ import annotations

from ..budget import DEFAULT_BUDGET, BudgetExceeded, time_budget
from .engine import ENGINE_VERSION, analyze, analyze_catalog, default_cache_dir, derivative
from .facts import Fact, Properties, VectorProperties
from .text import format_properties

__all__ = [
    "DEFAULT_BUDGET",
    "ENGINE_VERSION",
    "BudgetExceeded",
    "Fact",
    "Properties",
    "VectorProperties",
    "analyze",
    "analyze_catalog",
    "default_cache_dir",
    "derivative",
    "format_properties",
    "time_budget",
]
