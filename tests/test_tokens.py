"""Conversation tokens: signed, expiring, bound to one conversation."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from bot.tokens import TokenError, issue_token, verify_token

SECRET = "test-secret-0123456789abcdef"
T0 = 1_800_000_000.0


def _issue(conversation_id: str = "conv-1", ttl_s: int = 3600) -> str:
    return issue_token(conversation_id, secret=SECRET, ttl_s=ttl_s, now=T0)


def _refused(token: str, conversation_id: str = "conv-1", now: float = T0 + 1) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(token, conversation_id, secret=SECRET, now=now)
    return caught.value.code


def test_fresh_token_is_accepted_for_its_conversation() -> None:
    verify_token(_issue(), "conv-1", secret=SECRET, now=T0 + 3599)


def test_token_carries_only_version_conversation_and_expiry() -> None:
    payload_part = _issue().split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    assert payload == {"v": 1, "cid": "conv-1", "exp": int(T0) + 3600}
    assert SECRET not in _issue()


@pytest.mark.parametrize("elapsed", [3600, 3600.5, 86_400])
def test_token_expires_after_ttl(elapsed: float) -> None:
    assert _refused(_issue(ttl_s=3600), now=T0 + elapsed) == "token_expired"


def test_token_for_another_conversation_is_refused() -> None:
    assert _refused(_issue("conv-1"), "conv-2") == "token_wrong_conversation"
    assert _refused(_issue("conv-1"), "conv-10") == "token_wrong_conversation"


def test_token_signed_with_another_secret_is_invalid() -> None:
    token = issue_token("conv-1", secret="another-secret", ttl_s=3600, now=T0)
    assert _refused(token) == "token_invalid"


def _forge_payload(token: str, **changes: object) -> str:
    payload_part, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    payload.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": int(T0) + 10**9}, id="extended-expiry"),
        pytest.param({"cid": "conv-2"}, id="rebound-conversation"),
    ],
)
def test_edited_payload_is_invalid(changes: dict[str, object]) -> None:
    forged = _forge_payload(_issue(), **changes)
    conversation_id = str(changes.get("cid", "conv-1"))
    assert _refused(forged, conversation_id) == "token_invalid"


def _flip_last_char(part: str) -> str:
    return part[:-1] + ("A" if part[-1] != "A" else "B")


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t.split(".")[0], id="no-signature"),
        pytest.param(lambda t: t + ".extra", id="three-parts"),
        pytest.param(lambda t: "." + t.split(".")[1], id="no-payload"),
        pytest.param(lambda t: t[:-1], id="truncated-signature"),
        pytest.param(lambda t: t + "=", id="padding"),
        pytest.param(lambda t: t + "!", id="junk-character"),
        pytest.param(lambda t: t.replace("-", "+").replace("_", "/") + "+", id="std-alphabet"),
        pytest.param(lambda t: t + "A" * 2000, id="oversize"),
        pytest.param(lambda t: t + "é", id="non-ascii"),
        pytest.param(lambda t: t.split(".")[0] + "." + _flip_last_char(t.split(".")[1]), id="sig"),
        pytest.param(lambda t: "Bearer " + t, id="with-scheme"),
    ],
)
def test_malformed_or_tampered_tokens_are_invalid(mangle: Callable[[str], str]) -> None:
    assert _refused(mangle(_issue())) == "token_invalid"


def test_error_carries_a_message_for_the_api_body() -> None:
    with pytest.raises(TokenError, match="expired") as caught:
        verify_token(_issue(ttl_s=1), "conv-1", secret=SECRET, now=T0 + 5)
    assert caught.value.code == "token_expired"


def test_token_uses_the_wall_clock_by_default() -> None:
    token = issue_token("conv-1", secret=SECRET, ttl_s=60)
    verify_token(token, "conv-1", secret=SECRET)
    with pytest.raises(TokenError):
        verify_token(token, "conv-1", secret=SECRET, now=T0 + 10**10)


@pytest.mark.parametrize(
    ("conversation_id", "ttl_s", "secret"),
    [("", 60, SECRET), ("c", 0, SECRET), ("c", -5, SECRET), ("c", 60, "")],
)
def test_bad_issue_arguments_are_programming_errors(
    conversation_id: str, ttl_s: int, secret: str
) -> None:
    with pytest.raises(ValueError):
        issue_token(conversation_id, secret=secret, ttl_s=ttl_s, now=T0)


def test_non_ascii_conversation_ids_round_trip() -> None:
    token = issue_token("samtal-å", secret=SECRET, ttl_s=60, now=T0)
    verify_token(token, "samtal-å", secret=SECRET, now=T0)
    assert _refused(token, "samtal-a") == "token_wrong_conversation"
