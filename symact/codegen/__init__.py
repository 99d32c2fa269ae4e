"""NumPy kernel generation: fast, numerically stable code from the symbolic definitions.

``numpy_kernel(act, order)`` returns ``k(x, *, out=None, **params)`` computing f, f' or f'';
``value_and_grad_kernel(act)`` returns one computing ``(f, f')`` with shared work. Vector
activations (softmax, softmin, log_softmax, glu) get kernels along an axis
(:mod:`symact.codegen.vector`). :mod:`symact.codegen.artifacts` writes them as a standalone
package into ``generated/kernels``.
"""

from __future__ import annotations

from collections.abc import Callable

from .kernel import CodegenError, generate, kernel

__all__ = ["CodegenError", "generate", "numpy_kernel", "value_and_grad_kernel"]


def numpy_kernel(act, order: int = 0) -> Callable:
    """Kernel ``k(x, *, out=None, **params)`` for the value (0) or derivative (1, 2) of ``act``."""
    if not isinstance(order, int) or isinstance(order, bool) or order not in (0, 1, 2):
        raise CodegenError(f"order must be 0, 1 or 2, got {order!r}")
    if act.is_vector:
        from .vector import vector_kernel

        return vector_kernel(act, order)
    return kernel(act, (order,))


def value_and_grad_kernel(act) -> Callable:
    """Kernel ``k(x, *, out=None, **params) -> (f, f')`` sharing the common work."""
    if act.is_vector:
        raise CodegenError(f"{act.name} is vector-valued: value_and_grad is for scalar "
                           "activations (use numpy(order=1) for the Jacobian-vector form)")
    return kernel(act, (0, 1))
