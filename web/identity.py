"""Who is signed in. Pages ask `SignIn` for a person and keep them in a server-side session
named by a signed cookie; an institution's single sign-on (OIDC) replaces `TokenSignIn`
behind the same protocol without touching a page."""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from application.people import Identities
from application.refusals import Refusal
from identity.people import Person

SESSION_COOKIE = "collab_session"
SESSION_SECONDS = 8 * 3600


class SignIn(Protocol):
    async def person_for(self, credential: str) -> Person | None: ...

    async def person(self, person_id: str) -> Person | None: ...


class TokenSignIn:
    """The personal API token (`collab users add`) as the sign-in credential."""

    def __init__(self, identities: Identities) -> None:
        self._identities = identities

    async def person_for(self, credential: str) -> Person | None:
        try:
            return await self._identities.by_token(credential)
        except Refusal:
            return None

    async def person(self, person_id: str) -> Person | None:
        try:
            return await self._identities.by_id(person_id)
        except Refusal:
            return None


class SessionCookie:
    """The cookie names a server-side session (identity.sessions), signed so that no id
    can be guessed or forged; the session itself says whether it still holds."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"collab-session:" + secret).digest()

    def seal(self, session_id: str) -> str:
        return f"{session_id}.{self._sign(session_id)}"

    def open(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        session_id, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature.encode(), self._sign(session_id).encode()):
            return None
        return session_id

    def _sign(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()
