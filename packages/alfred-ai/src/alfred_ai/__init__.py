"""Alfred's AI layer: provider protocol, built-in providers, entry-point discovery."""

from importlib.metadata import version as _version

from alfred_ai.errors import AIError, ConfigurationError, UnknownProviderError
from alfred_ai.fallback import FALLBACK_SIGNAL, triage_with_fallback
from alfred_ai.provider import (
    Channel,
    Direction,
    Intent,
    Language,
    MessageInput,
    PriceGuidance,
    Priority,
    Provider,
    Sentiment,
    SentimentLabel,
    Triage,
    TriageContext,
)
from alfred_ai.providers.income import (
    ALLOWED_ATTRIBUTES,
    HashIncomeSignalSource,
    IncomeAwareAIProvider,
    IncomeBand,
    IncomeSignalSource,
)
from alfred_ai.providers.mock import MockProvider
from alfred_ai.registry import (
    ENTRY_POINT_GROUP,
    ProviderFactory,
    available_providers,
    load_provider,
)

__version__ = _version("alfred-ai")

# Plain sorted() order, checked by tests/unit/test_public_api.py (as httpx does); RUF022 would
# put the constants first.
__all__ = [  # noqa: RUF022
    "AIError",
    "ALLOWED_ATTRIBUTES",
    "Channel",
    "ConfigurationError",
    "Direction",
    "ENTRY_POINT_GROUP",
    "FALLBACK_SIGNAL",
    "HashIncomeSignalSource",
    "IncomeAwareAIProvider",
    "IncomeBand",
    "IncomeSignalSource",
    "Intent",
    "Language",
    "MessageInput",
    "MockProvider",
    "PriceGuidance",
    "Priority",
    "Provider",
    "ProviderFactory",
    "Sentiment",
    "SentimentLabel",
    "Triage",
    "TriageContext",
    "UnknownProviderError",
    "__version__",
    "available_providers",
    "load_provider",
    "triage_with_fallback",
]
