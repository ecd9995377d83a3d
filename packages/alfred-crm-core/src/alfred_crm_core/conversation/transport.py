"""The port outbound replies leave through, and the recording implementation used by default.

Real channel senders (an SMTP relay, the WhatsApp Cloud API, an SMS gateway) implement
`ChannelTransport`; the reference app wires `RecordingTransport`, which logs and keeps what it sent.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from alfred_crm_core.conversation.models import Channel

__all__ = ["ChannelTransport", "OutboundMessage", "RecordingTransport"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundMessage:
    """What a transport is asked to send."""

    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    channel: Channel
    to: str | None
    subject: str | None
    body: str


class ChannelTransport(Protocol):
    """Sends a reply on its channel and returns the channel's id for it."""

    async def send(self, message: OutboundMessage) -> str:
        """Send `message`; return the external message id."""
        ...


@dataclass
class RecordingTransport:
    """Logs each reply and keeps it in `sent`; returns `alfred-<uuid>` as the external id."""

    sent: list[OutboundMessage] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> str:
        """Record `message`."""
        self.sent.append(message)
        _log.info(
            "outbound message recorded",
            extra={
                "channel": message.channel.value,
                "conversation_id": str(message.conversation_id),
            },
        )
        return f"alfred-{uuid.uuid4()}"
