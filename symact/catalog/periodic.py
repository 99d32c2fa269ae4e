"""Periodic and radial activations: sinusoid, cosine, sinc, snake, gaussian."""

from __future__ import annotations

import sympy as sp

from ._helpers import frameworks, param, scalar, torch, x

a = param("a", positive=True)

ACTIVATIONS = [
    scalar(
        "sinusoid",
        sp.sin(x),
        aliases=("sin", "sine"),
        description="sin(x)",
        reference="Sopena, Romero & Alquézar, Neural networks with periodic and monotonic "
        "activation functions (ICANN 1999); Sitzmann et al., SIREN (NeurIPS 2020)",
        frameworks=frameworks(torch=torch("sin(input)")),
    ),
    scalar(
        "cos",
        sp.cos(x),
        aliases=("cosine",),
        description="cos(x)",
        reference="Parascandolo, Huttunen & Virtanen, Taming the waves: sine as activation "
        "function in deep neural networks (2016)",
        frameworks=frameworks(torch=torch("cos(input)")),
    ),
    scalar(
        "sinc",
        sp.sinc(x),
        description="sin(x) / x, with sinc(0) = 1 (the unnormalised sinc)",
        reference="listed in the Wikipedia activation-function table (sinc)",
        frameworks=frameworks(torch=torch("sinc(input / math.pi)",
                                          note="torch.sinc is the normalised sin(pi x)/(pi x)")),
        conventions=("sinc(0) = 1 (the removable singularity filled)",),
    ),
    scalar(
        "gaussian",
        sp.exp(-(x**2)),
        description="exp(-x^2)",
        reference="radial basis activation; listed in the Wikipedia activation-function table",
    ),
    scalar(
        "snake",
        x + sp.sin(a * x) ** 2 / a,
        params={"a": a},
        defaults={"a": 1},
        description="x + sin^2(a x) / a",
        reference="Ziyin, Hartwig & Ueda, Neural Networks Fail to Learn Periodic Functions and "
        "How to Fix It (NeurIPS 2020)",
    ),
]
