"""Signed tree heads: the ledger's size and Merkle root at a moment, signed with an Ed25519
key that lives outside the database (a file; never a table), so that a copy kept by an
auditor pins the record: whoever later rewrites the database cannot make the ledger
extend a head they did not sign.

The signature covers a fixed text of the head's fields, so a head read back from JSON is
checked on exactly what was signed."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import BaseModel, ConfigDict, Field

_CONTEXT = b"collab-lifecycle signed tree head v1\n"


class TreeHead(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 (RFC 9162 MTH)")
    timestamp: datetime
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key: str = Field(description="base64 of the raw Ed25519 public key")
    signature: str = Field(description="base64 Ed25519 signature of signed_text()")

    def signed_text(self) -> bytes:
        return _text(self.tree_size, self.root_hash, self.timestamp, self.key_id)

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)


def _text(size: int, root_hex: str, timestamp: datetime, key_id: str) -> bytes:
    moment = timestamp.astimezone(UTC).isoformat(timespec="microseconds")
    return _CONTEXT + f"{size}\n{root_hex}\n{moment}\n{key_id}\n".encode()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def sign(size: int, root: bytes, key: Ed25519PrivateKey, now: datetime) -> TreeHead:
    kid = key_id(key.public_key())
    _, public, signature = sign_text(_text(size, root.hex(), now, kid), key)
    return TreeHead(
        tree_size=size,
        root_hash=root.hex(),
        timestamp=now,
        key_id=kid,
        public_key=public,
        signature=signature,
    )


def sign_text(text: bytes, key: Ed25519PrivateKey) -> tuple[str, str, str]:
    """(key id, base64 public key, base64 signature) of `text`: what a signed head carries,
    and a re-anchoring statement (eventstore.reanchoring) too."""
    public = key.public_key()
    signature = base64.b64encode(key.sign(text)).decode()
    return key_id(public), base64.b64encode(_raw(public)).decode(), signature


def signature_problem(head: TreeHead, trusted: Ed25519PublicKey | None = None) -> str | None:
    """Why the head's signature cannot be trusted, or None. `trusted`: the key the verifier
    holds; without it the head's own key is used (its key id must then be compared with
    the one the auditor was given)."""
    return text_signature_problem(
        head.signed_text(), head.key_id, head.public_key, head.signature, trusted, "digest"
    )


def text_signature_problem(
    text: bytes,
    kid: str,
    public_key: str,
    signature: str,
    trusted: Ed25519PublicKey | None,
    what: str,
) -> str | None:
    """Why the signature of `text` (a `what`: digest, statement) cannot be trusted, or
    None."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    except ValueError:
        return f"the {what}'s public key is not an Ed25519 key"
    if key_id(public) != kid:
        return f"the {what}'s key id does not match its public key"
    if trusted is not None and key_id(trusted) != kid:
        return f"it is signed by key {kid}, not by this service's key {key_id(trusted)}"
    try:
        public.verify(base64.b64decode(signature), text)
    except (InvalidSignature, ValueError):
        return f"the {what}'s signature does not match its contents"
    return None


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in `path` (PEM, PKCS#8), made on first use, readable by its owner
    only."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return loaded
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # written whole under another name, then linked in: two workers starting together
    # never read half a key, and the first one's key is the one both keep
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        os.link(partial, path)
    except FileExistsError:
        return load_or_create_key(path)
    finally:
        partial.unlink()
    return key
