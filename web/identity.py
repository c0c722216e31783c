"""Who is signed in. Pages ask `SignIn` for a person and keep them in a signed session
cookie; an institution's single sign-on (OIDC) replaces `TokenSignIn` behind the same
protocol without touching a page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from identity.people import PeopleDirectory, Person

SESSION_COOKIE = "collab_session"
SESSION_SECONDS = 8 * 3600


class SignIn(Protocol):
    async def person_for(self, credential: str) -> Person | None: ...

    async def person(self, person_id: str) -> Person | None: ...


class TokenSignIn:
    """The personal API token (`collab users add`) as the sign-in credential."""

    def __init__(self, people: PeopleDirectory) -> None:
        self._people = people

    async def person_for(self, credential: str) -> Person | None:
        return await self._people.authenticate(credential.strip())

    async def person(self, person_id: str) -> Person | None:
        return await self._people.get(person_id)


@dataclass(frozen=True)
class Session:
    person_id: str
    csrf: str  # the token every form carries back
    expires: int


class SessionCodec:
    """A session is a signed cookie: nothing to store server-side, nothing to forge."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"collab-session:" + secret).digest()

    def issue(self, person_id: str, now: float | None = None) -> tuple[Session, str]:
        now = time.time() if now is None else now
        session = Session(person_id, secrets.token_urlsafe(24), int(now) + SESSION_SECONDS)
        body = json.dumps([session.person_id, session.csrf, session.expires]).encode()
        payload = base64.urlsafe_b64encode(body).decode()
        return session, f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            person_id, csrf, expires = json.loads(base64.urlsafe_b64decode(payload))
        except (ValueError, TypeError):
            return None
        if expires < (time.time() if now is None else now):
            return None
        return Session(str(person_id), str(csrf), int(expires))

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()
