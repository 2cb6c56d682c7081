"""Identity verification for people the host platform has already logged in.

The host platform's backend computes `user_hash = hex(HMAC-SHA256(secret, user_id))` and
passes it to the widget along with `user_id`, exactly as Intercom's identity verification
does; only then is the chat linked to the person's earlier cases. Without a valid hash the
chat is anonymous: a forged `user_id` must never reveal someone else's history.
"""

from __future__ import annotations

import hashlib
import hmac

# A user id is an opaque platform key, not free text; the bound stops a forged request from
# making us hash megabytes.
MAX_USER_ID_CHARS = 256
_PERSON_REF_LABEL = b"supportbot/person-ref/v1"


def user_hash(user_id: str, *, secret: str) -> str:
    """The hex HMAC-SHA256 of `user_id` that the host platform sends alongside it.

    Args:
        user_id: the platform's id for the person.
        secret: the identity-verification secret shared with the host platform.
    """
    return _user_hash(user_id, secret)


def verify_user(user_id: str, user_hash: str, *, secret: str) -> bool:
    """True if `user_hash` proves the host platform vouches for `user_id`.

    Args:
        user_id: the id claimed by the client.
        user_hash: the hex HMAC the client passed with it (any letter case).
        secret: the identity-verification secret.
    """
    if not user_id or len(user_id) > MAX_USER_ID_CHARS or not user_hash:
        return False
    expected = _user_hash(user_id, secret).encode()
    # compare_digest needs ASCII for str; compare bytes so odd input is just "no".
    return hmac.compare_digest(expected, user_hash.strip().lower().encode())


def person_ref(user_id: str, *, secret: str) -> str:
    """A stable pseudonym for a verified user, for the case store to link cases by.

    Storing this instead of the platform's own id means a leaked case table cannot be
    joined back to the platform's users without the secret. It is derived under its own
    label, so it is never equal to the `user_hash` a client sends.

    Args:
        user_id: a user id that `verify_user` accepted.
        secret: the identity-verification secret.
    """
    key = hmac.new(_secret_bytes(secret), _PERSON_REF_LABEL, hashlib.sha256).digest()
    return "p_" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]


def _user_hash(user_id: str, secret: str) -> str:
    return hmac.new(_secret_bytes(secret), user_id.encode(), hashlib.sha256).hexdigest()


def _secret_bytes(secret: str) -> bytes:
    if not secret:
        raise ValueError("the identity secret must not be empty")
    return secret.encode()
