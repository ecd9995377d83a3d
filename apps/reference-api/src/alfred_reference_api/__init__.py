"""The Alfred reference app: composes the Alfred packages into the `/api/v1` service."""

from importlib.metadata import version as _version

from alfred_reference_api.app import create_app
from alfred_reference_api.settings import Settings

__version__ = _version("alfred-reference-api")

__all__ = ["Settings", "__version__", "create_app"]
