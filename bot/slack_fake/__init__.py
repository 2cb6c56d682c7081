"""A faithful local Slack: the Web API slice the app uses, and people acting in Slack.

Tests drive it directly; with no SLACK_BOT_TOKEN the app runs it in-process as the
sandbox at /sandbox (`sandbox.mount_sandbox`). See `server.SlackFake`.

Beyond the public API, knobs tests may want:
- `configure_retries(max_retries, delays_s)`: Slack's event retries (off by default).
- `delivery.ack_timeout_s`: Slack's 3 s acknowledgement deadline.
- `fault_timeout_s`: how long a "timeout" fault hangs before the connection drops.
- `deliveries`: every request sent to the app; `idle()`: wait for pending deliveries.
- `verify_url()`, `close_view()`, `view_errors`, `modals_of()`.
"""

from bot.slack_fake.server import SlackFake

__all__ = ["SlackFake"]
