"""The analysis engine: derive analytic properties of activations from their definitions."""

from __future__ import annotations

from .facts import Fact, Properties, VectorProperties

__all__ = ["Fact", "Properties", "VectorProperties"]
