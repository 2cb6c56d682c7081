"""JSON-lines logging that carries a request id and never the person's words.

Logs leave the case store's protection (they go to the platform's log drain), so the
rule "no transcript, name, email or phone in logs" is enforced here twice: fields whose
name says they hold user text are dropped outright, and every string that remains goes
through `redact` as a last line of defence. Code should log ids, counts and codes, e.g.
`log.info("message stored", extra={"case_ref": ref, "chars": len(text)})`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.privacy.redact import redact

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Field names that, by convention in this codebase, hold what a person wrote or who they
# are. Dropped even if a caller passes them by mistake.
FORBIDDEN_FIELDS = frozenset(
    {"text", "message_text", "body", "transcript", "email", "phone", "name"}
    | {"token", "secret", "password", "authorization", "user_hash"}
)

# Credentials that reach a log line inside a URL or header dump (the WebSocket may carry
# its token in the query string, and aiohttp's access log prints the request line).
_SECRET_PARAM_RE = re.compile(
    r"(?i)\b(token|access_token|user_hash|signature|secret|password)=[^&\s\"']+"
)
_BEARER_RE = re.compile(r"(?i)\bBearer\s+[\w.~+/=-]+")

# Attributes every LogRecord has; anything else on a record came from `extra=`. Read off a
# real record rather than listed, because Python versions add some (taskName in 3.12).
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "request_id"}

_OWN_HANDLER_FLAG = "_supportbot_json_handler"


class SafeJsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, then `extra` fields.

    Extra fields named in FORBIDDEN_FIELDS are dropped; `msg`, string extras and
    tracebacks are passed through `redact`, and credentials in URLs ("?token=…") or
    "Bearer …" headers are replaced by "[secret]".
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _clean(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key.startswith("_") or key.lower() in FORBIDDEN_FIELDS:
                continue
            entry[key] = _scrub(value)
        if record.exc_info:
            # Exception messages often quote their input; the traceback is redacted too.
            entry["exc"] = _clean(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=_fallback)


CHATTY_LIBRARIES = ("slack_sdk", "slack_bolt")


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> None:
    """Send every log record, as safe JSON lines, to `stream` (stderr by default).

    Idempotent: calling it again replaces the handler it installed earlier and leaves
    handlers installed by others (pytest's capture, for instance) alone.

    Args:
        level: root log level name, e.g. "INFO" or "DEBUG".
        stream: where the lines go.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWN_HANDLER_FLAG, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(SafeJsonFormatter())
    setattr(handler, _OWN_HANDLER_FLAG, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # At DEBUG these write every Slack request and response body, the person's words
    # among them (a card, a thread copy): never below INFO, whatever the root level.
    for chatty in CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Tag every log line inside the block with a request id (a fresh one by default).

    Args:
        request_id: an incoming `X-Request-Id`, or None to make one.
    """
    rid = request_id or new_request_id()
    token = request_id_var.set(rid)
    try:
        yield rid
    finally:
        request_id_var.reset(token)


def _clean(text: str) -> str:
    text = _SECRET_PARAM_RE.sub(r"\1=[secret]", text)
    return redact(_BEARER_RE.sub("Bearer [secret]", text))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or Infinity
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dict):
        return {
            str(k): _scrub(v) for k, v in value.items() if str(k).lower() not in FORBIDDEN_FIELDS
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    return _clean(str(value))


def _fallback(value: object) -> str:
    return _clean(str(value))
