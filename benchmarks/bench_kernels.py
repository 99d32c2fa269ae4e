"""Speed and memory of the generated kernels.

    python benchmarks/bench_kernels.py [--n 10000000] [--dtype float32] [--only relu,gelu]
                                       [--scaling] [--memory] [--repeat 5]

Per scalar activation: time of the symact kernel, and its ratio against ``sympy.lambdify``
(numpy + scipy modules) of the same expression, against ``torch.nn.functional`` (when torch is
installed; torch.set_num_threads(2)) and against a plain copy (``np.copyto``). The contenders
of one activation are timed in interleaved rounds (symact, lambdify, torch, copy, then again)
and each keeps its best round: on a shared virtual machine a slow spell then hits all of them
alike instead of whichever happened to run during it (the copy alone varied 3.5-6.3 ms).
``--scaling`` prints times for n = 1e3 .. 1e8 (gelu, relu, sigmoid); ``--memory`` the peak
extra memory of a call with ``out=`` (tracemalloc).
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


def race(fns: dict, repeat: int, inner: int = 1) -> dict:
    """Best time of one call of each function over ``repeat`` interleaved rounds (each warmed
    up once; a round times ``inner`` calls of each in a row). A function that raises is left
    out of the result."""
    live = {}
    for name, fn in fns.items():
        try:
            fn()
            live[name] = fn
        except Exception:  # noqa: BLE001 -- lambdify cannot evaluate some definitions at all
            pass
    best = dict.fromkeys(live, float("inf"))
    for _ in range(repeat):
        for name, fn in live.items():
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t) / inner)
    return best


def lambdified(act):
    bound = act.with_defaults()
    f = sp.lambdify(bound.x, bound.expr, modules=["numpy", "scipy"])
    return f


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--only", default="")
    ap.add_argument("--repeat", type=int, default=7)
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
        fns = {"symact": lambda k=k: k(x, out=out), "copy": lambda: np.copyto(out, x)}
        note = "fails"  # lambdify cannot evaluate some definitions at all
        try:
            f = lambdified(act)
            if f(x) is x:  # identity: lambdify returns its input, no work to compare with
                note = "returns x"
            else:
                fns["lambdify"] = lambda f=f: f(x)
        except Exception:  # noqa: BLE001
            pass
        if torch is not None and accuracy.torch_function(act, 0) is not None:
            fn = torch_call(act, torch, x)
            if fn is not None:
                fns["torch"] = fn
        best = race(fns, args.repeat, inner)
        t = best["symact"]
        sl = f"{note:>11s}"
        if "lambdify" in best:
            ratios_l.append(best["lambdify"] / t)
            sl = f"{ratios_l[-1]:10.1f}x"
        st = f"{'-':>9s}"
        if "torch" in best:
            ratios_t.append((name, t / best["torch"]))
            st = f"{ratios_t[-1][1]:8.2f}x"
        flag = " (piecewise-linear)" if name in PIECEWISE_LINEAR else ""
        print(f"{name:20s} {t * scale:10.2f} {sl} {st} {t / best['copy']:7.2f}{flag}",
              flush=True)
    if ratios_l:
        print(f"median speed-up over lambdify: {statistics.median(ratios_l):.1f}x "
              f"(min {min(ratios_l):.1f}x)")
    if ratios_t:
        ok = sum(r <= 1.0 for _, r in ratios_t)
        worst = max(ratios_t, key=lambda p: p[1])
        print(f"symact/torch time ratio <= 1 on {ok}/{len(ratios_t)}; worst {worst[0]} "
              f"{worst[1]:.2f}x")


def torch_call(act, torch, x: np.ndarray):
    """A call of the catalog's PyTorch equivalent on x (as a tensor sharing its memory), or
    None when there is none that runs (nn.Identity returns its input: nothing to time)."""
    xt = torch.from_numpy(x)
    ref = act.frameworks["torch"].call
    ns = {"torch": torch, "math": __import__("math"), "input": xt,
          "weight": torch.tensor([0.25], dtype=xt.dtype)}
    try:
        fn = eval(ref, ns)  # noqa: S307 -- the catalog's own call strings
        if isinstance(fn, torch.nn.Module):
            if fn(xt) is xt:
                return None
            return lambda mod=fn: mod(xt)
        return lambda: eval(ref, ns)  # noqa: S307
    except Exception:  # noqa: BLE001
        return None


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
    # elu' and selu' with every element at x = -100: float32 input takes mul_exp's subnormal
    # path throughout (elu') or is refined in float64 throughout (selu')
    cases = [(n, 0, x) for n in ("relu", "sigmoid", "silu", "gelu", "mish", "snake")]
    cases += [(n, 1, np.full_like(x, -100.0)) for n in ("elu", "selu")]
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
