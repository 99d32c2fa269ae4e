"""Run one step of a check under a wall-clock budget.

SymPy (and, for pathological expressions, even numerical evaluation) can run for a very long
time. Each step runs in a forked child process that is killed when the budget expires, so no
claim can hang :func:`symact.verify`. On platforms without ``fork`` the step runs inline.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: seconds allowed per symbolic or numeric step unless the caller says otherwise
DEFAULT_BUDGET = 20.0


@dataclass(frozen=True)
class Outcome:
    """The result of a budgeted step: ``ok`` with ``value``, or not with ``reason``."""

    ok: bool
    value: Any = None
    reason: str = ""


def run(fn: Callable[..., Any], *args: Any, budget: float | None = DEFAULT_BUDGET) -> Outcome:
    """Call ``fn(*args)``; give up after ``budget`` seconds (``None``: no limit, inline)."""
    if budget is None or not hasattr(os, "fork"):
        return _inline(fn, args)
    if budget <= 0:
        return Outcome(False, reason="timed out (budget 0 s)")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: compute, send the pickled result, leave without cleanup handlers
        os.close(read_fd)
        try:
            result = _inline(fn, args)
            try:
                data = pickle.dumps(result)
            except Exception as exc:  # noqa: BLE001 - an unpicklable result is a failed step
                data = pickle.dumps(Outcome(False, reason=f"result not transferable: {exc}"))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _collect(pid, read_fd, budget)


def _inline(fn: Callable[..., Any], args: tuple) -> Outcome:
    try:
        return Outcome(True, fn(*args))
    except RecursionError:
        return Outcome(False, reason="expression too deeply nested")
    except MemoryError:
        return Outcome(False, reason="out of memory")
    except Exception as exc:  # noqa: BLE001 - any failure of a step is reported, not raised
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Outcome(False, reason=f"{type(exc).__name__}: {text}"[:200])


def _collect(pid: int, read_fd: int, budget: float) -> Outcome:
    deadline = time.monotonic() + budget
    chunks: list[bytes] = []
    timed_out = False
    with selectors.DefaultSelector() as sel:
        sel.register(read_fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not sel.select(remaining):
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_fd)
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.waitpid(pid, 0)
    if timed_out:
        return Outcome(False, reason=f"timed out (budget {budget:g} s)")
    try:
        result = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child that died without an answer
        return Outcome(False, reason="the computation ended without a result")
    return result if isinstance(result, Outcome) else Outcome(False, reason="bad result")
