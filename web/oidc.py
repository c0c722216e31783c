"""Sign-on with an institution's identity provider (OpenID Connect) on the pages: the
authorization code flow with PKCE (S256), its state and nonce checked, done with authlib.

The browser carries the flow between leaving for the provider and coming back in a
short-lived cookie, signed with the session secret (nothing is kept on the server in
between, so any API process may finish a flow another one started): the state the
callback must bring back, the nonce the ID token must hold, the PKCE verifier and where to
go once signed in. The provider's answer signs in someone of the directory only: found by
the subject an operator stored for them or by the e-mail claim (one live person with that
e-mail), never created. Refusals carry the page label (web.i18n) that says why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from joserfc.errors import JoseError

with warnings.catch_warnings():
    # authlib 1.x prefers the httpx2 fork and says so on import; it works with httpx (the
    # service's own HTTP client, whose errors are caught below) until authlib 2
    import authlib.deprecate  # noqa: F401  (its filter first, so that this one comes before it)

    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.starlette_client import OAuth

from application.people import Identities
from identity.people import Person

log = logging.getLogger(__name__)

FLOW_COOKIE = "collab_sign_on"
FLOW_SECONDS = 600  # from leaving for the provider to coming back
ID_TOKEN_COOKIE = "collab_sign_on_id"  # the hint a provider's sign-out asks for
CALLBACK_PATH = "/ui/signin/callback"
SIGNED_OUT_PATH = "/ui/signin"
_BIGGEST_COOKIE = 3800


@dataclass(frozen=True)
class SignOnSettings:
    discovery_url: str
    client_id: str
    client_secret: str | None = None
    match: Literal["email", "subject"] = "email"
    token_form: bool = True  # the personal-token form is still offered beside
    scope: str = "openid email profile"
    timeout_s: float = 10.0


class SignOnRefused(Exception):
    """`reason`: the label (web.i18n) of the page that says why; `values` fill it in."""

    def __init__(self, reason: str, status: int = 400, **values: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.values = values


@dataclass(frozen=True)
class Started:
    url: str  # the provider's authorization endpoint, with this flow's parameters
    flow: str  # the flow cookie's value


@dataclass(frozen=True)
class SignedOn:
    person: Person
    next: str
    id_token: str | None


class SignOn:
    def __init__(
        self,
        settings: SignOnSettings,
        identities: Identities,
        public_url: str,
        secret: bytes,
    ) -> None:
        self.settings = settings
        self._identities = identities
        self.redirect_uri = public_url.rstrip("/") + CALLBACK_PATH
        self.after_sign_out = public_url.rstrip("/") + SIGNED_OUT_PATH
        self._key = hashlib.sha256(b"collab-sign-on:" + secret).digest()
        self._client: Any = OAuth().register(
            "institution",
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=settings.discovery_url,
            client_kwargs={
                "scope": settings.scope,
                "code_challenge_method": "S256",
                "timeout": settings.timeout_s,
            },
        )

    @property
    def token_form(self) -> bool:
        return self.settings.token_form

    async def start(self, next_page: str) -> Started:
        """The address to send the browser to, and the flow it carries meanwhile."""
        try:
            made = await self._client.create_authorization_url(self.redirect_uri)
        except httpx.HTTPError as err:
            raise _unreachable(err) from err
        flow = {
            "state": made["state"],
            "nonce": made["nonce"],
            "verifier": made["code_verifier"],
            "next": next_page,
            "until": int(time.time()) + FLOW_SECONDS,
        }
        return Started(made["url"], self._seal(flow))

    async def finish(self, answer: Mapping[str, str], flow_cookie: str | None) -> SignedOn:
        """The provider's answer at the callback, checked against the flow this browser
        started: the person it signs in, or SignOnRefused."""
        flow = self._open(flow_cookie)
        if flow is None:
            raise SignOnRefused("sign_on.no_flow")
        if not hmac.compare_digest(answer.get("state", "").encode(), flow["state"].encode()):
            raise SignOnRefused("sign_on.bad_state")
        try:
            metadata = await self._client.load_server_metadata()
        except httpx.HTTPError as err:
            raise _unreachable(err) from err
        issuer = str(metadata.get("issuer", ""))
        # RFC 9207: an answer that names another provider is not this one's
        if "iss" in answer and answer["iss"] != issuer:
            raise SignOnRefused("sign_on.bad_state")
        if "error" in answer:
            raise SignOnRefused("sign_on.provider_said", error=answer["error"][:100])
        code = answer.get("code", "")
        if not code:
            raise SignOnRefused("sign_on.bad_answer")
        try:
            token = await self._client.fetch_access_token(
                redirect_uri=self.redirect_uri, code=code, code_verifier=flow["verifier"]
            )
        except OAuthError as err:  # a code already used, expired, or not this flow's
            log.info("sign-on: the provider refused the code: %s", err.error)
            raise SignOnRefused("sign_on.code_refused") from err
        except httpx.HTTPError as err:
            raise _unreachable(err) from err
        claims = await self._checked_id_token(token, flow["nonce"], issuer)
        if "email" not in claims:  # to match by, or to say who was refused
            claims = await self._with_userinfo(token, claims)
        person = await self._person(claims, issuer)
        id_token = token.get("id_token")
        return SignedOn(person, str(flow["next"]), id_token if isinstance(id_token, str) else None)

    async def sign_out_url(self, id_token: str | None) -> str | None:
        """Where the browser ends its session at the provider too, when the provider says
        how (end_session_endpoint); None: the local session alone."""
        try:
            metadata = await self._client.load_server_metadata()
        except httpx.HTTPError:
            return None
        if not metadata.get("end_session_endpoint"):
            return None
        made = await self._client.create_logout_url(
            post_logout_redirect_uri=self.after_sign_out,
            id_token_hint=id_token,
            client_id=self.settings.client_id,
        )
        return str(made["url"])

    def id_token_cookie(self, id_token: str | None) -> str | None:
        """The ID token, kept for the sign-out's hint when a cookie can hold it."""
        if id_token and len(id_token) <= _BIGGEST_COOKIE:
            return id_token
        return None

    async def _checked_id_token(
        self, token: Mapping[str, Any], nonce: str, issuer: str
    ) -> Mapping[str, Any]:
        if "id_token" not in token:
            raise SignOnRefused("sign_on.bad_answer")
        options = {
            "iss": {"essential": True, "value": issuer},
            "sub": {"essential": True},
        }
        try:
            claims = await self._client.parse_id_token(token, nonce, claims_options=options)
        except (JoseError, ValueError) as err:
            log.info("sign-on: the ID token was refused: %r", err)
            raise SignOnRefused("sign_on.bad_answer") from err
        except httpx.HTTPError as err:
            raise _unreachable(err) from err
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.settings.client_id not in audiences or claims.get("nonce") != nonce:
            raise SignOnRefused("sign_on.bad_answer")
        return dict(claims)

    async def _with_userinfo(
        self, token: Mapping[str, Any], claims: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """The ID token's claims and the userinfo endpoint's (a provider that follows the
        specification to the letter gives the e-mail there only): the same `sub`, or none."""
        metadata = await self._client.load_server_metadata()
        if not metadata.get("userinfo_endpoint"):
            return claims
        try:
            info = await self._client.userinfo(token=dict(token))
        except (OAuthError, httpx.HTTPError, ValueError) as err:
            log.info("sign-on: userinfo refused: %r", err)
            raise SignOnRefused("sign_on.bad_answer") from err
        if info.get("sub") != claims.get("sub"):
            raise SignOnRefused("sign_on.bad_answer")
        return {**info, **claims}

    async def _person(self, claims: Mapping[str, Any], issuer: str) -> Person:
        if self.settings.match == "subject":
            found = await self._identities.by_subject(issuer, str(claims["sub"]))
            said_as = str(claims.get("email") or claims["sub"])
        else:
            email = claims.get("email")
            if not isinstance(email, str) or not email or claims.get("email_verified") is False:
                raise SignOnRefused("sign_on.no_email", 403)
            found = await self._identities.by_email(email)
            said_as = email
        if found is None:
            raise SignOnRefused("sign_on.unknown_person", 403, who=said_as[:320])
        return found

    def _seal(self, flow: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def _open(self, cookie: str | None) -> dict[str, Any] | None:
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            flow = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(flow, dict) or int(flow.get("until", 0)) < time.time():
            return None
        return flow

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


def _unreachable(err: Exception) -> SignOnRefused:
    log.warning("sign-on: the identity provider did not answer: %r", err)
    return SignOnRefused("sign_on.unreachable", 502)
