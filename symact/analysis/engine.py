"""Entry points: analyse one activation (under budgets), the whole catalog (two processes and a
disk cache), and the n-th derivative."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sympy as sp

from ..budget import DEFAULT_BUDGET, budgets_enforced
from ..errors import AnalysisError
from ..model import Activation
from .calculus import piecewise_derivative
from .facts import Properties, VectorProperties

#: Bump when the engine's results change: it is part of the cache key.
ENGINE_VERSION = "10"


def analyze(act: Activation, budget: float = DEFAULT_BUDGET) -> Properties | VectorProperties:
    """Every derived property of ``act`` (parameters at their defaults; conditions on the
    parameters in ``parameter_conditions``). ``budget`` bounds each symbolic step (seconds)."""
    if not isinstance(act, Activation):
        raise AnalysisError(f"analyze() needs an Activation, got {type(act).__name__}")
    if not (isinstance(budget, (int, float)) and budget > 0):
        raise AnalysisError(f"budget must be a positive number of seconds, got {budget!r}")
    if not budgets_enforced():
        # signals only work in the main thread: run in a worker process, where they do
        return _in_forked_process(act, float(budget))
    return _analyze_direct(act, float(budget))


def _in_forked_process(act: Activation, budget: float) -> Properties | VectorProperties:
    """Analyse in a forked child (its main thread can use SIGALRM); the activation is
    inherited through fork, the result comes back pickled through a pipe."""
    if not hasattr(os, "fork"):
        raise AnalysisError("time budgets need the main thread or os.fork; call analyze() "
                            "from the main thread")
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def target() -> None:
        try:
            send.send(("ok", _analyze_direct(act, budget)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    send.close()
    try:
        kind, value = receive.recv()
    except EOFError:
        raise AnalysisError(f"{act.name}: the analysis process died") from None
    finally:
        proc.join()
    if kind != "ok":
        raise AnalysisError(f"{act.name}: {value}")
    return value


def _analyze_direct(act: Activation, budget: float) -> Properties | VectorProperties:
    if act.is_vector:
        from .vector import analyze_vector

        return analyze_vector(act, budget)
    from .scalar import analyze_scalar

    return analyze_scalar(act, budget)


def derivative(act: Activation, n: int = 1, budget: float = DEFAULT_BUDGET) -> sp.Expr:
    """The n-th derivative of a scalar activation (parameters symbolic), piece by piece with the
    kink convention, each piece simplified within the budget."""
    act._require_scalar("differentiate")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise AnalysisError(f"derivative order must be a non-negative integer, got {n!r}")
    return piecewise_derivative(act.expr, act.x, n, min(budget, 5.0))


# ---------------------------------------------------------------------------------- catalog
def default_cache_dir(path: str | os.PathLike | None = None) -> Path:
    """``path``, else ``$SYMACT_CACHE``, else ``~/.cache/symact``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("SYMACT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "symact"


def cache_key(act: Activation, budget: float) -> str:
    bound = act.with_defaults()
    if act.is_vector:
        text = sp.srepr(bound.vector.build(4 if bound.vector.even_length else 3)[1])
    else:
        text = sp.srepr(bound.expr)
    payload = f"{ENGINE_VERSION}|{sp.__version__}|{act.name}|{budget}|{text}|" + \
        sp.srepr(act.expr)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _load(path: Path):
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # a corrupt or stale entry is recomputed
        return None


def _store(path: Path, props) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
    with tmp.open("wb") as fh:
        pickle.dump(props, fh)
    os.replace(tmp, path)


def _work(name: str, budget: float, directory: str) -> tuple[str, object]:
    from .. import catalog

    act = catalog.get(name)
    try:
        props = _analyze_direct(act, budget)
    except Exception as exc:  # reported per activation, the run goes on
        return name, AnalysisError(f"{name}: {type(exc).__name__}: {exc}")
    _store(Path(directory) / f"{name}-{cache_key(act, budget)}.pkl", props)
    return name, props


def analyze_catalog(names: Iterable[str] | None = None, jobs: int = 2,
                    cache_dir: str | os.PathLike | None = None,
                    budget: float = DEFAULT_BUDGET,
                    report: Callable[[int, int, str], None] | None = None,
                    use_cache: bool = True) -> dict[str, Properties | VectorProperties]:
    """Properties of every catalog activation (or ``names``), analysed in ``jobs`` processes,
    cached on disk under :func:`default_cache_dir` keyed by expression and engine version."""
    from .. import catalog

    chosen = sorted(names) if names is not None else sorted(catalog.names())
    directory = default_cache_dir(cache_dir)
    results: dict[str, Properties | VectorProperties] = {}
    todo = []
    for name in chosen:
        act = catalog.get(name)
        path = directory / f"{name}-{cache_key(act, budget)}.pkl"
        props = _load(path) if use_cache and path.exists() else None
        if props is not None:
            results[name] = props
        else:
            todo.append(name)
    done = len(results)
    total = len(chosen)
    if report:
        report(done, total, "cached")
    errors = []

    def take(name: str, props: object) -> None:
        nonlocal done
        done += 1
        if isinstance(props, Exception):
            errors.append(props)
        else:
            results[name] = props
        if report:
            report(done, total, name)

    if todo and jobs > 1:
        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=ctx) as pool:
            futures = [pool.submit(_work, n, budget, str(directory)) for n in _by_cost(todo)]
            for fut in futures:
                take(*fut.result())
    else:
        for name in todo:
            if budgets_enforced():
                take(*_work(name, budget, str(directory)))
            else:
                take(name, analyze(catalog.get(name), budget))
    if errors:
        raise AnalysisError("; ".join(str(e) for e in errors))
    return {k: results[k] for k in sorted(results)}


_SLOW_FIRST = ("mish", "gelu_tanh", "gelu", "sinc", "snake", "selu", "silu", "swish",
               "acon_c", "logsigmoid", "softplus", "squareplus", "bent_identity")


def _by_cost(names: list[str]) -> list[str]:
    """Start the slowest analyses first so the two workers finish together."""
    return sorted(names, key=lambda n: (n not in _SLOW_FIRST, n))
