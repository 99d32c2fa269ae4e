"""Small builders shared by the catalog modules (parameter symbols, framework references)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..model import Activation, FrameworkRef, X

x = X


def param(name: str, **assumptions: bool) -> sp.Symbol:
    """A real parameter symbol with extra assumptions (``positive=True``, ...)."""
    return sp.Symbol(name, real=True, **assumptions)


def hinge(z: sp.Expr) -> sp.Expr:
    """max(0, z) as a Piecewise whose derivative at the kink is 0 (PyTorch's relu'(0) = 0)."""
    return sp.Piecewise((0, z <= 0), (z, True))


def sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def softplus(z: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(z))


def torch(call: str, note: str = "", **params: str) -> FrameworkRef:
    return FrameworkRef(f"torch.{call}", params, note)


def jax(call: str, note: str = "", **params: str) -> FrameworkRef:
    return FrameworkRef(f"jax.{call}", params, note)


def keras(call: str, note: str = "", **params: str) -> FrameworkRef:
    return FrameworkRef(f"keras.activations.{call}", params, note)


def frameworks(**refs: FrameworkRef | None) -> dict[str, FrameworkRef]:
    return {k: v for k, v in refs.items() if v is not None}


def scalar(
    name: str,
    expr: sp.Expr,
    *,
    description: str,
    reference: str,
    params: dict[str, sp.Symbol] | None = None,
    defaults: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Activation:
    """A scalar catalog entry; defaults are sympified exactly."""
    params = params or {}
    defaults = {k: sp.nsimplify(v) if isinstance(v, (int, str)) else v
                for k, v in (defaults or {}).items()}
    missing = set(params) - set(defaults)
    if missing:
        raise AssertionError(f"{name}: no default for {sorted(missing)}")
    return Activation(
        name=name,
        expr=expr,
        params=params,
        defaults=defaults,
        description=description,
        reference=reference,
        **kwargs,
    )
