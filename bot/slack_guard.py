"""Checks on a request claiming to come from Slack, before Bolt sees it."""

from __future__ import annotations

from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock

# Slack rejects signatures older than five minutes; so do we, to limit replays.
SLACK_MAX_SKEW_S = 5 * 60


class SlackGuard:
    def __init__(self, *, signing_secret: str, clock: Clock) -> None:
        self._verifier = SignatureVerifier(
            signing_secret,
            clock=_VerifierClock(clock),  # type: ignore[arg-type]
        )

    def signature_ok(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature:
            return False
        return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


class _VerifierClock:
    """slack-sdk's verifier asks its clock for `now()` in epoch seconds."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock().timestamp()
