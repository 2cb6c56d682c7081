"""Keeping personal data out of Slack, thread copies and logs."""

from bot.privacy.redact import escape_slack, redact, safe_for_slack

__all__ = ["escape_slack", "redact", "safe_for_slack"]
