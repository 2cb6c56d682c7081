"""Typed text becomes Slack's wire form: escaped, with mentions encoded."""

from __future__ import annotations

import pytest

from bot.slack_fake.wire_text import as_sent_by_slack

NAMES = {"alex": "U0AGENT1", "sam": "U0AGENT2"}


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("plain words", "plain words"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("<b>bold?</b>", "&lt;b&gt;bold?&lt;/b&gt;"),
        ("thanks @alex", "thanks <@U0AGENT1>"),
        ("@Sam, can you take it?", "<@U0AGENT2>, can you take it?"),
        ("ping @channel and @here", "ping <!channel> and <!here>"),
        ("mail sam@example.com", "mail sam@example.com"),
        ("@nobody is unknown", "@nobody is unknown"),
        ("&lt; stays literal", "&amp;lt; stays literal"),
    ],
)
def test_typed_text_on_the_wire(typed: str, wire: str) -> None:
    assert as_sent_by_slack(typed, NAMES) == wire
