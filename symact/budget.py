"""Time budgets for symbolic steps.

SymPy can run for minutes (or forever) on an innocent-looking ``simplify``, ``limit`` or
``integrate``. Every symbolic step of the analysis engine runs inside :func:`time_budget`, which
arms ``SIGALRM`` (``signal.setitimer``) and raises :class:`BudgetExceeded` when the time is up.

:class:`BudgetExceeded` derives from :class:`BaseException` so that SymPy's internal
``except Exception`` clauses cannot swallow it. Budgets nest: an inner budget never outlives the
outer one.

Signals only work in the main thread. In any other thread :func:`time_budget` cannot interrupt
the step (it only reports :func:`budgets_enforced` as False); :func:`symact.analysis.analyze`
therefore runs the analysis in a worker process when it is called from a non-main thread.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class Outcome:
    """The result of :func:`attempt`: ``ok`` with ``value``, or the ``reason`` it failed."""

    __slots__ = ("ok", "value", "reason", "timed_out")

    def __init__(self, ok: bool, value: Any = None, reason: str = "", timed_out: bool = False):
        self.ok, self.value, self.reason, self.timed_out = ok, value, reason, timed_out

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
