"""Errors raised by alfred-automation.

The tree::

    AutomationError
    └── ConfigurationError      misuse: bad settings (e.g. an encryption key of the wrong size)
"""

from __future__ import annotations

__all__ = ["AutomationError", "ConfigurationError"]


class AutomationError(Exception):
    """Root of every error this package raises."""

    code: str = "automation_error"


class ConfigurationError(AutomationError):
    """The hub was set up wrongly; the message says how to fix it."""

    code = "configuration_error"
