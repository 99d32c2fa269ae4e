"""Vector-valued activations: the softmax family and the gated linear unit.

They act on a whole vector, so their ``expr`` is a display formula in indexed notation and their
:class:`~symact.model.VectorSpec` builds the components for a concrete length ``n``.
"""

from __future__ import annotations

import sympy as sp

from ..model import Activation, VectorSpec
from ._helpers import frameworks, jax, keras, sigmoid, torch

_xs = sp.IndexedBase("x", real=True)
_i, _j = sp.symbols("i j", integer=True, positive=True)
_n = sp.Symbol("n", integer=True, positive=True)


def _inputs(n: int) -> list[sp.Symbol]:
    return list(sp.symbols(f"x1:{n + 1}", real=True))


def _softmax(n: int) -> tuple[list[sp.Symbol], sp.Matrix]:
    xs = _inputs(n)
    total = sum(sp.exp(v) for v in xs)
    return xs, sp.Matrix([sp.exp(v) / total for v in xs])


def _softmin(n: int) -> tuple[list[sp.Symbol], sp.Matrix]:
    xs = _inputs(n)
    total = sum(sp.exp(-v) for v in xs)
    return xs, sp.Matrix([sp.exp(-v) / total for v in xs])


def _log_softmax(n: int) -> tuple[list[sp.Symbol], sp.Matrix]:
    xs = _inputs(n)
    lse = sp.log(sum(sp.exp(v) for v in xs))
    return xs, sp.Matrix([v - lse for v in xs])


def _glu(n: int) -> tuple[list[sp.Symbol], sp.Matrix]:
    xs = _inputs(n)
    half = n // 2
    return xs, sp.Matrix([xs[k] * sigmoid(xs[half + k]) for k in range(half)])


_SUM_EXP = sp.Sum(sp.exp(_xs[_j]), (_j, 1, _n))

ACTIVATIONS = [
    Activation(
        name="softmax",
        expr=sp.exp(_xs[_i]) / _SUM_EXP,
        kind="vector",
        vector=VectorSpec(_softmax, output="a vector of the same length on the open simplex"),
        aliases=("softargmax", "normalized_exponential"),
        description="exp(x_i) / sum_j exp(x_j) along one axis",
        reference="Bridle, Probabilistic Interpretation of Feedforward Classification Network "
        "Outputs (1990)",
        frameworks=frameworks(torch=torch("nn.functional.softmax(input, dim=-1)"),
                              jax=jax("nn.softmax(x, axis=-1)"),
                              keras=keras("softmax(x, axis=-1)")),
    ),
    Activation(
        name="softmin",
        expr=sp.exp(-_xs[_i]) / sp.Sum(sp.exp(-_xs[_j]), (_j, 1, _n)),
        kind="vector",
        vector=VectorSpec(_softmin, output="a vector of the same length on the open simplex"),
        description="softmax(-x): exp(-x_i) / sum_j exp(-x_j)",
        reference="PyTorch torch.nn.Softmin",
        frameworks=frameworks(torch=torch("nn.functional.softmin(input, dim=-1)")),
    ),
    Activation(
        name="log_softmax",
        expr=_xs[_i] - sp.log(_SUM_EXP),
        kind="vector",
        vector=VectorSpec(_log_softmax, output="a vector of the same length with entries < 0"),
        aliases=("logsoftmax",),
        description="x_i - log sum_j exp(x_j), the logarithm of softmax",
        reference="PyTorch torch.nn.LogSoftmax",
        frameworks=frameworks(torch=torch("nn.functional.log_softmax(input, dim=-1)"),
                              jax=jax("nn.log_softmax(x, axis=-1)"),
                              keras=keras("log_softmax(x, axis=-1)")),
    ),
    Activation(
        name="glu",
        expr=_xs[_i] * sigmoid(_xs[_i + _n / 2]),
        kind="vector",
        vector=VectorSpec(_glu, output="a vector of half the length", min_length=2,
                          even_length=True),
        aliases=("gated_linear_unit",),
        description="gated linear unit: the input split in halves (a, b), a * sigmoid(b)",
        reference="Dauphin, Fan, Auli & Grangier, Language Modeling with Gated Convolutional "
        "Networks (ICML 2017)",
        frameworks=frameworks(torch=torch("nn.functional.glu(input, dim=-1)"),
                              jax=jax("nn.glu(x, axis=-1)"), keras=keras("glu(x, axis=-1)")),
    ),
]
