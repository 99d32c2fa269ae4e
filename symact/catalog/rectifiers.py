"""Piecewise-linear activations: step, ReLU and its leaky/clipped/shrinking relatives.

Kinks are written as ``Piecewise`` whose conditions put the kink point in the branch whose
derivative PyTorch uses there (relu'(0) = 0, hardtanh'(±1) = 0, ...).
"""

from __future__ import annotations

import sympy as sp

from ._helpers import frameworks, hinge, jax, keras, param, scalar, torch, x

R = sp.Rational

negative_slope = param("negative_slope")
weight = param("weight")
lower = param("lower", nonnegative=True)
upper = param("upper", nonnegative=True)
min_val = param("min_val")
max_val = param("max_val")
lambd = param("lambd", nonnegative=True)
threshold = param("threshold")
value = param("value")
t_l, a_l, t_r, a_r = param("t_l"), param("a_l"), param("t_r"), param("a_r")
apl_a1, apl_b1, apl_a2, apl_b2 = param("a_1"), param("b_1"), param("a_2"), param("b_2")

KINK_LEFT = "derivative at 0 is 0 (the left derivative), as PyTorch's autograd uses"

ACTIVATIONS = [
    scalar(
        "step",
        sp.Piecewise((0, x < 0), (1, True)),
        aliases=("heaviside", "binary_step"),
        description="Heaviside step: 0 for x < 0, 1 for x >= 0",
        reference="McCulloch & Pitts (1943); Rosenblatt's perceptron (1958)",
        frameworks=frameworks(torch=torch("heaviside(input, values=torch.tensor(1.0))",
                                          note="torch.heaviside needs the value at 0; 1 here")),
        conventions=("step(0) = 1", "derivative 0 everywhere, including at the jump "
                     "(the Dirac delta at 0 is not propagated)"),
    ),
    scalar(
        "identity",
        x,
        aliases=("linear",),
        description="the identity f(x) = x",
        reference="linear activation; e.g. Goodfellow, Bengio & Courville, Deep Learning (2016)",
        frameworks=frameworks(torch=torch("nn.Identity()"), jax=jax("nn.identity(x)"),
                              keras=keras("linear(x)")),
    ),
    scalar(
        "relu",
        hinge(x),
        aliases=("rectifier",),
        description="rectified linear unit max(0, x)",
        reference="Nair & Hinton, Rectified Linear Units Improve Restricted Boltzmann Machines "
        "(ICML 2010); Glorot, Bordes & Bengio (AISTATS 2011)",
        frameworks=frameworks(torch=torch("nn.functional.relu(input)"), jax=jax("nn.relu(x)"),
                              keras=keras("relu(x)")),
        conventions=(KINK_LEFT,),
    ),
    scalar(
        "leaky_relu",
        sp.Piecewise((negative_slope * x, x <= 0), (x, True)),
        aliases=("lrelu",),
        params={"negative_slope": negative_slope},
        defaults={"negative_slope": R(1, 100)},
        description="leaky ReLU: x for x > 0, negative_slope * x otherwise",
        reference="Maas, Hannun & Ng, Rectifier Nonlinearities Improve Neural Network Acoustic "
        "Models (ICML 2013)",
        frameworks=frameworks(
            torch=torch("nn.functional.leaky_relu(input, negative_slope=0.01)",
                        negative_slope="negative_slope"),
            jax=jax("nn.leaky_relu(x, negative_slope=0.01)", negative_slope="negative_slope"),
            keras=keras("leaky_relu(x, negative_slope=0.2)", negative_slope="negative_slope",
                        note="Keras's default slope is 0.2, not 0.01"),
        ),
        conventions=("derivative at 0 is negative_slope (the left derivative), as PyTorch",),
    ),
    scalar(
        "prelu",
        sp.Piecewise((weight * x, x <= 0), (x, True)),
        params={"weight": weight},
        defaults={"weight": R(1, 4)},
        description="parametric ReLU: x for x > 0, weight * x otherwise (weight learned)",
        reference="He, Zhang, Ren & Sun, Delving Deep into Rectifiers (ICCV 2015)",
        frameworks=frameworks(torch=torch("nn.functional.prelu(input, weight)", weight="weight",
                                          note="nn.PReLU initialises weight to 0.25")),
        conventions=("derivative at 0 is weight (the left derivative), as PyTorch",),
    ),
    scalar(
        "rrelu",
        sp.Piecewise(((lower + upper) / 2 * x, x <= 0), (x, True)),
        aliases=("randomized_leaky_relu",),
        params={"lower": lower, "upper": upper},
        defaults={"lower": R(1, 8), "upper": R(1, 3)},
        constraints=(sp.Le(lower, upper),),
        description="randomized leaky ReLU in evaluation mode: slope (lower + upper) / 2 for x <= 0",
        reference="Xu, Wang, Chen & Li, Empirical Evaluation of Rectified Activations in "
        "Convolutional Network (2015)",
        frameworks=frameworks(torch=torch(
            "nn.functional.rrelu(input, lower=1/8, upper=1/3, training=False)",
            lower="lower", upper="upper",
            note="in training mode the slope is drawn from U(lower, upper) per element; "
            "symact defines the deterministic evaluation-mode function")),
        conventions=("derivative at 0 is (lower + upper) / 2 (the left derivative), as PyTorch",),
    ),
    scalar(
        "hardtanh",
        sp.Piecewise((min_val, x <= min_val), (max_val, x >= max_val), (x, True)),
        aliases=("hard_tanh",),
        params={"min_val": min_val, "max_val": max_val},
        defaults={"min_val": -1, "max_val": 1},
        constraints=(sp.Lt(min_val, max_val),),
        description="x clipped to [min_val, max_val]",
        reference="Collobert, Large Scale Machine Learning (PhD thesis, 2004)",
        frameworks=frameworks(
            torch=torch("nn.functional.hardtanh(input, min_val=-1.0, max_val=1.0)",
                        min_val="min_val", max_val="max_val"),
            jax=jax("nn.hard_tanh(x)"), keras=keras("hard_tanh(x)")),
        conventions=("derivative 0 at min_val and max_val (PyTorch's hardtanh_backward)",),
    ),
    scalar(
        "relu6",
        sp.Piecewise((0, x <= 0), (6, x >= 6), (x, True)),
        description="ReLU capped at 6: min(max(0, x), 6)",
        reference="Krizhevsky, Convolutional Deep Belief Networks on CIFAR-10 (2010); "
        "Howard et al., MobileNets (2017)",
        frameworks=frameworks(torch=torch("nn.functional.relu6(input)"), jax=jax("nn.relu6(x)"),
                              keras=keras("relu6(x)")),
        conventions=("derivative 0 at 0 and at 6 (PyTorch: relu6 is hardtanh(0, 6))",),
    ),
    scalar(
        "leaky_relu6",
        sp.Piecewise((negative_slope * x, x <= 0), (6, x >= 6), (x, True)),
        params={"negative_slope": negative_slope},
        defaults={"negative_slope": R(1, 100)},
        description="leaky ReLU capped at 6: negative_slope * x below 0, x on [0, 6], 6 above",
        reference="the ReLU6 and leaky ReLU combination proposed in seed 001 (V. Jain, "
        "'Everything you need to know about activation functions', 2019); no framework has it",
        conventions=("derivative negative_slope at 0 and 0 at 6, following leaky_relu and relu6",),
    ),
    scalar(
        "hardsigmoid",
        sp.Piecewise((0, x <= -3), (1, x >= 3), (x / 6 + R(1, 2), True)),
        aliases=("hard_sigmoid",),
        description="PyTorch's hard sigmoid relu6(x + 3) / 6",
        reference="Howard et al., Searching for MobileNetV3 (ICCV 2019)",
        frameworks=frameworks(torch=torch("nn.functional.hardsigmoid(input)"),
                              jax=jax("nn.hard_sigmoid(x)"),
                              keras=keras("hard_sigmoid(x)", note="Keras 3; Keras 2 used "
                                          "hard_sigmoid_legacy")),
        conventions=("derivative 0 at -3 and 3 (PyTorch's hardsigmoid_backward)",),
    ),
    scalar(
        "hard_sigmoid_legacy",
        sp.Piecewise((0, x <= -R(5, 2)), (1, x >= R(5, 2)), (x / 5 + R(1, 2), True)),
        aliases=("hard_sigmoid_keras2",),
        description="the older hard sigmoid clip(0.2 x + 0.5, 0, 1) of Keras 2 and Theano",
        reference="Courbariaux, Bengio & David, BinaryConnect (NeurIPS 2015); Keras 2 / Theano",
        frameworks=frameworks(keras=keras("hard_sigmoid(x)", note="Keras 2.x only")),
        conventions=("derivative 0 at -2.5 and 2.5, like hardsigmoid",),
    ),
    scalar(
        "hardswish",
        sp.Piecewise((0, x < -3), (x, x > 3), (x * (x + 3) / 6, True)),
        aliases=("hard_swish", "hard_silu"),
        description="x * relu6(x + 3) / 6",
        reference="Howard et al., Searching for MobileNetV3 (ICCV 2019)",
        frameworks=frameworks(torch=torch("nn.functional.hardswish(input)"),
                              jax=jax("nn.hard_swish(x)"), keras=keras("hard_silu(x)")),
        conventions=("derivative at -3 is -1/2 and at 3 is 3/2: the inner branch, as PyTorch's "
                     "hardswish_backward",),
    ),
    scalar(
        "absolute",
        sp.Piecewise((-x, x < 0), (x, x > 0), (0, True)),
        aliases=("abs",),
        description="absolute value |x|",
        reference="e.g. Jarrett et al., What is the Best Multi-Stage Architecture for Object "
        "Recognition? (ICCV 2009)",
        frameworks=frameworks(torch=torch("abs(input)")),
        conventions=("derivative sign(x), 0 at 0 (PyTorch's abs backward)",),
    ),
    scalar(
        "signum",
        sp.Piecewise((-1, x < 0), (1, x > 0), (0, True)),
        aliases=("sign",),
        description="the sign function: -1, 0 or 1",
        reference="classical; e.g. the binary activations of Courbariaux et al. (2016)",
        frameworks=frameworks(torch=torch("sign(input)")),
        conventions=("signum(0) = 0", "derivative 0 everywhere (PyTorch's sign backward)"),
    ),
    scalar(
        "softshrink",
        sp.Piecewise((x - lambd, x > lambd), (x + lambd, x < -lambd), (0, True)),
        aliases=("soft_shrink",),
        params={"lambd": lambd},
        defaults={"lambd": R(1, 2)},
        description="soft thresholding: x - lambd above lambd, x + lambd below -lambd, else 0",
        reference="Donoho, De-noising by soft-thresholding (IEEE Trans. Inf. Theory 1995)",
        frameworks=frameworks(torch=torch("nn.functional.softshrink(input, lambd=0.5)",
                                          lambd="lambd"),
                              keras=keras("soft_shrink(x, threshold=0.5)", lambd="threshold")),
        conventions=("derivative 0 at ±lambd (PyTorch's softshrink_backward)",),
    ),
    scalar(
        "hardshrink",
        sp.Piecewise((x, x > lambd), (x, x < -lambd), (0, True)),
        aliases=("hard_shrink",),
        params={"lambd": lambd},
        defaults={"lambd": R(1, 2)},
        description="hard thresholding: x where |x| > lambd, else 0",
        reference="Donoho & Johnstone, Ideal spatial adaptation by wavelet shrinkage (1994)",
        frameworks=frameworks(torch=torch("nn.functional.hardshrink(input, lambd=0.5)",
                                          lambd="lambd"),
                              keras=keras("hard_shrink(x, threshold=0.5)", lambd="threshold")),
        conventions=("hardshrink(±lambd) = 0", "derivative 0 at the jumps ±lambd"),
    ),
    scalar(
        "threshold",
        sp.Piecewise((x, x > threshold), (value, True)),
        params={"threshold": threshold, "value": value},
        defaults={"threshold": 1, "value": 0},
        description="x above threshold, value otherwise (PyTorch has no defaults; symact uses "
        "threshold=1, value=0)",
        reference="PyTorch torch.nn.Threshold",
        frameworks=frameworks(
            torch=torch("nn.functional.threshold(input, threshold, value)",
                        threshold="threshold", value="value"),
            keras=keras("threshold(x, threshold, default_value)", threshold="threshold",
                        value="default_value")),
        conventions=("f(threshold) = value", "derivative 0 at threshold (PyTorch)"),
    ),
    scalar(
        "srelu",
        sp.Piecewise((t_l + a_l * (x - t_l), x <= t_l), (t_r + a_r * (x - t_r), x >= t_r),
                     (x, True)),
        aliases=("s_shaped_relu",),
        params={"t_l": t_l, "a_l": a_l, "t_r": t_r, "a_r": a_r},
        defaults={"t_l": -1, "a_l": R(1, 10), "t_r": 1, "a_r": R(1, 10)},
        constraints=(sp.Lt(t_l, t_r),),
        description="S-shaped ReLU: three linear pieces, slopes a_l, 1, a_r, joined at t_l < t_r "
        "(all four learned; the defaults are symact's choice)",
        reference="Jin, Xu, Feng, Wei, Xiong & Yan, Deep Learning with S-shaped Rectified Linear "
        "Activation Units (AAAI 2016)",
        conventions=("derivative at t_l is a_l and at t_r is a_r (the outer branches)",),
    ),
    scalar(
        "apl",
        hinge(x) + apl_a1 * hinge(-x + apl_b1) + apl_a2 * hinge(-x + apl_b2),
        aliases=("adaptive_piecewise_linear",),
        params={"a_1": apl_a1, "b_1": apl_b1, "a_2": apl_a2, "b_2": apl_b2},
        defaults={"a_1": -R(1, 5), "b_1": 0, "a_2": R(1, 10), "b_2": -1},
        description="adaptive piecewise linear unit with S = 2 hinges: "
        "max(0, x) + sum_s a_s max(0, -x + b_s) (a_s, b_s learned; defaults are symact's choice)",
        reference="Agostinelli, Hoffman, Sadowski & Baldi, Learning Activation Functions to "
        "Improve Deep Neural Networks (ICLR 2015 workshop)",
        conventions=("each hinge max(0, z) has derivative 0 at z = 0, as relu",),
    ),
    scalar(
        "sparse_sigmoid",
        sp.Piecewise((0, x <= -1), (1, x >= 1), ((x + 1) / 2, True)),
        description="sparse sigmoid: 0 below -1, (x + 1) / 2 on [-1, 1], 1 above",
        reference="Martins & Astudillo, From Softmax to Sparsemax (ICML 2016); JAX jax.nn",
        frameworks=frameworks(jax=jax("nn.sparse_sigmoid(x)"), keras=keras("sparse_sigmoid(x)")),
        conventions=("derivative 0 at ±1 (the outer branches)",),
    ),
]
