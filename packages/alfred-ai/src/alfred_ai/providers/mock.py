"""The `mock` provider: keywords, a word model and rule heuristics, Portuguese and English, no I/O.

It reads only the message text (plus the conversation's earlier intents and the tenant currency
from the context); it never reads contact attributes. Deterministic: the same message and context
give the same triage.
"""

from __future__ import annotations

from collections.abc import Mapping

from alfred_ai.errors import ConfigurationError
from alfred_ai.provider import MessageInput, Triage, TriageContext
from alfred_ai.providers._heuristics import read
from alfred_ai.providers._model import intent_model

__all__ = ["MockProvider"]


class MockProvider:
    """Heuristics only: intent, sentiment, priority, language, lead score and price guidance.

    Example:
        >>> import asyncio
        >>> from alfred_ai import MessageInput, TriageContext
        >>> message = MessageInput(body="Quanto custa o plano Pro?")
        >>> triage = asyncio.run(MockProvider().triage(message, TriageContext()))
        >>> (triage.intent.value, triage.language.value)
        ('pricing', 'pt')
    """

    name = "mock"

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None = None) -> MockProvider:
        """The `alfred_ai.providers` entry point: build the provider from settings.

        Args:
            settings: Must be empty; the heuristics take no settings.

        Raises:
            ConfigurationError: When any setting is given.
        """
        if settings:
            raise ConfigurationError(
                f"the mock AI provider takes no settings; remove {sorted(settings)}"
            )
        intent_model()  # train the word model now (about 0.2 s), not on the first message
        return cls()

    async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
        """Triage a message with the heuristics.

        Args:
            message: The message.
            context: Only `previous_intents` and `currency` are read.

        Returns:
            The triage, with `provider="mock"`.
        """
        return read(message, context).to_triage(self.name)
