"""User text headed for Slack can neither ping anyone nor carry personal data."""

from __future__ import annotations

import pytest

from bot.privacy import escape_slack, safe_for_slack


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> help", "&lt;!channel&gt; help"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U024BE7LH> look", "&lt;@U024BE7LH&gt; look"),
        ("<!subteam^S123|@oncall>", "&lt;!subteam^S123|@oncall&gt;"),
        ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("already &lt; escaped", "already &amp;lt; escaped"),
        ("no markup here", "no markup here"),
    ],
)
def test_escape_slack_neutralises_control_sequences(text: str, expected: str) -> None:
    assert escape_slack(text) == expected


def test_safe_for_slack_redacts_then_escapes() -> None:
    text = "<!channel> Anna here, mail anna@example.com or call 070-123 45 67 & hurry"
    assert safe_for_slack(text, known_names=["Anna"]) == (
        "&lt;!channel&gt; [name] here, mail [email] or call [phone] &amp; hurry"
    )


def test_safe_for_slack_email_inside_slack_link_markup() -> None:
    text = "<mailto:anna@example.com|anna@example.com>"
    assert safe_for_slack(text) == "&lt;mailto:[email]|[email]&gt;"
