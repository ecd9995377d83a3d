import asyncio
import logging
from datetime import timedelta

import asyncpg
import pytest

from alfred_crm_core import (
    AuthConfig,
    Authenticator,
    AuthResult,
    ConflictError,
    Database,
    InvalidCredentialsError,
    InvalidGrantError,
    LoginCredentials,
    PasswordChange,
    Role,
    ThrottledError,
    UserCreate,
    ValidationError,
)
from alfred_crm_core.clock import frozen_clock, utcnow
from alfred_crm_core.errors import AuthenticationError

pytestmark = pytest.mark.anyio

ADA = UserCreate(name="Ada", email="ada@example.com", password="secret")


async def _count(url: str, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


class TestRegister:
    async def test_creates_user_tenant_owner_membership_and_first_session(
        self, auth: Authenticator
    ) -> None:
        result = await auth.register(ADA)
        assert result.user.email == "ada@example.com" and result.tenant.role is Role.OWNER
        assert result.tenant.name == "Ada" and result.expires_in == 900
        principal = await auth.authenticate(result.access_token)
        assert (principal.user_id, principal.tenant_id) == (result.user.id, result.tenant.id)

    async def test_same_email_in_any_case_is_a_conflict_with_nothing_written(
        self, auth: Authenticator, database_url: str
    ) -> None:
        await auth.register(ADA)
        with pytest.raises(ConflictError):
            await auth.register(UserCreate(name="Eve", email=" ADA@example.COM ", password="x" * 9))
        assert await _count(database_url, "SELECT count(*) FROM users") == 1
        assert await _count(database_url, "SELECT count(*) FROM tenants") == 1

    async def test_concurrent_registrations_of_one_email_create_one_user(
        self, auth: Authenticator, database_url: str
    ) -> None:
        outcomes = await asyncio.gather(
            *(auth.register(ADA) for _ in range(5)), return_exceptions=True
        )
        assert sum(isinstance(o, AuthResult) for o in outcomes) == 1
        assert sum(isinstance(o, ConflictError) for o in outcomes) == 4
        assert await _count(database_url, "SELECT count(*) FROM users") == 1

    async def test_short_password_is_refused(self, auth: Authenticator) -> None:
        with pytest.raises(ValidationError) as err:
            await auth.register(UserCreate(name="A", email="a@example.com", password="12345"))
        assert err.value.field == "password"


class TestLogin:
    async def test_succeeds_for_any_spelling_of_the_email(self, auth: Authenticator) -> None:
        registered = await auth.register(ADA)
        result = await auth.login(LoginCredentials(email=" Ada@EXAMPLE.com ", password="secret"))
        assert result.user.id == registered.user.id

    @pytest.mark.parametrize(
        ("email", "password"), [("ada@example.com", "wrong!"), ("nobody@example.com", "secret")]
    )
    async def test_unknown_email_and_wrong_password_fail_alike(
        self, auth: Authenticator, email: str, password: str
    ) -> None:
        await auth.register(ADA)
        with pytest.raises(InvalidCredentialsError) as err:
            await auth.login(LoginCredentials(email=email, password=password))
        assert str(err.value) == "the e-mail or password is incorrect"

    async def test_disabled_user_cannot_log_in(
        self, auth: Authenticator, database_url: str
    ) -> None:
        await auth.register(ADA)
        conn = await asyncpg.connect(database_url)
        await conn.execute("UPDATE users SET is_active = false")
        await conn.close()
        with pytest.raises(InvalidCredentialsError):
            await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))

    async def test_sixth_attempt_in_the_window_is_throttled_then_released(
        self, auth: Authenticator
    ) -> None:
        await auth.register(ADA)
        start = utcnow()
        with frozen_clock(start):
            for _ in range(5):
                with pytest.raises(InvalidCredentialsError):
                    await auth.login(LoginCredentials(email=ADA.email, password="wrong!"))
            with pytest.raises(ThrottledError) as err:
                await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
        assert err.value.retry_after == 900
        with frozen_clock(start + timedelta(seconds=600)):
            with pytest.raises(ThrottledError) as err:
                await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
            assert err.value.retry_after == 300
        with frozen_clock(start + timedelta(seconds=901)):
            assert await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))

    async def test_success_clears_the_count(self, auth: Authenticator) -> None:
        await auth.register(ADA)
        for _ in range(3):
            for _ in range(4):
                with pytest.raises(InvalidCredentialsError):
                    await auth.login(LoginCredentials(email=ADA.email, password="wrong!"))
            await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))

    async def test_concurrent_attempts_never_exceed_the_budget(self, auth: Authenticator) -> None:
        await auth.register(ADA)
        outcomes = await asyncio.gather(
            *(auth.login(LoginCredentials(email=ADA.email, password="wrong!")) for _ in range(12)),
            return_exceptions=True,
        )
        assert sum(isinstance(o, InvalidCredentialsError) for o in outcomes) == 5
        assert sum(isinstance(o, ThrottledError) for o in outcomes) == 7

    async def test_throttle_of_one_account_leaves_others_alone(self, auth: Authenticator) -> None:
        await auth.register(ADA)
        await auth.register(UserCreate(name="Bob", email="bob@example.com", password="secret"))
        for _ in range(6):
            with pytest.raises((InvalidCredentialsError, ThrottledError)):
                await auth.login(LoginCredentials(email=ADA.email, password="wrong!"))
        assert await auth.login(LoginCredentials(email="bob@example.com", password="secret"))

    async def test_stored_hash_is_upgraded_when_parameters_change(
        self, db: Database, database_url: str, auth_config: AuthConfig
    ) -> None:
        def config(memory_kib: int) -> AuthConfig:
            return AuthConfig(
                jwt_secret=auth_config.jwt_secret,
                password_min_length=6,
                hash_time_cost=1,
                hash_memory_kib=memory_kib,
            )

        await Authenticator(db, config(512)).register(ADA)
        strong = Authenticator(db, config(1024))
        await strong.login(LoginCredentials(email=ADA.email, password=ADA.password))
        conn = await asyncpg.connect(database_url)
        stored = await conn.fetchval("SELECT password_hash FROM users")
        await conn.close()
        assert "m=1024" in stored


class TestOnboarding:
    async def test_first_token_creates_exactly_one_onboarding_notification(
        self, auth: Authenticator, database_url: str
    ) -> None:
        await auth.register(ADA)
        await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
        rows = await _count(
            database_url,
            "SELECT count(*) FROM notifications WHERE type = 'onboarding'"
            " AND entity_type = 'system' AND entity_id IS NULL",
        )
        assert rows == 1

    async def test_concurrent_first_logins_of_a_seeded_user_onboard_once(
        self, auth: Authenticator, database_url: str
    ) -> None:
        user, created = await auth.ensure_account(ADA)
        assert created and (await auth.ensure_account(ADA)) == (user, False)
        assert await _count(database_url, "SELECT count(*) FROM notifications") == 0
        results = await asyncio.gather(
            *(
                auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
                for _ in range(5)
            )
        )
        assert {r.user.id for r in results} == {user.id}
        assert await _count(database_url, "SELECT count(*) FROM notifications") == 1


class TestRefresh:
    async def test_rotation_gives_a_new_pair_and_marks_the_old_token_used(
        self, auth: Authenticator, database_url: str
    ) -> None:
        first = await auth.register(ADA)
        second = await auth.refresh(first.refresh_token)
        assert second.refresh_token != first.refresh_token
        assert await auth.authenticate(second.access_token)
        used = await _count(
            database_url, "SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL"
        )
        assert used == 1

    async def test_replay_revokes_the_family_and_logs_a_security_event(
        self, auth: Authenticator, caplog: pytest.LogCaptureFixture
    ) -> None:
        first = await auth.register(ADA)
        second = await auth.refresh(first.refresh_token)
        with caplog.at_level(logging.WARNING), pytest.raises(InvalidGrantError):
            await auth.refresh(first.refresh_token)
        with pytest.raises(InvalidGrantError):
            await auth.refresh(second.refresh_token)
        with pytest.raises(AuthenticationError):
            await auth.authenticate(second.access_token)  # the version was bumped
        events = [
            r for r in caplog.records if getattr(r, "event", "") == "security.refresh_token_reuse"
        ]
        assert len(events) == 1
        assert first.refresh_token not in caplog.text and second.refresh_token not in caplog.text

    async def test_concurrent_refreshes_with_one_token_let_exactly_one_through(
        self, auth: Authenticator, database_url: str
    ) -> None:
        first = await auth.register(ADA)
        outcomes = await asyncio.gather(
            *(auth.refresh(first.refresh_token) for _ in range(10)), return_exceptions=True
        )
        assert sum(isinstance(o, AuthResult) for o in outcomes) == 1
        assert sum(isinstance(o, InvalidGrantError) for o in outcomes) == 9
        live = await _count(
            database_url,
            "SELECT count(*) FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL",
        )
        assert live <= 1

    async def test_family_dies_at_its_absolute_lifetime(self, auth: Authenticator) -> None:
        start = utcnow()
        with frozen_clock(start):
            pair = await auth.register(ADA)
        for day in (29, 58, 87):
            with frozen_clock(start + timedelta(days=day)):
                pair = await auth.refresh(pair.refresh_token)
        with frozen_clock(start + timedelta(days=90, seconds=1)), pytest.raises(InvalidGrantError):
            await auth.refresh(pair.refresh_token)

    async def test_a_token_expires_after_its_own_lifetime(self, auth: Authenticator) -> None:
        start = utcnow()
        with frozen_clock(start):
            pair = await auth.register(ADA)
        with frozen_clock(start + timedelta(days=30, seconds=1)), pytest.raises(InvalidGrantError):
            await auth.refresh(pair.refresh_token)

    @pytest.mark.parametrize("token", ["", "nope", "x" * 500])
    async def test_unknown_tokens_are_invalid_grants(self, auth: Authenticator, token: str) -> None:
        with pytest.raises(InvalidGrantError):
            await auth.refresh(token)


class TestLogoutAndPasswordChange:
    async def test_logout_revokes_the_family_and_the_access_tokens(
        self, auth: Authenticator
    ) -> None:
        pair = await auth.register(ADA)
        await auth.logout(pair.refresh_token)
        await auth.logout(pair.refresh_token)  # twice is harmless
        await auth.logout("never-issued")
        with pytest.raises(InvalidGrantError):
            await auth.refresh(pair.refresh_token)
        with pytest.raises(AuthenticationError):
            await auth.authenticate(pair.access_token)

    async def test_logout_leaves_other_sessions_able_to_refresh(self, auth: Authenticator) -> None:
        await auth.register(ADA)
        phone = await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
        laptop = await auth.login(LoginCredentials(email=ADA.email, password=ADA.password))
        await auth.logout(laptop.refresh_token)
        renewed = await auth.refresh(phone.refresh_token)
        assert await auth.authenticate(renewed.access_token)

    async def test_password_change_ends_every_session_but_the_new_one(
        self, auth: Authenticator
    ) -> None:
        old = await auth.register(ADA)
        principal = await auth.authenticate(old.access_token)
        with pytest.raises(ValidationError):
            await auth.change_password(
                principal, PasswordChange(current_password="wrong!", new_password="n3w-secret")
            )
        new = await auth.change_password(
            principal, PasswordChange(current_password="secret", new_password="n3w-secret")
        )
        with pytest.raises(AuthenticationError):
            await auth.authenticate(old.access_token)
        with pytest.raises(InvalidGrantError):
            await auth.refresh(old.refresh_token)
        assert await auth.authenticate(new.access_token)
        with pytest.raises(InvalidCredentialsError):
            await auth.login(LoginCredentials(email=ADA.email, password="secret"))
        assert await auth.login(LoginCredentials(email=ADA.email, password="n3w-secret"))


async def test_purge_deletes_dead_tokens_and_counters(
    auth: Authenticator, database_url: str
) -> None:
    start = utcnow()
    with frozen_clock(start):
        await auth.register(ADA)
        with pytest.raises(InvalidCredentialsError):
            await auth.login(LoginCredentials(email="x@example.com", password="wrong!"))
        assert await auth.purge_expired() == 0
    with frozen_clock(start + timedelta(days=91)):
        assert await auth.purge_expired() == 2
    assert await _count(database_url, "SELECT count(*) FROM refresh_tokens") == 0
