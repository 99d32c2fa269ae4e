"""The exception hierarchy of symact: every user-facing error derives from ``SymactError``."""

from __future__ import annotations


class SymactError(Exception):
    """Base class of every error symact raises on purpose (bad input, unknown names, ...)."""


class UnknownActivation(SymactError, KeyError):
    """A name that is neither a catalog name nor an alias."""

    def __init__(self, name: str, suggestions: list[str] | None = None) -> None:
        self.name = name
        self.suggestions = list(suggestions or [])
        hint = (
            f" Did you mean: {', '.join(self.suggestions)}?"
            if self.suggestions
            else " Run `symact list` to see every name."
        )
        super().__init__(f"unknown activation {name!r}.{hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DefinitionError(SymactError, ValueError):
    """A user-supplied expression that cannot be accepted (syntax, unsafe or unknown token)."""

    def __init__(self, message: str, token: str | None = None, position: int | None = None):
        self.token = token
        self.position = position
        where = ""
        if token is not None:
            where += f" (token {token!r}"
            where += f" at position {position})" if position is not None else ")"
        super().__init__(message + where)


class ParameterError(SymactError, ValueError):
    """An unknown parameter name or a value that violates the parameter's assumptions."""


class AnalysisError(SymactError):
    """An analysis request that cannot be answered (e.g. asked of the wrong kind of activation)."""


class ClaimError(SymactError, ValueError):
    """A malformed claims file or claim."""
