"""Password hashing with argon2id (pwdlib), off the event loop.

A login for an unknown e-mail verifies the password against a dummy hash made with the same
parameters, so that it costs as much as a wrong password for a real user: the response time does
not tell which e-mails have accounts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = ["PasswordHasher"]

_log = logging.getLogger(__name__)


class PasswordHasher:
    """argon2id hashing and verification, run in worker threads.

    The defaults (t=2, m=19 MiB, p=1) are OWASP's recommended minimum for argon2id; raise them
    through the settings on hardware that can afford it. Hashes made with other parameters still
    verify, and are upgraded at the next successful login.

    Args:
        time_cost: Iterations.
        memory_kib: Memory per hash, in KiB.
        parallelism: Lanes.
    """

    def __init__(self, *, time_cost: int = 2, memory_kib: int = 19 * 1024, parallelism: int = 1):
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        self._dummy = self._hash.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str) -> str:
        """Return the argon2id hash of `password` (the whole string: nothing is truncated)."""
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Check `password` against `hashed`, or against the dummy hash when it is None.

        Args:
            password: What the caller typed.
            hashed: The stored hash, or None when there is no such user.

        Returns:
            Whether it matched (always False for None), and a new hash to store when the stored
            one was made with other parameters.
        """
        if hashed is None:
            await asyncio.to_thread(self._hash.verify, password, self._dummy)
            return False, None
        try:
            return await asyncio.to_thread(self._hash.verify_and_update, password, hashed)
        except UnknownHashError:
            _log.error("a stored password hash is not in a known format")
            return False, None
