"""What a "twenty users at once" run is, whichever driver plays the users (bench/load_browser.py: Chromium;
bench/load_ws.py: Streamlit's WebSocket protocol): the accounts and their mix of roles, the steps each session
takes, what each session must see, what the access log must hold afterwards, and the figures printed."""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from audit.log.read import read_events
from audit.log.verify import verify
from audit.log.writer import AccessLog
from audit.permissions import Role
from audit.users import UserStore
from config.paths import Paths

STEPS = ("sign-in", "overview", "filter change", "export", "drill-down")
EXPORT = "overview-kpis"  # the Overview's headline rates (views/pages/overview.py): its access-log resource is csv:<name>
EXPORT_TOGGLE = "Table and CSV: headline rates"
INTERNAL_USE = "Use inside the organisation"
ROLES = (Role.COMPLIANCE_OFFICER, Role.CODING_MANAGER, Role.AUDITOR, Role.CODING_MANAGER)  # the mix, in turn
PASSWORD = "load test passphrase 2026"
OVERVIEW_CHARTS, DENIALS_CHARTS, DRG_CHARTS = 1, 8, 4
DENIALS_BOX = "Denied claims behind the bar"
TIMEOUT_S = 300


@dataclass
class Session:
    number: int
    username: str
    role: Role
    facility: str
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pages: int = 0  # page_view events this session should have caused
    downloads: int = 0  # CSV files it received
    signed_in: bool = False  # it submitted the sign-in form

    @property
    def drill_down(self) -> str:
        """The page of its drill-down: Denials where the role has it, else DRG validation (auditors)."""
        return "Denials" if self.role in (Role.COMPLIANCE_OFFICER, Role.CODING_MANAGER) else "DRG validation"

    @property
    def sidebar_caption(self) -> str:
        return f"Signed in as {self.username}, {self.role.label.lower()}"

    def check_sidebar(self, caption: str, where: str) -> None:
        if caption.strip() != self.sidebar_caption:
            self.problems.append(f"{where}: the sidebar says {caption.strip()!r}")

    def check_scope(self, captions: list[str], facilities: list[str], where: str) -> None:
        """The page's scope captions name this session's facility and no other."""
        scoped = [text for text in captions if "Facility:" in text]
        mine = f"Facility: {self.facility}"
        others = [f for f in facilities if f != self.facility and any(f"Facility: {f}" in t or f", {f}" in t for t in scoped)]
        if not any(mine in text for text in scoped) or others:
            self.problems.append(f"{where}: the page's scope is {scoped[:2]!r}, not {mine!r}")


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far, user and system (utime + stime in /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def add_accounts(paths: Paths, sessions: int, facilities: list[str]) -> list[Session]:
    users, planned = UserStore(paths.users_db), []
    with AccessLog(paths) as log:
        for n in range(sessions):
            role = ROLES[n % len(ROLES)]
            name = f"load{n:02d}.{role.value.replace('_', '-')}"
            users.add_user(name, role.value, PASSWORD, actor="bench:load", record=log.append)
            planned.append(Session(n, name, role, facilities[n % len(facilities)]))
    return planned


def check_log(paths: Paths, sessions: list[Session]) -> list[str]:
    """One sign-in per account, one page_view per page opened or scope changed, and one export of the headline
    rates, for the session's own facility, per CSV received; verify-log passes."""
    problems = []
    for session in sessions:
        events = read_events(paths, user=session.username)
        counts = {action: sum(e["action"] == action for e in events) for action in ("sign_in", "page_view", "export")}
        expected = {"sign_in": int(session.signed_in), "page_view": session.pages, "export": session.downloads}
        if counts != expected:
            problems.append(f"{session.username}: the access log holds {counts}, expected {expected}")
        for export in (e for e in events if e["action"] == "export"):
            scope = export["details"].get("filters", {})
            if export["resource"] != f"csv:{EXPORT}" or scope.get("facility") != [session.facility]:
                problems.append(f"{session.username}: an export of {export['resource']} for {scope}, not its own facility")
    report = verify(paths)
    if not report.ok:
        problems.append(f"verify-log: {report.summary()}: {[str(p) for p in report.problems[:3]]}")
    return problems


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def all_at_once(walk: Callable[[Session, float], Awaitable[None]], sessions: list[Session], ramp_s: float) -> float:
    """Every session's walk at once, their starts (the walk's delay) spread evenly over `ramp_s` seconds (people
    arriving, not one click); returns the wall time."""
    started = time.perf_counter()
    await asyncio.gather(*(walk(s, ramp_s * s.number / len(sessions)) for s in sessions))
    return time.perf_counter() - started
