"""One typed Settings object, read once from the environment (and `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Placeholders that must never reach production; development may use them.
DEV_TOKEN_SECRET = "dev-only-token-secret-change-me"
DEV_SIGNING_SECRET = "sandbox-signing-secret"
DEV_BOT_TOKEN = "xoxb-sandbox-token"
DEV_WEBHOOK_SECRET = "dev-only-billing-webhook-secret"
# The longest retention period: a hundred years (a longer one is a typo, and older cut-offs
# than year 1 cannot be computed).
MAX_RETENTION_DAYS = 36_500


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "0.0.0.0"
    port: int = 8080
    # Server processes on this dyno, all on PORT (README "Several instances"). One asyncio
    # process keeps one core busy, so match the dyno's dedicated cores; above 1 it needs
    # PostgreSQL and a real Slack. Not WEB_CONCURRENCY: Heroku's Python buildpack sets that
    # to min(2 × cores + 1, MB of RAM / 256), sized for synchronous workers.
    web_workers: int = Field(default=1, ge=1, le=64)
    # Where the person's browser reaches us; used for the widget and Origin checks.
    public_url: str | None = None
    # Host-platform origins allowed to frame the widget (/chat?embed=1), e.g.
    # EMBED_ORIGINS='["https://app.example.com"]'. Empty: nobody may frame it.
    embed_origins: list[str] = Field(default_factory=list)
    # Proxies in front of us that append to X-Forwarded-For (Heroku's router: 1). At 0 the
    # header is ignored and limits are keyed by the connecting address.
    trusted_proxy_hops: int = 0
    # Requests per second (and burst) one address may make; a platform backend calling
    # for many people from one address needs more than a browser does.
    ip_rate_per_s: float = 20.0
    ip_rate_burst: int = 100

    database_url: str = "sqlite+aiosqlite:///./supportbot.db"
    # PostgreSQL connections one server process keeps open, and how many more it may open
    # at a peak; it holds two more for the bus. Fit dynos x workers x (both + 2) within
    # the plan's connection limit (README "Several instances").
    database_pool_size: int = Field(default=10, ge=1, le=100)
    database_max_overflow: int = Field(default=10, ge=0, le=100)
    # The default local SQLite database migrates itself at start-up; a shared database
    # (PostgreSQL) is migrated by the Procfile's release phase (`python -m bot migrate`).
    auto_migrate: bool | None = None

    slack_bot_token: str | None = None
    slack_signing_secret: str = DEV_SIGNING_SECRET
    # Socket Mode's app-level token (xapp-…): not supported; the server warns when it is set.
    slack_app_token: str | None = None
    # Point the Slack client at another Web API (the standalone sandbox, a proxy).
    slack_api_url: str | None = None

    token_secret: str = DEV_TOKEN_SECRET
    token_ttl_s: int = 24 * 3600
    # Shared with the host platform to verify user ids (identity verification).
    identity_secret: str | None = None

    data_dir: Path | None = None
    default_region: str = "US"
    retention_days: int = Field(default=90, ge=0, le=MAX_RETENTION_DAYS)

    max_message_chars: int = 4000
    outbox_poll_s: float = 1.0
    # Crisis cards are re-pinged this often until someone claims them, and the person
    # waiting hears from the bot this often.
    crisis_reping_s: float = 180.0
    crisis_stay_s: float = 90.0
    # On-call Slack user ids (comma-separated). When set, crisis re-pings name them one by
    # one, skipping anyone past their intense-case load; otherwise the queue's group is
    # pinged.
    crisis_oncall: str = ""
    periodic_tick_s: float = 5.0

    # The agents' toolkit (README "Agents' toolkit").
    # Compensation up to this amount takes effect at once; above it a lead approves.
    compensation_limit: float = 100.0
    currency: str = "USD"
    # Slack user ids (comma-separated) who may approve compensation and see everyone's load.
    support_leads: str = ""
    # Where approval requests and incident suggestions go (a channel name or id); the
    # case's own thread when unset.
    leads_channel: str | None = None
    billing_webhook_url: str | None = None
    billing_webhook_secret: str = DEV_WEBHOOK_SECRET
    incident_update_every_s: int = 2 * 3600
    incident_tick_s: float = 30.0
    # This many cases of one topic within the window suggest an incident.
    incident_suggest_cases: int = 3
    incident_suggest_window_s: int = 10 * 60
    # Intense cases (crisis, angry, long) an agent handled in the window before we
    # suggest a break and skip them for crisis pings.
    agent_load_window_h: float = 4.0
    agent_load_threshold: int = 3
    long_case_minutes: int = 45

    log_level: str = "INFO"

    @property
    def sandbox(self) -> bool:
        """With no Slack token we run against the built-in local Slack."""
        return not self.slack_bot_token

    @property
    def built_in_sandbox(self) -> bool:
        """The local Slack runs inside this process (no token, no other Web API URL)."""
        return self.sandbox and not self.slack_api_url

    @property
    def oncall(self) -> tuple[str, ...]:
        return tuple(u.strip() for u in self.crisis_oncall.split(",") if u.strip())

    @property
    def leads(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.support_leads.split(",") if u.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def workers_problem(self) -> str | None:
        """Why WEB_WORKERS above 1 cannot work with these settings, or None."""
        if self.web_workers == 1:
            return None
        if self.is_sqlite:
            return "SQLite's bus reaches one process only; use PostgreSQL (DATABASE_URL)"
        if self.built_in_sandbox:
            return "the built-in Slack sandbox lives in one process; set SLACK_BOT_TOKEN"
        return None

    @property
    def should_auto_migrate(self) -> bool:
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.is_sqlite

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        # Heroku hands out postgres:// URLs; we speak to PostgreSQL through asyncpg.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                url = "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("postgresql+asyncpg://"):
            # libpq's `sslmode=require` (Heroku Postgres needs SSL, and its docs say to add
            # it) reaches asyncpg.connect as a keyword through SQLAlchemy, and asyncpg calls
            # it `ssl` there, taking the same modes. The bus turns it back (bot/pgbus.py).
            url = rename_query_parameter(url, "sslmode", "ssl")
        return url

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.token_secret == DEV_TOKEN_SECRET or len(self.token_secret) < 32:
            problems.append("TOKEN_SECRET must be set to a random string of 32+ characters")
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required in production")
        if self.slack_signing_secret == DEV_SIGNING_SECRET:
            problems.append("SLACK_SIGNING_SECRET must be the Slack app's signing secret")
        if self.billing_webhook_url and self.billing_webhook_secret == DEV_WEBHOOK_SECRET:
            problems.append("BILLING_WEBHOOK_SECRET must be set when BILLING_WEBHOOK_URL is")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def rename_query_parameter(url: str, old: str, new: str) -> str:
    """`url` with its query parameter `old` called `new`, everything else as written."""
    base, question, query = url.partition("?")
    if not question:
        return url
    parameters = []
    for parameter in query.split("&"):
        key, equals, value = parameter.partition("=")
        parameters.append(f"{new}{equals}{value}" if key == old else parameter)
    return f"{base}?{'&'.join(parameters)}"
