"""Smooth (or exponential-branch) rectifiers: softplus, the ELU family, GELU, Swish, Mish, ..."""

from __future__ import annotations

import sympy as sp

from ._helpers import frameworks, jax, keras, param, scalar, sigmoid, softplus, torch, x

R = sp.Rational

alpha = param("alpha", positive=True)
beta = param("beta", positive=True)
b = param("b", nonnegative=True)
p1, p2 = param("p1"), param("p2")
soft_alpha = param("alpha")

#: SELU's constants in closed form (Klambauer et al. 2017, eqs. 14-15): the fixed point
#: (mean, variance) = (0, 1) of the self-normalising map.
_ERFC = sp.erfc(1 / sp.sqrt(2))
SELU_ALPHA = -sp.sqrt(2 / sp.pi) / (_ERFC * sp.exp(R(1, 2)) - 1)
SELU_SCALE = (
    (1 - _ERFC * sp.sqrt(sp.E))
    * sp.sqrt(2 * sp.pi)
    / sp.sqrt(
        2 * sp.erfc(sp.sqrt(2)) * sp.E**2
        + sp.pi * _ERFC**2 * sp.E
        - 2 * (2 + sp.pi) * _ERFC * sp.sqrt(sp.E)
        + sp.pi
        + 2
    )
)

GELU_TANH_C = R(44715, 1000000)


def _elu(z: sp.Expr, a: sp.Expr) -> sp.Expr:
    return sp.Piecewise((a * (sp.exp(z) - 1), z <= 0), (z, True))


ACTIVATIONS = [
    scalar(
        "softplus",
        softplus(beta * x) / beta,
        aliases=("smooth_relu",),
        params={"beta": beta},
        defaults={"beta": 1},
        description="log(1 + exp(beta x)) / beta",
        reference="Dugas, Bengio, Bélisle, Nadeau & Garcia, Incorporating Second-Order Functional "
        "Knowledge for Better Option Pricing (NeurIPS 2000)",
        frameworks=frameworks(
            torch=torch("nn.functional.softplus(input, beta=1.0, threshold=20.0)", beta="beta",
                        note="threshold is a numerical shortcut (returns x where beta*x > 20), "
                        "not part of the function"),
            jax=jax("nn.softplus(x)"), keras=keras("softplus(x)")),
    ),
    scalar(
        "elu",
        _elu(x, alpha),
        params={"alpha": alpha},
        defaults={"alpha": 1},
        description="exponential linear unit: x for x > 0, alpha (exp(x) - 1) otherwise",
        reference="Clevert, Unterthiner & Hochreiter, Fast and Accurate Deep Network Learning by "
        "Exponential Linear Units (ICLR 2016)",
        frameworks=frameworks(
            torch=torch("nn.functional.elu(input, alpha=1.0)", alpha="alpha"),
            jax=jax("nn.elu(x, alpha=1.0)", alpha="alpha"),
            keras=keras("elu(x, alpha=1.0)", alpha="alpha")),
        conventions=("derivative at 0 is alpha (the left branch), as PyTorch's elu_backward",),
    ),
    scalar(
        "selu",
        SELU_SCALE * _elu(x, SELU_ALPHA),
        description="scaled ELU with the exact self-normalising constants "
        "lambda ≈ 1.0507009873554805, alpha ≈ 1.6732632423543772",
        reference="Klambauer, Unterthiner, Mayr & Hochreiter, Self-Normalizing Neural Networks "
        "(NeurIPS 2017)",
        frameworks=frameworks(torch=torch("nn.functional.selu(input)"), jax=jax("nn.selu(x)"),
                              keras=keras("selu(x)")),
        conventions=("derivative at 0 is lambda * alpha (the left branch), as PyTorch",),
    ),
    scalar(
        "celu",
        sp.Piecewise((alpha * (sp.exp(x / alpha) - 1), x <= 0), (x, True)),
        params={"alpha": alpha},
        defaults={"alpha": 1},
        description="continuously differentiable ELU: x for x > 0, alpha (exp(x/alpha) - 1) else",
        reference="Barron, Continuously Differentiable Exponential Linear Units (2017)",
        frameworks=frameworks(
            torch=torch("nn.functional.celu(input, alpha=1.0)", alpha="alpha"),
            jax=jax("nn.celu(x, alpha=1.0)", alpha="alpha"),
            keras=keras("celu(x, alpha=1.0)", alpha="alpha")),
        conventions=("derivative at 0 is 1 from both sides",),
    ),
    scalar(
        "gelu",
        x / 2 * (1 + sp.erf(x / sp.sqrt(2))),
        description="Gaussian error linear unit x Phi(x) = x (1 + erf(x / sqrt 2)) / 2",
        reference="Hendrycks & Gimpel, Gaussian Error Linear Units (GELUs) (2016)",
        frameworks=frameworks(
            torch=torch("nn.functional.gelu(input, approximate='none')"),
            jax=jax("nn.gelu(x, approximate=False)",
                    note="jax.nn.gelu defaults to approximate=True, which is gelu_tanh"),
            keras=keras("gelu(x, approximate=False)")),
    ),
    scalar(
        "gelu_tanh",
        x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + GELU_TANH_C * x**3))),
        aliases=("gelu_approximate",),
        description="GELU's tanh approximation x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
        reference="Hendrycks & Gimpel, Gaussian Error Linear Units (GELUs) (2016)",
        frameworks=frameworks(
            torch=torch("nn.functional.gelu(input, approximate='tanh')"),
            jax=jax("nn.gelu(x, approximate=True)"),
            keras=keras("gelu(x, approximate=True)")),
    ),
    scalar(
        "silu",
        x * sigmoid(x),
        aliases=("swish_1",),
        description="sigmoid-weighted linear unit x sigmoid(x) (swish with beta = 1)",
        reference="Elfwing, Uchibe & Doya, Sigmoid-Weighted Linear Units (2017); Hendrycks & "
        "Gimpel (2016)",
        frameworks=frameworks(torch=torch("nn.functional.silu(input)"), jax=jax("nn.silu(x)"),
                              keras=keras("silu(x)")),
    ),
    scalar(
        "swish",
        x * sigmoid(beta * x),
        params={"beta": beta},
        defaults={"beta": 1},
        description="x sigmoid(beta x)",
        reference="Ramachandran, Zoph & Le, Searching for Activation Functions (2017)",
        frameworks=frameworks(jax=jax("nn.swish(x)", note="jax.nn.swish is silu (beta = 1)"),
                              keras=keras("swish(x)", note="beta = 1")),
    ),
    scalar(
        "mish",
        x * sp.tanh(softplus(x)),
        description="x tanh(softplus(x))",
        reference="Misra, Mish: A Self Regularized Non-Monotonic Activation Function (BMVC 2020)",
        frameworks=frameworks(torch=torch("nn.functional.mish(input)"), jax=jax("nn.mish(x)"),
                              keras=keras("mish(x)")),
    ),
    scalar(
        "bent_identity",
        (sp.sqrt(x**2 + 1) - 1) / 2 + x,
        description="(sqrt(x^2 + 1) - 1) / 2 + x",
        reference="listed in the Wikipedia activation-function table (bent identity)",
    ),
    scalar(
        "squareplus",
        (x + sp.sqrt(x**2 + b)) / 2,
        params={"b": b},
        defaults={"b": 4},
        description="(x + sqrt(x^2 + b)) / 2, an algebraic softplus",
        reference="Barron, Squareplus: A Softplus-Like Algebraic Rectifier (2021)",
        frameworks=frameworks(jax=jax("nn.squareplus(x, b=4)", b="b"),
                              keras=keras("squareplus(x, b=4)", b="b")),
    ),
    scalar(
        "sparse_plus",
        sp.Piecewise((0, x <= -1), (x, x >= 1), ((x + 1) ** 2 / 4, True)),
        description="0 below -1, (x + 1)^2 / 4 on (-1, 1), x above 1",
        reference="Martins & Astudillo (ICML 2016); JAX jax.nn.sparse_plus",
        frameworks=frameworks(jax=jax("nn.sparse_plus(x)"), keras=keras("sparse_plus(x)")),
        conventions=("C^1: derivative 0 at -1 and 1 at 1 from both sides",),
    ),
    scalar(
        "exponential",
        sp.exp(x),
        aliases=("exp",),
        description="exp(x)",
        reference="Keras keras.activations.exponential",
        frameworks=frameworks(torch=torch("exp(input)"), keras=keras("exponential(x)")),
    ),
    scalar(
        "isrlu",
        sp.Piecewise((x / sp.sqrt(1 + alpha * x**2), x < 0), (x, True)),
        aliases=("inverse_square_root_linear_unit",),
        params={"alpha": alpha},
        defaults={"alpha": 1},
        description="x for x >= 0, x / sqrt(1 + alpha x^2) for x < 0",
        reference="Carlile et al., Improving Deep Learning by Inverse Square Root Linear Units "
        "(ISRLUs) (2017)",
    ),
    scalar(
        "soft_exponential",
        sp.Piecewise(
            (-sp.log(1 - soft_alpha * (x + soft_alpha)) / soft_alpha, soft_alpha < 0),
            (x, sp.Eq(soft_alpha, 0)),
            ((sp.exp(soft_alpha * x) - 1) / soft_alpha + soft_alpha, True),
        ),
        params={"alpha": soft_alpha},
        defaults={"alpha": R(1, 2)},
        description="soft exponential: interpolates log (alpha < 0), identity (alpha = 0) and exp "
        "(alpha > 0); for alpha < 0 it is defined only where 1 - alpha (x + alpha) > 0",
        reference="Godfrey & Gashler, A continuum among logarithmic, linear, and exponential "
        "functions (IC3K 2015)",
    ),
    scalar(
        "acon_c",
        (p1 - p2) * x * sigmoid(beta * (p1 - p2) * x) + p2 * x,
        params={"p1": p1, "p2": p2, "beta": beta},
        defaults={"p1": 1, "p2": 0, "beta": 1},
        description="ACON-C: (p1 - p2) x sigmoid(beta (p1 - p2) x) + p2 x (learned p1, p2, beta; "
        "the defaults give swish)",
        reference="Ma, Zhang, Liu, Zhang & Sun, Activate or Not: Learning Customized Activation "
        "(CVPR 2021)",
    ),
]
