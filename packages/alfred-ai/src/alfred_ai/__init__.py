"""Alfred's AI layer: provider protocol, built-in providers, entry-point discovery."""

from importlib.metadata import version as _version

from alfred_ai.errors import AIError, ConfigurationError

__version__ = _version("alfred-ai")

__all__ = ["AIError", "ConfigurationError", "__version__"]
