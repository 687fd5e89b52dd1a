"""What a privacy officer looks for in the access log, as three reports over events read back from it
(audit/log/read.py). The rules, their thresholds and why are in docs/SECURITY.md ("Access-log reports");
tests/audit/test_log_reports.py checks each on a hand-made log.

- Outside working hours: a person's access (page views, reveals, exports, sign-ins) outside the working
  hours, Monday to Friday, in the organisation's time zone (config/settings.py).
- Volume far above usual: a day on which a person's access events number at least VOLUME_FACTOR times their
  median day over the VOLUME_HISTORY_DAYS before it, and at least VOLUME_MIN_EVENTS.
- Repeated denied attempts: DENIED_COUNT or more failed or refused events of one user within DENIED_WINDOW.

Command-line and system events (user `cli:...`) are not a person's access and are left out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

ACCESS_ACTIONS = ("sign_in", "page_view", "phi_reveal", "export")
VOLUME_FACTOR = 3
VOLUME_MIN_EVENTS = 20
VOLUME_HISTORY_DAYS = 30
VOLUME_MIN_HISTORY_DAYS = 5
DENIED_COUNT = 3
DENIED_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class WorkingHours:
    """Monday to Friday, from start_hour to end_hour (exclusive) in `timezone`."""

    start_hour: int = 7
    end_hour: int = 19
    timezone: str = "UTC"

    def outside(self, when: datetime) -> bool:
        local = when.astimezone(ZoneInfo(self.timezone))
        return local.weekday() >= 5 or not self.start_hour <= local.hour < self.end_hour


def _when(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["ts"]).replace("Z", "+00:00"))


def _person(event: Mapping[str, Any]) -> bool:
    return bool(event.get("user")) and not str(event["user"]).startswith("cli:")


def after_hours(events: Iterable[Mapping[str, Any]], hours: WorkingHours) -> list[dict[str, Any]]:
    """One row per person and local day with access outside working hours: how many events, which actions,
    first and last time (local), reveals among them."""
    days: dict[tuple[str, date], list[tuple[datetime, Mapping[str, Any]]]] = {}
    zone = ZoneInfo(hours.timezone)
    for event in events:
        if event.get("action") not in ACCESS_ACTIONS or not _person(event):
            continue
        when = _when(event)
        if hours.outside(when):
            local = when.astimezone(zone)
            days.setdefault((str(event["user"]), local.date()), []).append((local, event))
    rows = []
    for (user, day), found in sorted(days.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True):
        times = sorted(t for t, _ in found)
        rows.append({"user": user, "day": day, "events": len(found),
                     "reveals": sum(e.get("action") == "phi_reveal" for _, e in found),
                     "first": times[0].strftime("%H:%M"), "last": times[-1].strftime("%H:%M"),
                     "actions": ", ".join(sorted({str(e.get("action")) for _, e in found}))})
    return rows


def volume_spikes(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per person and UTC day whose access events are far above that person's usual day."""
    counts: dict[str, dict[date, int]] = {}
    for event in events:
        if event.get("action") in ACCESS_ACTIONS and _person(event):
            per_day = counts.setdefault(str(event["user"]), {})
            day = _when(event).date()
            per_day[day] = per_day.get(day, 0) + 1
    rows = []
    for user, per_day in counts.items():
        for day, count in per_day.items():
            history = [n for d, n in per_day.items() if day - timedelta(days=VOLUME_HISTORY_DAYS) <= d < day]
            if len(history) < VOLUME_MIN_HISTORY_DAYS:
                continue
            usual = median(history)
            if count >= VOLUME_MIN_EVENTS and count >= VOLUME_FACTOR * usual:
                rows.append({"user": user, "day": day, "events": count, "usual": usual,
                             "times_usual": round(count / usual, 1), "days_compared": len(history)})
    return sorted(rows, key=lambda row: (row["day"], row["user"]), reverse=True)


def denied_attempts(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per burst of at least DENIED_COUNT failed or refused events of one user within DENIED_WINDOW
    (failed sign-ins, refused reveals and other denials), newest first."""
    by_user: dict[str, list[tuple[datetime, Mapping[str, Any]]]] = {}
    for event in events:
        if event.get("outcome") in ("failure", "denied") or event.get("action") == "sign_in_failed":
            by_user.setdefault(str(event.get("user", "")), []).append((_when(event), event))
    rows = []
    for user, attempts in by_user.items():
        attempts.sort(key=lambda item: item[0])
        start = 0
        while start < len(attempts):
            end = start
            while end + 1 < len(attempts) and attempts[end + 1][0] - attempts[start][0] <= DENIED_WINDOW:
                end += 1
            burst = attempts[start:end + 1]
            if len(burst) >= DENIED_COUNT:
                rows.append({"user": user, "first": burst[0][0], "last": burst[-1][0], "attempts": len(burst),
                             "actions": ", ".join(sorted({str(e.get("action")) for _, e in burst}))})
                start = end + 1
            else:
                start += 1
    return sorted(rows, key=lambda row: row["first"], reverse=True)
