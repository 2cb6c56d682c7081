"""The period report for leads: `report.md`, `report.csv` and `trend.png`.

Numbers, for cases opened in the period: hand-off rate; time to the first human reply and
to resolution (median and p90, minutes) by queue; CSAT; compensation totals; cases by root
cause and by incident. The chart is the daily trend of conversations, hand-offs and
resolutions, with a row for every day of the period. The first reply is measured from
the case's first hand-off, so a transfer does not restart the clock the person has been
waiting on. A case counts as resolved once a hand-off of it was resolved in the period,
whatever happened after (a "thank you" reopens it); each resolution is timed from the
hand-off that opened its episode, so the days a reopened case sat closed are not counted.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.lifecycle import TRANSCRIPT_REMOVED
from bot.store.models import Case, CaseEvent, Compensation, HandOff, Incident, Message

CHART_FILE = "trend.png"


@dataclass(frozen=True)
class Spread:
    n: int
    median_min: float | None
    p90_min: float | None


@dataclass
class Report:
    since: datetime
    until: datetime
    conversations: int = 0
    handed_off: int = 0
    resolved: int = 0
    first_reply: dict[str, Spread] = field(default_factory=dict)  # by queue, "all" too
    resolution: dict[str, Spread] = field(default_factory=dict)
    csat_count: int = 0
    csat_mean: float | None = None
    csat_satisfied_pct: float | None = None  # share of 4s and 5s
    compensation_applied: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    compensation_pending: int = 0
    compensation_declined: int = 0
    by_root_cause: dict[str, int] = field(default_factory=dict)
    by_incident: dict[str, int] = field(default_factory=dict)
    daily: dict[date, dict[str, int]] = field(default_factory=dict)

    @property
    def handoff_rate(self) -> float | None:
        return self.handed_off / self.conversations if self.conversations else None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(minutes: list[float]) -> Spread:
    return Spread(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


def days_of(since: datetime, until: datetime) -> list[date]:
    last, day, days = (until - timedelta(microseconds=1)).date(), since.date(), []
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def resolutions(own: list[HandOff], *, until: datetime) -> list[tuple[str, float]]:
    """(queue, minutes) of each resolution before `until`, timed from the first hand-off
    after the previous resolution (a transfer's hand-off continues the episode)."""
    out: list[tuple[str, float]] = []
    opened: datetime | None = None
    for handoff in own:
        opened = opened or handoff.created_at
        if handoff.resolved_at is not None:
            if handoff.resolved_at < until:
                out.append((handoff.queue, (handoff.resolved_at - opened).total_seconds() / 60))
            opened = None
    return out


async def build_report(session: AsyncSession, *, since: datetime, until: datetime) -> Report:
    """Every number in the report, for cases opened in [since, until).

    Args:
        since: the first moment counted (aware UTC).
        until: the first moment not counted.
    """
    report = Report(since=since, until=until)
    cases = list(
        (
            await session.exec(
                select(Case).where(col(Case.created_at) >= since, col(Case.created_at) < until)
            )
        ).all()
    )
    ids = [c.id for c in cases]
    spoke = set(
        (
            await session.exec(
                select(Message.case_id)
                .where(col(Message.case_id).in_(ids), Message.sender == "user")
                .distinct()
            )
        ).all()
    )
    # A purge or an erasure deletes the messages but says in its audit event how many
    # were the person's: the case was a conversation all the same.
    removed = await session.exec(
        select(CaseEvent).where(
            col(CaseEvent.case_id).in_(ids), col(CaseEvent.kind).in_(TRANSCRIPT_REMOVED)
        )
    )
    spoke.update(e.case_id for e in removed.all() if (e.data or {}).get("user_messages"))
    handoffs: dict[str, list[HandOff]] = defaultdict(list)
    for handoff in (
        await session.exec(
            select(HandOff).where(col(HandOff.case_id).in_(ids)).order_by(col(HandOff.id))
        )
    ).all():
        handoffs[handoff.case_id].append(handoff)

    first_reply: dict[str, list[float]] = defaultdict(list)
    resolution: dict[str, list[float]] = defaultdict(list)
    root_causes: Counter[str] = Counter()
    incidents: Counter[int] = Counter()
    scores: list[int] = []
    # Quiet days too: the CSV has their zeros and the chart does not bridge them.
    report.daily = {
        day: {"conversations": 0, "handoffs": 0, "resolved": 0} for day in days_of(since, until)
    }
    for case in cases:
        day = report.daily.setdefault(
            case.created_at.date(), {"conversations": 0, "handoffs": 0, "resolved": 0}
        )
        if case.id in spoke:
            report.conversations += 1
            day["conversations"] += 1
        if case.csat_score is not None:
            scores.append(case.csat_score)
        if case.incident_id is not None:
            incidents[case.incident_id] += 1
        own = handoffs.get(case.id)
        if not own:
            continue
        report.handed_off += 1
        day["handoffs"] += 1
        queue = case.queue or own[-1].queue
        opened = own[0].created_at
        replies = [h.first_agent_reply_at for h in own if h.first_agent_reply_at]
        if replies:
            minutes = (min(replies) - opened).total_seconds() / 60
            first_reply[queue].append(minutes)
            first_reply["all"].append(minutes)
        resolved = resolutions(own, until=until)
        for resolved_queue, minutes in resolved:
            resolution[resolved_queue].append(minutes)
            resolution["all"].append(minutes)
        if resolved:
            report.resolved += 1
            day["resolved"] += 1
            root_causes[case.root_cause or "(none)"] += 1
    report.first_reply = {q: spread(v) for q, v in sorted(first_reply.items())}
    report.resolution = {q: spread(v) for q, v in sorted(resolution.items())}
    if scores:
        report.csat_count = len(scores)
        report.csat_mean = sum(scores) / len(scores)
        report.csat_satisfied_pct = 100 * sum(s >= 4 for s in scores) / len(scores)
    report.by_root_cause = dict(root_causes.most_common())
    if incidents:
        named = {
            i.id: f"{i.ref} {i.title}"
            for i in (
                await session.exec(select(Incident).where(col(Incident.id).in_(list(incidents))))
            ).all()
        }
        report.by_incident = {named.get(k, str(k)): n for k, n in incidents.most_common()}
    applied: dict[tuple[str, str], tuple[int, int]] = {}
    for row in (
        await session.exec(select(Compensation).where(col(Compensation.case_id).in_(ids)))
    ).all():
        if row.status == "applied":
            count, cents = applied.get((row.kind, row.currency), (0, 0))
            applied[(row.kind, row.currency)] = (count + 1, cents + row.amount_cents)
        elif row.status == "pending":
            report.compensation_pending += 1
        elif row.status == "declined":
            report.compensation_declined += 1
    report.compensation_applied = dict(sorted(applied.items()))
    return report


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def rows(report: Report) -> list[tuple[str, str, str, str]]:
    """The report as (section, key, metric, value) rows: the CSV, and the tests' view."""
    out: list[tuple[str, str, str, str]] = [
        ("volume", "all", "conversations", str(report.conversations)),
        ("volume", "all", "handed_off", str(report.handed_off)),
        ("volume", "all", "resolved", str(report.resolved)),
        (
            "volume",
            "all",
            "handoff_rate",
            "" if report.handoff_rate is None else f"{report.handoff_rate:.3f}",
        ),
    ]
    for name, table in (("first_reply", report.first_reply), ("resolution", report.resolution)):
        for queue, s in table.items():
            out.append((name, queue, "n", str(s.n)))
            out.append((name, queue, "median_min", _minutes(s.median_min)))
            out.append((name, queue, "p90_min", _minutes(s.p90_min)))
    out.append(("csat", "all", "count", str(report.csat_count)))
    if report.csat_mean is not None and report.csat_satisfied_pct is not None:
        out.append(("csat", "all", "mean", f"{report.csat_mean:.2f}"))
        out.append(("csat", "all", "satisfied_pct", f"{report.csat_satisfied_pct:.1f}"))
    for (kind, currency), (count, cents) in report.compensation_applied.items():
        out.append(("compensation", f"{kind}:{currency}", "count", str(count)))
        out.append(("compensation", f"{kind}:{currency}", "total", f"{cents / 100:.2f}"))
    out.append(("compensation", "all", "pending", str(report.compensation_pending)))
    out.append(("compensation", "all", "declined", str(report.compensation_declined)))
    for cause, n in report.by_root_cause.items():
        out.append(("root_cause", cause, "cases", str(n)))
    for incident, n in report.by_incident.items():
        out.append(("incident", incident, "cases", str(n)))
    for day, counts in sorted(report.daily.items()):
        for metric, n in counts.items():
            out.append(("daily", day.isoformat(), metric, str(n)))
    return out


def markdown(report: Report) -> str:
    rate = "—" if report.handoff_rate is None else f"{100 * report.handoff_rate:.1f}%"
    last_day = report.until - timedelta(seconds=1)
    lines = [
        f"# Support report {report.since:%Y-%m-%d} – {last_day:%Y-%m-%d}",
        "",
        f"- Conversations: **{report.conversations}**; handed off: **{report.handed_off}** "
        f"(hand-off rate **{rate}**); resolved: **{report.resolved}**",
    ]
    if report.csat_mean is not None:
        lines.append(
            f"- CSAT: **{report.csat_mean:.2f}** / 5 from {report.csat_count} ratings "
            f"({report.csat_satisfied_pct:.0f}% rated 4 or 5)"
        )
    else:
        lines.append("- CSAT: no ratings")
    lines += ["", "## Time to first human reply and to resolution (minutes)", ""]
    lines += ["| Queue | Replies | Reply median | Reply p90 | Resolved | Res. median | Res. p90 |"]
    lines += ["|---|---:|---:|---:|---:|---:|---:|"]
    queues = sorted(set(report.first_reply) | set(report.resolution), key=lambda q: (q == "all", q))
    empty = Spread(0, None, None)
    for queue in queues:
        r, s = report.first_reply.get(queue, empty), report.resolution.get(queue, empty)
        lines.append(
            f"| {queue} | {r.n} | {_minutes(r.median_min)} | {_minutes(r.p90_min)} | {s.n} | "
            f"{_minutes(s.median_min)} | {_minutes(s.p90_min)} |"
        )
    lines += ["", "## Compensation", ""]
    if report.compensation_applied:
        for (kind, currency), (count, cents) in report.compensation_applied.items():
            lines.append(f"- {kind}: {count} applied, {cents / 100:.2f} {currency}")
    else:
        lines.append("- none applied")
    lines.append(
        f"- pending approval: {report.compensation_pending}; "
        f"declined: {report.compensation_declined}"
    )
    lines += ["", "## Resolved cases by root cause", ""]
    lines += [f"- {cause}: {n}" for cause, n in report.by_root_cause.items()] or ["- none"]
    lines += ["", "## Cases by incident", ""]
    lines += [f"- {name}: {n}" for name, n in report.by_incident.items()] or ["- none"]
    lines += ["", f"![Daily trend]({CHART_FILE})", ""]
    return "\n".join(lines)


def draw_trend(report: Report, path: Path) -> None:
    """The daily trend as a PNG (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = sorted(report.daily)
    figure, axes = plt.subplots(figsize=(8, 3.5), dpi=100)
    try:
        for metric, label in (
            ("conversations", "Conversations"),
            ("handoffs", "Hand-offs"),
            ("resolved", "Resolved"),
        ):
            axes.plot(days, [report.daily[d][metric] for d in days], marker="o", label=label)
        axes.set_title("Daily trend")
        axes.set_ylabel("cases")
        axes.legend(loc="upper left")
        axes.grid(alpha=0.3)
        figure.autofmt_xdate()
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)


def write_report(report: Report, out: Path) -> list[Path]:
    """Write report.md, report.csv and trend.png into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    md, table, chart = out / "report.md", out / "report.csv", out / CHART_FILE
    md.write_text(markdown(report), encoding="utf-8")
    with open(table, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("section", "key", "metric", "value"))
        writer.writerows(rows(report))
    draw_trend(report, chart)
    return [md, table, chart]
