"""Destinations: validation, write-only secrets, rotation, tenancy, encryption key rotation."""

import logging
import uuid
from datetime import timedelta

import pytest
from pydantic import SecretStr
from pydantic import ValidationError as SchemaError
from sqlalchemy import text

from alfred_automation import (
    DestinationCreate,
    DestinationService,
    DestinationUpdate,
    HubConfig,
    OutboxSink,
    SecretBox,
    rotate_encryption,
    secret_aad,
)
from alfred_automation.testing import FakeResolver
from alfred_crm_core import Database, NotFoundError, ValidationError
from alfred_crm_core.clock import utcnow

from .conftest import KEY_1, KEY_2, MakeDestination, UowFactory

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:9/hook"
GIVEN = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


async def stored(db: Database, destination_id: uuid.UUID) -> dict[str, object]:
    async with db.system_transaction() as session:
        row = (
            await session.execute(
                text("SELECT * FROM automation_destinations WHERE id = :id"),
                {"id": destination_id},
            )
        ).one()
    return dict(row._mapping)


async def publish_one(uow: UowFactory) -> None:
    async with uow() as work:
        await OutboxSink().publish(work.session, tenant_id=work.tenant_id, type="a.b", payload={})


class TestCreate:
    async def test_a_generated_secret_is_returned_once_and_stored_encrypted(
        self, db: Database, uow: UowFactory, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL, event_types=["task.created"])
        assert created.secret is not None and created.secret.startswith("whsec_")
        assert created.secret_masked == "whsec_****" + created.secret[-4:]
        assert created.event_types == ["task.created"]
        row = await stored(db, created.id)
        assert row["secret_encrypted"] != created.secret
        assert created.secret not in str(row)
        assert str(row["secret_encrypted"]).startswith("v1:")
        async with uow() as work:
            service = DestinationService(work, HubConfig(encryption_keys=[KEY_1]))
            again = await service.get(created.id)
            listed = await service.list()
        assert created.secret not in again.model_dump_json()
        assert created.secret not in listed.model_dump_json()
        assert not hasattr(again, "secret")

    async def test_a_given_secret_is_never_returned(
        self, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL, secret=GIVEN)
        assert created.secret is None
        assert created.secret_masked == "whsec_****" + GIVEN[-4:]
        assert GIVEN not in created.model_dump_json()

    @pytest.mark.parametrize("secret", ["tiny-Zq9", "whsec_not base64!", "whsec_QUJD"])
    async def test_an_unusable_secret_is_refused(
        self, db: Database, make_destination: MakeDestination, secret: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            await make_destination(URL, secret=secret)
        assert caught.value.field == "secret"
        assert secret not in str(caught.value)

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/hook",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest",
            "http://metadata.google.internal/",
            "http://10.0.0.5/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "file:///etc/passwd",
            "https://user:pw@hooks.example.com/",
            "https://hooks.example.com:22/",
            "https://rebind.example.com/",
        ],
    )
    async def test_an_unsafe_url_is_refused_and_nothing_is_stored(
        self, db: Database, make_destination: MakeDestination, url: str
    ) -> None:
        strict = HubConfig(encryption_keys=[KEY_1])
        resolver = FakeResolver(
            {
                "hooks.example.com": ["93.184.216.34"],
                "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
            }
        )
        with pytest.raises(ValidationError) as caught:
            await make_destination(url, hub=strict, resolver=resolver)
        assert caught.value.field == "url"
        async with db.system_transaction() as session:
            rows = (
                await session.execute(text("SELECT count(*) FROM automation_destinations"))
            ).scalar()
        assert rows == 0

    async def test_a_public_url_is_stored_normalized(
        self, make_destination: MakeDestination
    ) -> None:
        strict = HubConfig(encryption_keys=[KEY_1], require_https=True)
        resolver = FakeResolver({"hooks.example.com": ["93.184.216.34"]})
        created = await make_destination(
            "HTTPS://Hooks.Example.com/flow?x=1", hub=strict, resolver=resolver
        )
        assert created.url == "https://hooks.example.com/flow?x=1"

    def test_event_types_are_validated_and_normalized(self) -> None:
        def types(value: list[str]) -> list[str]:
            return DestinationCreate(name="n", url=URL, event_types=value).event_types

        assert types(["task.created", "task.created", " lead.won "]) == ["task.created", "lead.won"]
        assert types(["task.created", "*"]) == ["*"]
        for bad in ([], ["has space"], ["x" * 101], ["*" * 2]):
            with pytest.raises(SchemaError):
                types(bad)
        assert "s" * 20 not in repr(
            DestinationCreate(name="n", url=URL, secret=SecretStr("s" * 20))
        )


class TestReadUpdateDelete:
    async def test_another_tenants_destination_is_not_found(
        self,
        uow: UowFactory,
        config: HubConfig,
        other_tenant: uuid.UUID,
        make_destination: MakeDestination,
    ) -> None:
        theirs = await make_destination(URL, tenant_id=other_tenant)
        async with uow() as work:
            service = DestinationService(work, config)
            for call in (
                service.get(theirs.id),
                service.update(theirs.id, DestinationUpdate(name="mine")),
                service.rotate_secret(theirs.id),
                service.delete(theirs.id),
            ):
                with pytest.raises(NotFoundError):
                    await call
            assert (await service.list()).items == []

    async def test_update_re_vets_the_url_and_changes_only_what_is_sent(
        self, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL, event_types=["a.b"])
        async with uow() as work:
            service = DestinationService(work, config)
            changed = await service.update(created.id, DestinationUpdate(name="renamed"))
            assert (changed.name, changed.url, changed.event_types) == ("renamed", URL, ["a.b"])
            with pytest.raises(ValidationError) as caught:
                await service.update(created.id, DestinationUpdate(url="http://169.254.169.254/"))
            assert caught.value.field == "url"
            with pytest.raises(ValidationError):
                await service.update(
                    created.id, DestinationUpdate.model_validate({"enabled": None})
                )
        async with uow() as work:
            assert (await DestinationService(work, config).get(created.id)).url == URL

    async def test_disabling_fails_pending_deliveries_and_enabling_clears_the_reason(
        self, db: Database, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL)
        await publish_one(uow)
        async with uow() as work:
            off = await DestinationService(work, config).update(
                created.id, DestinationUpdate(enabled=False)
            )
        assert not off.enabled
        async with db.system_transaction() as session:
            status, error = (
                await session.execute(text("SELECT status, last_error FROM automation_deliveries"))
            ).one()
        assert (status, error) == ("failed", "the destination was disabled")
        async with db.system_transaction() as session:
            await session.execute(
                text("UPDATE automation_destinations SET disabled_reason = 'gone'")
            )
        async with uow() as work:
            on = await DestinationService(work, config).update(
                created.id, DestinationUpdate(enabled=True)
            )
        assert on.enabled and on.disabled_reason is None

    async def test_delete_removes_the_destination_and_its_deliveries(
        self, db: Database, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL)
        await publish_one(uow)
        async with uow() as work:
            await DestinationService(work, config).delete(created.id)
        async with db.system_transaction() as session:
            left = (
                await session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM automation_destinations)"
                        " + (SELECT count(*) FROM automation_deliveries)"
                    )
                )
            ).scalar()
        assert left == 0

    async def test_list_pages_newest_first(
        self, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        made = [await make_destination(URL, name=f"d{n}") for n in range(3)]
        async with uow() as work:
            service = DestinationService(work, config)
            first = await service.list(limit=2)
            rest = await service.list(limit=2, cursor=first.next_cursor)
            enabled = await service.list(enabled=False)
        assert [d.name for d in first.items + rest.items] == ["d2", "d1", "d0"]
        assert rest.next_cursor is None and enabled.items == []
        assert {d.id for d in first.items + rest.items} == {d.id for d in made}


class TestSecretRotation:
    async def test_rotation_returns_a_new_secret_once_and_keeps_the_old_one_for_a_day(
        self, db: Database, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL)
        async with uow() as work:
            rotated = await DestinationService(work, config).rotate_secret(created.id)
        assert rotated.secret is not None and rotated.secret != created.secret
        assert rotated.previous_secret_expires_at is not None
        window = rotated.previous_secret_expires_at - utcnow()
        assert timedelta(hours=23, minutes=59) < window <= timedelta(hours=24)
        row = await stored(db, created.id)
        box = config.secret_box
        aad = secret_aad(row["tenant_id"], created.id)  # type: ignore[arg-type]  # a UUID column
        assert box.decrypt(str(row["secret_encrypted"]), aad) == rotated.secret
        assert box.decrypt(str(row["previous_secret_encrypted"]), aad) == created.secret

    async def test_a_given_secret_in_an_update_is_a_rotation_and_is_not_returned(
        self, db: Database, uow: UowFactory, config: HubConfig, make_destination: MakeDestination
    ) -> None:
        created = await make_destination(URL)
        async with uow() as work:
            service = DestinationService(work, config)
            updated = await service.update(created.id, DestinationUpdate(secret=SecretStr(GIVEN)))
            rotated = await service.rotate_secret(created.id, GIVEN.replace("QUJD", "WFla"))
        assert GIVEN not in updated.model_dump_json()
        assert rotated.secret is None
        assert updated.previous_secret_expires_at is not None


async def test_key_rotation_keeps_every_secret_readable_at_every_step(
    db: Database, uow: UowFactory, other_tenant: uuid.UUID, make_destination: MakeDestination
) -> None:
    old = HubConfig(encryption_keys=[KEY_1], allow_private_urls=True)
    mine = await make_destination(URL, hub=old)
    theirs = await make_destination(URL, hub=old, tenant_id=other_tenant)
    async with uow() as work:
        rotated = await DestinationService(work, old).rotate_secret(mine.id)
    both = SecretBox([KEY_2, KEY_1])
    new_only = SecretBox([KEY_2])

    async def secrets(box: SecretBox) -> set[str]:
        found = set()
        async with db.system_transaction() as session:
            rows = (await session.execute(text("SELECT * FROM automation_destinations"))).all()
        for row in rows:
            aad = secret_aad(row.tenant_id, row.id)
            found.add(box.decrypt(row.secret_encrypted, aad))
            if row.previous_secret_encrypted:
                found.add(box.decrypt(row.previous_secret_encrypted, aad))
        return found

    expected = {mine.secret, theirs.secret, rotated.secret}
    assert await secrets(both) == expected
    async with db.system_transaction() as session:
        result = await rotate_encryption(session, both)
    assert (result.rotated, result.failed) == (2, [])
    assert await secrets(new_only) == expected
    async with db.system_transaction() as session:
        again = await rotate_encryption(session, both)
    assert again.rotated == 0


async def test_key_rotation_leaves_a_tampered_secret_alone_and_reports_it(
    db: Database, make_destination: MakeDestination, caplog: pytest.LogCaptureFixture
) -> None:
    created = await make_destination(URL)
    other = await make_destination(URL)
    async with db.system_transaction() as session:
        # A ciphertext copied into another row does not decrypt there (its AAD differs).
        await session.execute(
            text(
                "UPDATE automation_destinations SET secret_encrypted ="
                " (SELECT secret_encrypted FROM automation_destinations WHERE id = :src)"
                " WHERE id = :dst"
            ),
            {"src": other.id, "dst": created.id},
        )
    with caplog.at_level(logging.DEBUG):
        async with db.system_transaction() as session:
            result = await rotate_encryption(session, SecretBox([KEY_2, KEY_1]))
    assert result.failed == [created.id]
    assert result.rotated == 1
    for secret in (created.secret, other.secret):
        assert secret is not None and secret not in caplog.text
