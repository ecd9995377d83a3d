"""Provider discovery through the `alfred_ai.providers` entry-point group.

A provider package registers a factory in its `pyproject.toml`::

    [project.entry-points."alfred_ai.providers"]
    acme = "acme_alfred:create_provider"

The factory takes one optional argument, a settings mapping, and returns a `Provider`. The
built-in `mock` and `income` providers are registered the same way, so the registry has no
special cases.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol

from alfred_ai.errors import ConfigurationError, UnknownProviderError
from alfred_ai.provider import Provider

__all__ = ["ENTRY_POINT_GROUP", "ProviderFactory", "available_providers", "load_provider"]

ENTRY_POINT_GROUP = "alfred_ai.providers"


class ProviderFactory(Protocol):
    """What an `alfred_ai.providers` entry point must name: settings in, provider out."""

    def __call__(self, settings: Mapping[str, object] | None = None, /) -> Provider:
        """Build a provider.

        Args:
            settings: Provider-specific settings; None when the app passes none.

        Raises:
            ConfigurationError: When the settings are wrong.
        """
        ...


def _normalise(name: str) -> str:
    return name.strip().lower()


def _registered() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        name = _normalise(entry_point.name)
        earlier = found.get(name)
        if earlier is not None and earlier.value != entry_point.value:
            raise ConfigurationError(
                f"two installed packages register the AI provider {name!r} "
                f"({earlier.value} and {entry_point.value}); uninstall one of them"
            )
        found[name] = entry_point
    return found


def available_providers() -> list[str]:
    """The names of the installed providers, sorted.

    Returns:
        Every name registered in the `alfred_ai.providers` entry-point group.

    Raises:
        ConfigurationError: When two packages register the same name differently.
    """
    return sorted(_registered())


def load_provider(name: str, settings: Mapping[str, object] | None = None) -> Provider:
    """Find, import and build the provider registered under `name`.

    Call it once at start-up, so a wrong name stops the app before it serves a request.

    Args:
        name: The provider's entry-point name (case and surrounding spaces ignored).
        settings: Passed to the provider's factory.

    Returns:
        The provider.

    Raises:
        UnknownProviderError: No installed provider has that name; the message lists those
            that are installed.
        ConfigurationError: The provider cannot be imported, its factory rejects the settings,
            or it does not implement `Provider`.
    """
    registered = _registered()
    entry_point = registered.get(_normalise(name))
    if entry_point is None:
        raise UnknownProviderError(name, sorted(registered), ENTRY_POINT_GROUP)
    try:
        factory = entry_point.load()
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(
            f"the AI provider {name!r} ({entry_point.value}) could not be imported: {exc}; "
            "reinstall the package that provides it, with its extras"
        ) from exc
    if not callable(factory):
        raise ConfigurationError(
            f"the AI provider entry point {name!r} names {entry_point.value}, which is not callable"
        )
    provider = factory(settings)
    if not isinstance(provider, Provider) or not inspect.iscoroutinefunction(provider.triage):
        raise ConfigurationError(
            f"the AI provider {name!r} ({entry_point.value}) returned {type(provider).__name__}, "
            "which has no `async def triage(message, context)`"
        )
    return provider
