"""Channel webhooks: inbound messages from e-mail, WhatsApp, SMS and web chat providers.

One route per channel (`/webhooks/email`, `/webhooks/whatsapp`, `/webhooks/sms`,
`/webhooks/webchat`), so an unknown channel is a plain 404 before anything is parsed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response

from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.ingestion.schemas import InboundMessage, IngestResult
from alfred_crm_core.ingestion.service import IngestionService
from alfred_reference_api.deps import RuntimeDep, UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_SENDER = {
    Channel.EMAIL: "an e-mail address",
    Channel.WHATSAPP: "a phone number (E.164 or local Brazilian)",
    Channel.SMS: "a phone number (E.164 or local Brazilian)",
    Channel.WEBCHAT: "an e-mail, a phone number or the chat session id",
}


def _route(channel: Channel) -> Callable[..., Awaitable[IngestResult]]:
    async def ingest(
        data: InboundMessage, uow: UowDep, runtime: RuntimeDep, response: Response
    ) -> IngestResult:
        result = await IngestionService(uow, runtime.triager, runtime.consent).ingest(channel, data)
        if result.duplicate:
            response.status_code = 200
        return result

    ingest.__doc__ = (
        f"Store one inbound {channel.value} message for the caller's tenant, triaged, in one "
        f"transaction. `from` is {_SENDER[channel]}. The same `message_id` again answers 200 "
        "with the stored message and `duplicate: true`, writing nothing."
    )
    return ingest


for _channel in Channel:
    router.add_api_route(
        f"/{_channel.value}",
        _route(_channel),
        methods=["POST"],
        status_code=201,
        summary=f"Ingest an inbound {_channel.value} message",
        operation_id=f"ingest_{_channel.value}",
        response_model=IngestResult,
        responses={
            200: {"model": IngestResult, "description": "Already ingested: the stored message."},
            **problems(401, 413, 422),
        },
    )
