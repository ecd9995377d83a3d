import pytest

from alfred_crm_core import PasswordHasher

pytestmark = pytest.mark.anyio


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


async def test_hash_verifies_only_the_exact_password(hasher: PasswordHasher) -> None:
    password = "p" * 80
    hashed = await hasher.hash(password)
    assert hashed.startswith("$argon2id$")
    assert await hasher.verify(password, hashed) == (True, None)
    assert (await hasher.verify(password[:72], hashed))[0] is False  # no truncation
    assert (await hasher.verify(password + " ", hashed))[0] is False


async def test_unknown_user_verifies_against_the_dummy_and_fails(hasher: PasswordHasher) -> None:
    assert await hasher.verify("anything", None) == (False, None)


async def test_hash_made_with_other_parameters_is_upgraded(hasher: PasswordHasher) -> None:
    old = await PasswordHasher(time_cost=1, memory_kib=512, parallelism=1).hash("pw")
    matches, upgraded = await hasher.verify("pw", old)
    assert matches and upgraded is not None and "m=1024" in upgraded


async def test_a_corrupt_stored_hash_never_matches(hasher: PasswordHasher) -> None:
    assert await hasher.verify("pw", "not-a-hash") == (False, None)
