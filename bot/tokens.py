"""Conversation tokens: the bearer credential for one chat conversation.

`POST /api/v1/conversations` hands out a token; every later request for that
conversation (REST or WebSocket) must present it. A token is

    base64url(payload JSON) "." base64url(HMAC-SHA256(key, "v1." + payload part))

with payload `{"v": 1, "cid": <conversation id>, "exp": <unix seconds>}`. It carries no
secret and no personal data: only the conversation id, which is already in the URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import Literal

TokenErrorCode = Literal["token_invalid", "token_expired", "token_wrong_conversation"]

TOKEN_VERSION = 1
# The MAC key is derived per purpose, so a secret shared with another HMAC user (identity
# verification, Slack) can never turn one of their MACs into a valid conversation token.
_KEY_LABEL = b"supportbot/conversation-token/v1"
_SIGNED_PREFIX = b"v1."
# A real token is ~120 characters; refusing huge input keeps a forged header from costing
# a big base64/JSON decode.
MAX_TOKEN_CHARS = 1024
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


class TokenError(Exception):
    """A token was refused; `code` is the machine-readable reason for the API error body."""

    def __init__(self, code: TokenErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: TokenErrorCode = code


def issue_token(conversation_id: str, *, secret: str, ttl_s: int, now: float | None = None) -> str:
    """Sign a token that lets its holder act in one conversation until it expires.

    Args:
        conversation_id: the conversation the token is bound to.
        secret: the server's token secret (settings); never sent to clients.
        ttl_s: lifetime in seconds, > 0.
        now: Unix time to issue at; the wall clock when None (tests inject it).
    """
    if not conversation_id:
        raise ValueError("conversation_id must not be empty")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    issued_at = time.time() if now is None else now
    payload = {"v": TOKEN_VERSION, "cid": conversation_id, "exp": int(issued_at) + ttl_s}
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload_part}.{_b64encode(_sign(payload_part, secret))}"


def verify_token(
    token: str, conversation_id: str, *, secret: str, now: float | None = None
) -> None:
    """Check that `token` is genuine, unexpired and bound to `conversation_id`.

    Args:
        token: the bearer token as received.
        conversation_id: the conversation the request is about (from the URL).
        secret: the server's token secret.
        now: Unix time to check against; the wall clock when None.

    Raises:
        TokenError: with code "token_invalid" (malformed or forged),
            "token_wrong_conversation" or "token_expired".
    """
    payload_part, signature = _split(token)
    # The signature is checked before the payload is parsed, so forged input never
    # reaches the JSON decoder, and in constant time, so it cannot be guessed bytewise.
    if not hmac.compare_digest(signature, _sign(payload_part, secret)):
        raise TokenError("token_invalid", "The conversation token is not valid.")
    bound_to, expires_at = _parse_payload(payload_part)
    if not hmac.compare_digest(bound_to.encode(), conversation_id.encode()):
        raise TokenError(
            "token_wrong_conversation", "The token belongs to a different conversation."
        )
    checked_at = time.time() if now is None else now
    if checked_at >= expires_at:
        raise TokenError("token_expired", "The conversation token has expired.")


def _sign(payload_part: str, secret: str) -> bytes:
    if not secret:
        raise ValueError("the token secret must not be empty")
    key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, _SIGNED_PREFIX + payload_part.encode(), hashlib.sha256).digest()


def _split(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise TokenError("token_invalid", "The conversation token is malformed.")
    payload_part, dot, signature_part = token.partition(".")
    if not dot or not payload_part or "." in signature_part:
        raise TokenError("token_invalid", "The conversation token is malformed.")
    try:
        signature = _b64decode(signature_part)
    except ValueError as error:
        raise TokenError("token_invalid", "The conversation token is malformed.") from error
    return payload_part, signature


def _parse_payload(payload_part: str) -> tuple[str, int]:
    try:
        payload = json.loads(_b64decode(payload_part))
    except (ValueError, UnicodeDecodeError) as error:
        raise TokenError("token_invalid", "The conversation token is malformed.") from error
    # Only reachable with a valid MAC, i.e. a token this server signed; still checked so
    # a future format change fails closed rather than with a KeyError.
    if (
        not isinstance(payload, dict)
        or payload.get("v") != TOKEN_VERSION
        or not isinstance(payload.get("cid"), str)
        or type(payload.get("exp")) is not int
    ):
        raise TokenError("token_invalid", "The conversation token is malformed.")
    return payload["cid"], payload["exp"]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict, canonical base64url without padding.

    The standard decoder skips unknown characters and ignores trailing bits, which would
    let many strings decode to the same signature; only the one we would emit is accepted.
    """
    if not _B64URL_RE.fullmatch(text):
        raise ValueError("not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error
    if _b64encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw
