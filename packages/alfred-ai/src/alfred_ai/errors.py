"""Errors raised by alfred-ai.

The tree::

    AIError
    └── ConfigurationError      misuse: an unknown provider name, a missing extra
"""

from __future__ import annotations

__all__ = ["AIError", "ConfigurationError"]


class AIError(Exception):
    """Root of every error this package raises."""

    code: str = "ai_error"


class ConfigurationError(AIError):
    """The AI layer was set up wrongly; the message says how to fix it."""

    code = "configuration_error"
