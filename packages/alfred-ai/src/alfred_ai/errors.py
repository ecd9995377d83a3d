"""Errors raised by alfred-ai.

The tree::

    AIError
    └── ConfigurationError      misuse: bad settings, a provider that cannot be loaded
        └── UnknownProviderError    no installed provider has that name
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AIError", "ConfigurationError", "UnknownProviderError"]


class AIError(Exception):
    """Root of every error this package raises."""

    code: str = "ai_error"


class ConfigurationError(AIError):
    """The AI layer was set up wrongly; the message says how to fix it."""

    code = "configuration_error"


class UnknownProviderError(ConfigurationError):
    """No installed provider is registered under the requested name.

    Attributes:
        name: The name asked for.
        available: The installed providers' names, sorted.
    """

    code = "unknown_provider"

    def __init__(self, name: str, available: Sequence[str], group: str) -> None:
        installed = ", ".join(available) or "none"
        super().__init__(
            f"unknown AI provider {name!r}; installed providers: {installed}. Choose one of "
            f"them, or install the package that registers {name!r} in the {group!r} "
            "entry-point group."
        )
        self.name = name
        self.available = tuple(available)
