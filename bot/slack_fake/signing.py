"""Slack's v0 request signing, as Slack computes it for requests it sends to an app.

docs.slack.dev/authentication/verifying-requests-from-slack: the basestring is
"v0:{X-Slack-Request-Timestamp}:{raw body}", HMAC-SHA256 with the signing secret, hex,
prefixed with "v0=".
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_VERSION = "v0"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_headers(secret: str, timestamp: int, body: bytes, content_type: str) -> dict[str, str]:
    ts = str(timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
    }
