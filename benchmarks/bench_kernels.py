"""Speed and memory of the generated kernels.

    python benchmarks/bench_kernels.py [--n 10000000] [--dtype float32] [--only relu,gelu]
                                       [--scaling] [--memory] [--repeat 5]

Per scalar activation: median time of the symact kernel, and its ratio against
``sympy.lambdify`` (numpy + scipy modules) of the same expression, against
``torch.nn.functional`` (when torch is installed; torch.set_num_threads(2)) and against a plain
copy (``np.copyto``). ``--scaling`` prints times for n = 1e3 .. 1e8 (gelu, relu, sigmoid);
``--memory`` the peak extra memory of a call with ``out=`` (tracemalloc).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import sympy as sp

import symact
from symact.codegen import accuracy, runtime

PIECEWISE_LINEAR = {"relu", "leaky_relu", "prelu", "rrelu", "hardtanh", "relu6", "leaky_relu6",
                    "hardsigmoid", "hard_sigmoid_legacy", "absolute", "signum", "softshrink",
                    "hardshrink", "threshold", "srelu", "apl", "sparse_sigmoid", "step",
                    "identity"}


def timeit(fn, repeat: int, inner: int = 1) -> float:
    """Median over ``repeat`` samples of the time of one call; each sample times ``inner``
    calls in a row (small arrays: the clock's resolution and jitter are ~1 us)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def lambdified(act):
    bound = act.with_defaults()
    f = sp.lambdify(bound.x, bound.expr, modules=["numpy", "scipy"])
    return f


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--only", default="")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--memory", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    x = (rng.normal(size=args.n) * 4).astype(args.dtype)
    out = np.empty_like(x)
    inner = max(1, 100_000 // args.n)  # (n = 1e3: 100 calls per sample)
    small = args.n < 100_000  # (times in microseconds)
    unit, scale = ("us", 1e6) if small else ("ms", 1e3)
    copy_t = timeit(lambda: np.copyto(out, x), args.repeat, inner)
    print(f"n={args.n} dtype={args.dtype} copy={copy_t * scale:.2f} {unit} "
          f"chunk={runtime.CHUNK_BYTES // 1024} KiB threads={runtime.THREADS}")
    if args.memory:
        memory(x)
    if args.scaling:
        scaling(args.dtype, args.repeat)
        return
    names = [a.name for a in symact.activations() if not a.is_vector]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    print(f"{'activation':20s} {'symact ' + unit:>10s} {'x lambdify':>11s} {'x torch':>9s} "
          f"{'/ copy':>7s}")
    ratios_l, ratios_t = [], []
    for name in names:
        act = symact.get(name)
        k = act.numpy()
        t = timeit(lambda k=k: k(x, out=out), args.repeat, inner)
        try:
            f = lambdified(act)
            if f(x) is x:  # identity: lambdify returns its input, no work to compare with
                raise ValueError("returns its input")
            tl = timeit(lambda f=f: f(x), max(1, args.repeat // 2), inner)
            rl = tl / t
            ratios_l.append(rl)
            sl = f"{rl:10.1f}x"
        except Exception as exc:  # lambdify cannot evaluate some definitions at all
            sl = f"{'returns x' if 'returns its input' in str(exc) else 'fails':>11s}"
        st = f"{'-':>9s}"
        if torch is not None:
            tf = accuracy.torch_function(act, 0)
            if tf is not None:
                xt = torch.from_numpy(x)
                ref = act.frameworks["torch"].call
                ns = {"torch": torch, "math": __import__("math"), "input": xt,
                      "weight": torch.tensor([0.25], dtype=xt.dtype)}
                try:
                    fn = eval(ref, ns)  # noqa: S307 -- the catalog's own call strings
                    if isinstance(fn, torch.nn.Module):
                        mod = fn
                        if mod(xt) is xt:  # nn.Identity returns its input
                            raise ValueError("returns its input")
                        tt = timeit(lambda mod=mod, xt=xt: mod(xt), args.repeat, inner)
                    else:
                        tt = timeit(lambda ref=ref, ns=ns: eval(ref, ns), args.repeat,  # noqa: S307
                                    inner)
                    ratios_t.append((name, t / tt))
                    st = f"{t / tt:8.2f}x"
                except Exception:
                    pass
        flag = " (piecewise-linear)" if name in PIECEWISE_LINEAR else ""
        print(f"{name:20s} {t * scale:10.2f} {sl} {st} {t / copy_t:7.2f}{flag}", flush=True)
    if ratios_l:
        print(f"median speed-up over lambdify: {statistics.median(ratios_l):.1f}x "
              f"(min {min(ratios_l):.1f}x)")
    if ratios_t:
        ok = sum(r <= 1.0 for _, r in ratios_t)
        worst = max(ratios_t, key=lambda p: p[1])
        print(f"symact/torch time ratio <= 1 on {ok}/{len(ratios_t)}; worst {worst[0]} "
              f"{worst[1]:.2f}x")


def scaling(dtype: str, repeat: int) -> None:
    print(f"{'n':>10s} " + " ".join(f"{n:>12s}" for n in ("copy", "relu", "sigmoid", "gelu")))
    for e in range(3, 9):
        n = 10**e
        x = np.random.default_rng(0).normal(size=n).astype(dtype)
        out = np.empty_like(x)
        inner = max(1, 100_000 // n)
        row = [timeit(lambda out=out, x=x: np.copyto(out, x), repeat, inner)]
        for name in ("relu", "sigmoid", "gelu"):
            k = symact.get(name).numpy()
            row.append(timeit(lambda k=k, x=x, out=out: k(x, out=out), repeat if e < 8 else 2,
                              inner))
        print(f"{n:10d} " + " ".join(f"{t * 1e3:10.3f}ms" for t in row), flush=True)


def memory(x: np.ndarray) -> None:
    out = np.empty_like(x)
    chunk_bytes = runtime.CHUNK_BYTES
    # elu' with every element at x <= -80: float32 input refined in float64 throughout
    cases = [(n, 0, x) for n in ("relu", "sigmoid", "silu", "gelu", "mish")]
    cases.append(("elu", 1, np.full_like(x, -100.0)))
    for name, order, xin in cases:
        k = symact.get(name).numpy(order)
        k(xin, out=out)  # warm: scratch buffers are allocated once per thread and reused
        tracemalloc.start()
        k(xin, out=out)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = name + "'" * order + (" (x = -100)" if order else "")
        print(f"memory {label}: peak extra {peak / 1024:.1f} KiB with out= "
              f"(one chunk buffer = {chunk_bytes / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
