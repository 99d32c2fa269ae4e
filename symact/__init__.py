"""symact: a symbolic derivation engine for neural-network activation functions.

Each activation is defined once as a SymPy expression (:mod:`symact.catalog`); symact derives its
analytic properties, generates NumPy kernels and writes formula sheets from that one definition.
"""

from __future__ import annotations

from .catalog import activations, get, names
from .define import define
from .errors import (
    AnalysisError,
    ClaimError,
    DefinitionError,
    ParameterError,
    SymactError,
    UnknownActivation,
)
from .model import Activation, FrameworkRef, VectorSpec
from .verify import Verdict, verify

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "AnalysisError",
    "ClaimError",
    "DefinitionError",
    "FrameworkRef",
    "ParameterError",
    "SymactError",
    "UnknownActivation",
    "VectorSpec",
    "Verdict",
    "activations",
    "define",
    "get",
    "names",
    "verify",
]
