"""The `income` provider: message tone blended with (mocked) income and company-size signals.

Consent rule: income signals are read only when `context.financial_consent` is true (the caller
sets it from an active consent record for `financial_inference`). Without it the provider gives
exactly the `mock` triage, lists no income signal, and says in the explanation that consent is
missing.

Data exclusion: the only contact attributes it can read are the fields of `IncomeAttributes`
(`ALLOWED_ATTRIBUTES`). It looks each of those keys up by name and never iterates the mapping, so
biometric and location data (`face_id`, `fingerprint`, `location`, `gps`, `city`, `address`,
`ip`, ...) are never read, whatever the caller passes.

Income signals shape only sales figures: the lead score, the price guidance of pricing and purchase
messages, and the priority of buying messages (raised for a high band, never lowered). Intent,
sentiment and the handling of support, complaints and cancellations are the heuristics' alone.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from alfred_ai.errors import ConfigurationError
from alfred_ai.provider import Intent, MessageInput, Triage, TriageContext
from alfred_ai.providers._heuristics import Reading, read

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "EXCLUDED_ATTRIBUTES",
    "HashIncomeSignalSource",
    "IncomeAttributes",
    "IncomeAwareAIProvider",
    "IncomeBand",
    "IncomeSignalSource",
]


class IncomeBand(StrEnum):
    """A coarse purchasing-power band."""

    LOW = "low"
    MIDDLE = "middle"
    HIGH = "high"


BAND_VALUE = {IncomeBand.LOW: 0.0, IncomeBand.MIDDLE: 0.5, IncomeBand.HIGH: 1.0}
TIER_BY_BAND = {
    IncomeBand.LOW: "starter",
    IncomeBand.MIDDLE: "growth",
    IncomeBand.HIGH: "enterprise",
}
DISCOUNT_BY_BAND = {IncomeBand.LOW: (10, 20), IncomeBand.MIDDLE: (5, 10), IncomeBand.HIGH: (0, 5)}
# How much each signal counts in the combined band; absent signals drop out and the rest are
# renormalised. The mock source is weak on purpose: real attributes outweigh it.
SIGNAL_WEIGHTS = {
    "company_size": 0.35,
    "annual_revenue": 0.35,
    "income_band": 0.2,
    "mock_source": 0.1,
}
DEFAULT_INCOME_WEIGHT = 0.3
SMALL_HEADCOUNT, LARGE_HEADCOUNT = 20, 200
LOW_REVENUE, HIGH_REVENUE = 1_000_000, 20_000_000


class IncomeAttributes(BaseModel):
    """The contact attributes the income provider may read: its fields are the allowlist.

    Attributes:
        company_size: Headcount (`250`, `"51-200"`, `"1000+"`) or a word (`small`, `enterprise`).
        employee_count: Read only when `company_size` is absent; same forms.
        annual_revenue: Yearly revenue in the tenant's currency.
        income_band: `low`, `middle` or `high` (Portuguese `baixa`, `media`, `alta` too).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_size: object = None
    employee_count: object = None
    annual_revenue: object = None
    income_band: object = None

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, object]) -> IncomeAttributes:
        """Read the allowlisted keys, one lookup each; no other key is touched.

        Args:
            attributes: The contact's attributes; never iterated.

        Returns:
            The allowlisted values (None where absent).
        """
        return cls(**{key: attributes.get(key) for key in sorted(ALLOWED_ATTRIBUTES)})


ALLOWED_ATTRIBUTES: frozenset[str] = frozenset(IncomeAttributes.model_fields)
# Named so that a test and the docs can show they are excluded; the code never looks them up.
EXCLUDED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        # biometric
        "face_id",
        "face",
        "photo",
        "fingerprint",
        "voiceprint",
        "iris",
        "biometrics",
        "biometric_id",
        # location
        "location",
        "gps",
        "latitude",
        "longitude",
        "geo",
        "city",
        "state",
        "country",
        "zip",
        "postal_code",
        "cep",
        "address",
        "ip",
        "ip_address",
    }
)
assert not ALLOWED_ATTRIBUTES & EXCLUDED_ATTRIBUTES, "the allowlist must exclude these"


class IncomeSignalSource(Protocol):
    """A source of income bands for a contact key (a contact id or an e-mail domain)."""

    def band_for(self, key: str) -> IncomeBand:
        """The band for this key.

        Args:
            key: A contact id, or the domain of the contact's e-mail address.
        """
        ...


class HashIncomeSignalSource:
    """A deterministic mock: the SHA-256 of the key picks the band. Stands in for a data vendor."""

    def band_for(self, key: str) -> IncomeBand:
        """The band for this key: the same key always gets the same band."""
        digest = hashlib.sha256(key.strip().lower().encode()).digest()
        return tuple(IncomeBand)[digest[0] % 3]


_THOUSANDS = re.compile(r"(?<=\d)[.,\s](?=\d{3}(?!\d))")


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        # "5.000.000" / "5,000,000" -> 5000000; "1,5" -> 1.5; a range "51-200" -> its midpoint.
        text = _THOUSANDS.sub("", value.replace("_", ""))
        numbers = [float(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", text)]
        if numbers:
            return sum(numbers) / len(numbers)
    return None


_SIZE_WORDS = {
    IncomeBand.LOW: ("micro", "small", "pequena", "pequeno", "startup", "solo", "freelancer"),
    IncomeBand.MIDDLE: ("medium", "mid", "media", "medio", "sme", "pme"),
    IncomeBand.HIGH: ("large", "grande", "enterprise", "corporate", "corporativo"),
}
_INCOME_WORDS = {
    IncomeBand.LOW: ("low", "baixa", "baixo"),
    IncomeBand.MIDDLE: ("middle", "medium", "mid", "media", "medio"),
    IncomeBand.HIGH: ("high", "alta", "alto"),
}


def _word_band(value: object, words: Mapping[IncomeBand, tuple[str, ...]]) -> IncomeBand | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return next((band for band, options in words.items() if text in options), None)


def _threshold_band(value: object, middle_from: float, high_from: float) -> IncomeBand | None:
    number = _number(value)
    if number is None:
        return None
    if number >= high_from:
        return IncomeBand.HIGH
    return IncomeBand.MIDDLE if number >= middle_from else IncomeBand.LOW


def _size_band(value: object) -> IncomeBand | None:
    band = _word_band(value, _SIZE_WORDS)
    return band if band is not None else _threshold_band(value, SMALL_HEADCOUNT, LARGE_HEADCOUNT)


def _revenue_band(value: object) -> IncomeBand | None:
    return _threshold_band(value, LOW_REVENUE, HIGH_REVENUE)


def _source_key(context: TriageContext) -> tuple[str, str] | None:
    if context.contact_email and "@" in context.contact_email:
        return "e-mail domain", context.contact_email.rsplit("@", 1)[1].strip().lower()
    if context.contact_id:
        return "contact id", context.contact_id
    return None


class IncomeAwareAIProvider:
    """Heuristics blended with income and company-size signals, for consenting contacts only.

    Args:
        signal_source: Where the mock income band comes from; `HashIncomeSignalSource` by default.
        income_weight: Share of the lead score that comes from income signals (0 to 1).
    """

    name = "income"

    def __init__(
        self,
        signal_source: IncomeSignalSource | None = None,
        *,
        income_weight: float = DEFAULT_INCOME_WEIGHT,
    ) -> None:
        if not 0.0 <= income_weight <= 1.0:
            raise ConfigurationError(f"income_weight must be between 0 and 1, not {income_weight}")
        self.signal_source = signal_source or HashIncomeSignalSource()
        self.income_weight = income_weight

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None = None) -> IncomeAwareAIProvider:
        """The `alfred_ai.providers` entry point: build the provider from settings.

        Args:
            settings: Optional `income_weight` (a number from 0 to 1).

        Raises:
            ConfigurationError: On an unknown setting or a bad value.
        """
        settings = dict(settings or {})
        weight = settings.pop("income_weight", DEFAULT_INCOME_WEIGHT)
        if settings:
            raise ConfigurationError(
                f"unknown settings for the income AI provider: {sorted(settings)}; "
                "the only one is income_weight"
            )
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise ConfigurationError(f"income_weight must be a number, not {weight!r}")
        return cls(income_weight=float(weight))

    async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
        """Triage a message; income signals only with consent.

        Args:
            message: The message.
            context: `financial_consent` gates every income signal.

        Returns:
            The triage, with `provider="income"`.
        """
        reading = read(message, context)
        if not context.financial_consent:
            reading.notes.append(
                "Consent for financial inference is missing, so no income or company-size "
                "signal was read: heuristics only."
            )
            return reading.to_triage(self.name)
        return self._blend(reading, context)

    def _signals(self, context: TriageContext) -> list[tuple[str, str, IncomeBand]]:
        """(name, how it was read, band) for each income signal available; consent checked."""
        assert context.financial_consent
        attributes = IncomeAttributes.from_attributes(context.contact_attributes)
        found: list[tuple[str, str, IncomeBand]] = []
        size_key = "company_size" if attributes.company_size is not None else "employee_count"
        size = _size_band(getattr(attributes, size_key))
        if size is not None:
            found.append(("company_size", f"{size_key}={getattr(attributes, size_key)!r}", size))
        revenue = _revenue_band(attributes.annual_revenue)
        if revenue is not None:
            found.append(
                ("annual_revenue", f"annual_revenue={attributes.annual_revenue!r}", revenue)
            )
        income = _word_band(attributes.income_band, _INCOME_WORDS)
        if income is not None:
            found.append(("income_band", f"income_band={attributes.income_band!r}", income))
        key = _source_key(context)
        if key is not None:
            band = self.signal_source.band_for(key[1])
            found.append(("mock_source", f"mock source for {key[0]} {key[1]!r}", band))
        return found

    def _blend(self, reading: Reading, context: TriageContext) -> Triage:
        signals = self._signals(context)
        if not signals:
            reading.notes.append(
                "Consent for financial inference is on record, but the contact has no income or "
                "company-size signal: heuristics only."
            )
            return reading.to_triage(self.name)

        total_weight = sum(SIGNAL_WEIGHTS[name] for name, _, _ in signals)
        value = sum(SIGNAL_WEIGHTS[name] * BAND_VALUE[band] for name, _, band in signals)
        value /= total_weight
        band = (
            IncomeBand.LOW
            if value < 1 / 3
            else IncomeBand.MIDDLE
            if value < 2 / 3
            else IncomeBand.HIGH
        )
        parts = ", ".join(
            f"{how} -> {b.value} (weight {SIGNAL_WEIGHTS[name] / total_weight:.2f})"
            for name, how, b in signals
        )

        tone_score = reading.lead_score
        income_score = round(value * 100)
        w = self.income_weight
        blended = round((1 - w) * tone_score + w * income_score)
        reading.lead_points = {"tone heuristics": tone_score}
        reading.lead_points["income blend"] = blended - tone_score

        buying = reading.intent in (Intent.PURCHASE, Intent.PRICING)
        raised = ""
        if buying and band is IncomeBand.HIGH and reading.priority_points < 2:
            reading.priority_points = 2.0
            reading.priority_reasons.append("high income band on a buying message: at least high")
            raised = " Priority raised to high for a high-band buyer."

        reading.signals.extend(f"income:{name}" for name, _, _ in signals)
        reading.signals.append("income:blend")
        guidance = reading.price_guidance(
            tier=TIER_BY_BAND[band],
            discount=DISCOUNT_BY_BAND[band],
            why=f"{band.value} income band from consented signals",
        )
        reading.notes.append(
            f"Income signals (consent for financial inference on record): {parts}; combined "
            f"{value:.2f} -> {band.value} band. Lead score {blended} = {1 - w:.2f} x tone "
            f"{tone_score} + {w:.2f} x income {income_score}.{raised}"
            + (f" Price guidance from the {band.value} band." if guidance else "")
        )
        triage = reading.to_triage(self.name)
        return triage.model_copy(update={"price_guidance": guidance})
