"""The catalog: every built-in activation, defined once, looked up by name or alias."""

from __future__ import annotations

import difflib
import re
from typing import Any

from ..errors import UnknownActivation
from ..model import Activation
from . import periodic, rectifiers, sigmoidal, smooth, vector

_ALL: tuple[Activation, ...] = (
    *rectifiers.ACTIVATIONS,
    *sigmoidal.ACTIVATIONS,
    *smooth.ACTIVATIONS,
    *periodic.ACTIVATIONS,
    *vector.ACTIVATIONS,
)


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _index() -> dict[str, Activation]:
    index: dict[str, Activation] = {}
    for act in _ALL:
        for n in act.all_names:
            if _key(n) in index:
                raise AssertionError(f"catalog name {n!r} used twice")
            index[_key(n)] = act
    return index


_BY_NAME = _index()


def names() -> list[str]:
    """Every catalog name (not aliases), sorted."""
    return sorted(act.name for act in _ALL)


def aliases() -> dict[str, str]:
    """Every alias -> its catalog name."""
    return {a: act.name for act in _ALL for a in act.aliases}


def activations() -> list[Activation]:
    """Every catalog activation, sorted by name, parameters left symbolic."""
    return sorted(_ALL, key=lambda a: a.name)


def is_known(name: str) -> bool:
    return isinstance(name, str) and _key(name) in _BY_NAME


def get(name: str, **params: Any) -> Activation:
    """A catalog activation by name or alias; ``params`` bind numeric parameter values."""
    if not isinstance(name, str):
        raise UnknownActivation(repr(name), [])
    act = _BY_NAME.get(_key(name))
    if act is None:
        close = difflib.get_close_matches(_key(name), list(_BY_NAME), n=4, cutoff=0.6)
        suggestions = list(dict.fromkeys(_BY_NAME[c].name for c in close))
        raise UnknownActivation(name, suggestions)
    return act.bind(**params) if params else act
