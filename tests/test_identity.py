"""Host-platform identity verification (Intercom style)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.identity import person_ref, user_hash, verify_user

SECRET = "identity-secret-for-tests"


def test_user_hash_is_the_hex_hmac_sha256_a_platform_backend_computes() -> None:
    # What a host platform's backend would run, independent of our code.
    expected = hmac.new(SECRET.encode(), b"user-42", hashlib.sha256).hexdigest()
    assert user_hash("user-42", secret=SECRET) == expected
    # Published HMAC-SHA256 vector (RFC 4231 is bytes-keyed; this one is the common
    # "key" / "The quick brown fox..." example).
    assert user_hash("The quick brown fox jumps over the lazy dog", secret="key") == (
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_genuine_hash_is_accepted_in_any_letter_case() -> None:
    digest = user_hash("user-42", secret=SECRET)
    assert verify_user("user-42", digest, secret=SECRET) is True
    assert verify_user("user-42", digest.upper(), secret=SECRET) is True


@pytest.mark.parametrize(
    ("user_id", "claimed"),
    [
        pytest.param("user-43", "hash-of:user-42", id="hash-of-another-user"),
        pytest.param("user-42", "hash-under-other-secret", id="other-secret"),
        pytest.param("user-42", "", id="empty-hash"),
        pytest.param("user-42", "not hex at all ✓", id="garbage-non-ascii"),
        pytest.param("user-42", "truncated", id="truncated"),
        pytest.param("", "hash-of:", id="empty-user-id"),
        pytest.param("u" * 257, "hash-of:" + "u" * 257, id="oversize-user-id"),
    ],
)
def test_forged_or_malformed_claims_are_refused(user_id: str, claimed: str) -> None:
    if claimed.startswith("hash-of:"):
        claimed = user_hash(claimed.removeprefix("hash-of:") or "x", secret=SECRET)
    elif claimed == "hash-under-other-secret":
        claimed = user_hash(user_id, secret="other-secret")
    elif claimed == "truncated":
        claimed = user_hash(user_id, secret=SECRET)[:-2]
    assert verify_user(user_id, claimed, secret=SECRET) is False


def test_person_ref_is_stable_per_user_and_not_the_client_hash() -> None:
    ref = person_ref("user-42", secret=SECRET)
    assert ref == person_ref("user-42", secret=SECRET)
    assert ref != person_ref("user-43", secret=SECRET)
    assert ref != person_ref("user-42", secret="rotated-secret")
    assert "user-42" not in ref
    assert user_hash("user-42", secret=SECRET) not in ref
    assert ref.startswith("p_") and len(ref) == 34


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        user_hash("user-42", secret="")
    with pytest.raises(ValueError):
        verify_user("user-42", "ab", secret="")
