"""Alfred's automation hub: outbox, signed deliveries with retries, signed callbacks."""

from importlib.metadata import version as _version

from alfred_automation.errors import AutomationError, ConfigurationError

__version__ = _version("alfred-automation")

__all__ = ["AutomationError", "ConfigurationError", "__version__"]
