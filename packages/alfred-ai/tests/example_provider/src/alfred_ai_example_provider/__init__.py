"""An example alfred-ai provider: a few keyword rules, registered through an entry point."""

from collections.abc import Mapping

from alfred_ai import (
    ConfigurationError,
    Intent,
    Language,
    MessageInput,
    Priority,
    Sentiment,
    SentimentLabel,
    Triage,
    TriageContext,
)

RULES = {"price": Intent.PRICING, "cancel": Intent.CANCELLATION, "meeting": Intent.SCHEDULING}


class KeywordProvider:
    """Triage by the first rule keyword found in the message; `other` otherwise."""

    name = "example"

    def __init__(self, urgent_word: str = "urgent") -> None:
        self.urgent_word = urgent_word

    async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
        text = message.body.lower()
        intent = next((i for word, i in RULES.items() if word in text), Intent.OTHER)
        urgent = self.urgent_word in text
        return Triage(
            intent=intent,
            sentiment=Sentiment(label=SentimentLabel.NEUTRAL, score=0.0),
            priority=Priority.URGENT if urgent else Priority.MEDIUM,
            language=Language.EN,
            lead_score=50 if intent is Intent.PRICING else 10,
            signals=("example:keywords",),
            explanation=f"Intent {intent.value} from a keyword rule.",
            provider=self.name,
        )


def create_provider(settings: Mapping[str, object] | None = None) -> KeywordProvider:
    """The entry point: `alfred_ai.providers` calls it with the app's provider settings."""
    settings = dict(settings or {})
    urgent_word = settings.pop("urgent_word", "urgent")
    if settings or not isinstance(urgent_word, str):
        raise ConfigurationError("the example provider takes one setting: urgent_word (a string)")
    return KeywordProvider(urgent_word)
