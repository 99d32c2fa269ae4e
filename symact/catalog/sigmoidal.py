"""Bounded, S-shaped and odd squashing functions: sigmoid, tanh and their relatives."""

from __future__ import annotations

import sympy as sp

from ._helpers import frameworks, jax, keras, param, scalar, sigmoid, softplus, torch, x

R = sp.Rational

alpha = param("alpha", positive=True)

ACTIVATIONS = [
    scalar(
        "sigmoid",
        sigmoid(x),
        aliases=("logistic", "expit"),
        description="logistic sigmoid 1 / (1 + exp(-x))",
        reference="Verhulst (1845); Rumelhart, Hinton & Williams (Nature 1986)",
        frameworks=frameworks(torch=torch("sigmoid(input)"), jax=jax("nn.sigmoid(x)"),
                              keras=keras("sigmoid(x)")),
    ),
    scalar(
        "tanh",
        sp.tanh(x),
        aliases=("hyperbolic_tangent",),
        description="hyperbolic tangent",
        reference="LeCun, Bottou, Orr & Müller, Efficient BackProp (1998)",
        frameworks=frameworks(torch=torch("tanh(input)"), jax=jax("nn.tanh(x)"),
                              keras=keras("tanh(x)")),
    ),
    scalar(
        "lecun_tanh",
        R(17159, 10000) * sp.tanh(R(2, 3) * x),
        aliases=("scaled_tanh",),
        description="LeCun's scaled tanh 1.7159 tanh(2x/3)",
        reference="LeCun, Bottou, Orr & Müller, Efficient BackProp (1998), section 4.4",
    ),
    scalar(
        "arctan",
        sp.atan(x),
        aliases=("atan",),
        description="inverse tangent",
        reference="classical; listed in the Wikipedia activation-function table",
        frameworks=frameworks(torch=torch("atan(input)")),
    ),
    scalar(
        "softsign",
        x / (1 + sp.Abs(x)),
        aliases=("soft_sign",),
        description="x / (1 + |x|)",
        reference="Bergstra et al., Quadratic polynomials learn better image features (2009); "
        "Glorot & Bengio (AISTATS 2010)",
        frameworks=frameworks(torch=torch("nn.functional.softsign(input)"),
                              jax=jax("nn.soft_sign(x)"), keras=keras("softsign(x)")),
    ),
    scalar(
        "symmetric_sigmoid",
        (1 - sp.exp(-x)) / (1 + sp.exp(-x)),
        aliases=("bipolar_sigmoid",),
        description="(1 - exp(-x)) / (1 + exp(-x)) = 2 sigmoid(x) - 1",
        reference="bipolar sigmoid; e.g. Fausett, Fundamentals of Neural Networks (1994)",
    ),
    scalar(
        "loglog",
        1 - sp.exp(-sp.exp(x)),
        aliases=("cloglog", "complementary_log_log"),
        description="1 - exp(-exp(x)), the inverse of the complementary log-log link",
        reference="Gomes, Mansur & Ludermir, Complementary log-log and probit: activation "
        "functions implemented in artificial neural networks (HIS 2008)",
    ),
    scalar(
        "logsigmoid",
        -softplus(-x),
        aliases=("log_sigmoid",),
        description="log(sigmoid(x)) = -softplus(-x)",
        reference="PyTorch torch.nn.LogSigmoid",
        frameworks=frameworks(torch=torch("nn.functional.logsigmoid(input)"),
                              jax=jax("nn.log_sigmoid(x)"), keras=keras("log_sigmoid(x)")),
    ),
    scalar(
        "isru",
        x / sp.sqrt(1 + alpha * x**2),
        aliases=("inverse_square_root_unit",),
        params={"alpha": alpha},
        defaults={"alpha": 1},
        description="inverse square root unit x / sqrt(1 + alpha x^2)",
        reference="Carlile, Delamarter, Kinney, Marti & Whitney, Improving Deep Learning by "
        "Inverse Square Root Linear Units (ISRLUs) (2017)",
    ),
    scalar(
        "sqnl",
        sp.Piecewise((1, x > 2), (x - x**2 / 4, x >= 0), (x + x**2 / 4, x >= -2), (-1, True)),
        aliases=("square_nonlinearity",),
        description="square nonlinearity: x - x^2/4 on [0, 2], x + x^2/4 on [-2, 0), ±1 beyond",
        reference="Wuraola & Patel, SQNL: A New Computationally Efficient Activation Function "
        "(IJCNN 2018)",
    ),
    scalar(
        "tanhshrink",
        x - sp.tanh(x),
        aliases=("tanh_shrink",),
        description="x - tanh(x)",
        reference="PyTorch torch.nn.Tanhshrink",
        frameworks=frameworks(torch=torch("nn.functional.tanhshrink(input)"),
                              keras=keras("tanh_shrink(x)")),
    ),
]
