"""Time budgets for symbolic and numeric steps: the one mechanism every stage uses.

SymPy can run for minutes (or forever) on an innocent-looking ``simplify``, ``limit`` or
``integrate``. Two ways to bound a step, sharing :data:`DEFAULT_BUDGET` and :class:`Outcome`:

* in process, :func:`time_budget` / :func:`attempt` (the analysis engine and the code generator):
  ``SIGALRM`` (``signal.setitimer``) raises :class:`BudgetExceeded` when the time is up;
* isolated, :func:`run` (``symact verify``): the step runs in a forked child that is killed when
  the budget expires, for steps that may not return to Python at all (a C-level evaluation).

:class:`BudgetExceeded` derives from :class:`BaseException` so that SymPy's internal
``except Exception`` clauses cannot swallow it. Budgets nest: an inner budget never outlives the
outer one.

Signals only work in the main thread. In any other thread :func:`time_budget` cannot interrupt
the step (it only reports :func:`budgets_enforced` as False); :func:`symact.analysis.analyze`
therefore runs the analysis in a worker process when it is called from a non-main thread.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

#: The default per-step budget in seconds.
DEFAULT_BUDGET = 20.0

T = TypeVar("T")


class BudgetExceeded(BaseException):  # noqa: N818 - it is an interruption, not an error
    """Raised inside a step whose time budget ran out."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


_deadlines: list[tuple[float, float]] = []  # (absolute deadline, budget seconds), innermost last


def budgets_enforced() -> bool:
    """True when budgets can interrupt a step (main thread, SIGALRM available)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: Any) -> None:
    if not _deadlines:
        return
    deadline, seconds = _deadlines[-1]
    remaining = deadline - time.monotonic()
    if remaining > 1e-3:  # spurious early alarm: re-arm
        signal.setitimer(signal.ITIMER_REAL, remaining)
        return
    raise BudgetExceeded(seconds)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Run the body for at most ``seconds`` (raises :class:`BudgetExceeded` on expiry).

    Nested budgets are clipped to the enclosing one; the enclosing alarm is restored on exit.
    Outside the main thread the body runs unbounded.
    """
    if seconds is None or seconds <= 0:
        raise ValueError(f"a time budget must be positive, got {seconds!r}")
    if not budgets_enforced():
        yield
        return
    now = time.monotonic()
    deadline = now + seconds
    budget = seconds
    if _deadlines and _deadlines[-1][0] < deadline:
        deadline, budget = _deadlines[-1]
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append((deadline, budget))
    signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _deadlines.pop()
        signal.signal(signal.SIGALRM, previous)
        if _deadlines:
            remaining = _deadlines[-1][0] - time.monotonic()
            # an already-expired outer budget fires at once
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3))


@dataclass(frozen=True)
class Outcome:
    """The result of a budgeted step: ``ok`` with ``value``, or not, with the ``reason``."""

    ok: bool
    value: Any = None
    reason: str = ""
    timed_out: bool = False

    def __bool__(self) -> bool:
        return self.ok


def attempt(fn: Callable[[], T], seconds: float) -> Outcome:
    """Run ``fn()`` under a budget; never raises for ordinary failures or a timeout.

    KeyboardInterrupt and an *enclosing* budget's expiry still propagate.
    """
    try:
        with time_budget(seconds):
            return Outcome(True, fn())
    except BudgetExceeded as exc:
        if _deadlines and time.monotonic() >= _deadlines[-1][0] - 1e-3:
            raise  # the enclosing budget is exhausted too: let it unwind
        return Outcome(False, reason=f"timed out after {exc.seconds:g} s", timed_out=True)
    except RecursionError:
        return Outcome(False, reason="recursion limit reached")
    except Exception as exc:  # SymPy raises many kinds of errors on hard input
        return Outcome(False, reason=f"{type(exc).__name__}: {exc}"[:200])


# ------------------------------------------------------------------- isolated (forked) steps


def run(fn: Callable[..., Any], *args: Any, budget: float | None = DEFAULT_BUDGET) -> Outcome:
    """Call ``fn(*args)`` in a forked child; give up after ``budget`` seconds (``None``: no
    limit, inline). On platforms without ``fork`` the step runs inline under
    :func:`time_budget`."""
    if budget is None:
        return _inline(fn, args)
    if budget <= 0:
        return Outcome(False, reason="timed out (budget 0 s)", timed_out=True)
    if not hasattr(os, "fork"):
        return attempt(lambda: fn(*args), budget)
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
        return Outcome(False, reason=f"timed out (budget {budget:g} s)", timed_out=True)
    try:
        result = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child that died without an answer
        return Outcome(False, reason="the computation ended without a result")
    return result if isinstance(result, Outcome) else Outcome(False, reason="bad result")
