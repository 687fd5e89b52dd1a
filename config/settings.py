"""Every setting the environment can give, read and validated here and nowhere else.

`load()` reads the environment (or a mapping given by a test) each time it is called, so a change to a
variable takes effect at the next run, and returns a frozen `Settings`. A value that makes safe
operation impossible raises ConfigurationError with one sentence naming the variable and what to set.
Secrets (keys given as variables) are held as `Secret`, whose repr never shows them. The variables,
their defaults and their limits are listed in README.md (Configuration); tests/test_settings.py keeps
that table and this module equal.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "CODEAUDIT_"
TARGET_PREFIX = PREFIX + "TARGET_"
REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """A setting makes safe operation impossible; the message says how to fix it."""


@dataclass(frozen=True)
class Secret:
    """A secret from the environment: its text is there to use, never to print."""

    variable: str
    text: str = field(repr=False)

    def __str__(self) -> str:
        return f"${self.variable} (secret)"


@dataclass(frozen=True)
class WholeNumber:
    """A whole-number setting: its variable, default and inclusive limits."""

    variable: str
    default: int
    low: int
    high: int

    def read(self, env: Mapping[str, str]) -> int:
        text = env.get(self.variable, "").strip()
        if not text:
            return self.default
        if not text.isdigit() or not self.low <= int(text) <= self.high:
            raise ConfigurationError(
                f"{self.variable} is {text!r}; set it to a whole number from {self.low:,} to {self.high:,}, "
                f"or unset it for {self.default:,}."
            )
        return int(text)


# Capped at 60 minutes so idle sign-out cannot stand in for "remember me".
IDLE_MINUTES = WholeNumber(PREFIX + "IDLE_MINUTES", 15, 1, 60)
# Hours after sign-in at which any session ends however active (OWASP ASVS 3.3: re-authenticate at least every
# 12 hours). At least 1 hour, so it never undercuts the idle limit; at most 24, one day's shifts.
SESSION_HOURS = WholeNumber(PREFIX + "SESSION_HOURS", 12, 1, 24)
LOCKOUT_ATTEMPTS = WholeNumber(PREFIX + "LOCKOUT_ATTEMPTS", 5, 1, 10)
LOCKOUT_MINUTES = WholeNumber(PREFIX + "LOCKOUT_MINUTES", 15, 1, 24 * 60)
DEMO_CLAIMS = WholeNumber(PREFIX + "DEMO_CLAIMS", 20_000, 100, 2_000_000)
# Days a coder has to rebut a reviewed finding; until then (or the coding manager's decision) it is preliminary.
REBUTTAL_DAYS = WholeNumber(PREFIX + "REBUTTAL_DAYS", 14, 0, 365)
# The month the fiscal year starts in (10: October, as the federal fiscal year and the ICD-10 code sets).
FISCAL_YEAR_START = WholeNumber(PREFIX + "FISCAL_YEAR_START", 10, 1, 12)
# Working hours (Monday to Friday, in CODEAUDIT_TIMEZONE) for the access-log report of access outside them.
WORKDAY_START_HOUR = WholeNumber(PREFIX + "WORKDAY_START_HOUR", 7, 0, 23)
WORKDAY_END_HOUR = WholeNumber(PREFIX + "WORKDAY_END_HOUR", 19, 1, 24)
# The least denominator (findings, diagnosis codes, claims) for a coder or facility to be ranked among its peers
# (queries/peers.py). At least 11, so a ranked denominator is never a small cell (1 to 10).
PEER_MIN_VOLUME = WholeNumber(PREFIX + "PEER_MIN_VOLUME", 30, 11, 1_000_000)
# DuckDB threads for each dashboard session's queries. Two let one user's scan of a large store use both cores
# (bench/growth.py); when many sessions share a process, one each spends less CPU per page on coordinating
# threads and serves more users at once (bench/load.py; README, Performance: twenty users).
SESSION_THREADS = WholeNumber(PREFIX + "SESSION_THREADS", 2, 1, 64)
TIMEZONE = PREFIX + "TIMEZONE"
DATA_DIR = PREFIX + "DATA_DIR"
KEY_DIR = PREFIX + "KEY_DIR"
DATA_KEYS = PREFIX + "DATA_KEYS"
PSEUDONYM_KEY = PREFIX + "PSEUDONYM_KEY"
LOG_KEY = PREFIX + "LOG_KEY"
SSO_ROLES = PREFIX + "SSO_ROLES"
DRG_BASE_RATE = PREFIX + "DRG_BASE_RATE"
# Every local account must give a second factor (TOTP) after its password; docs/SECURITY.md.
REQUIRE_MFA = PREFIX + "REQUIRE_MFA"
# Where derived public reference data is kept between processes (queries/reference.py: the ICD-10-CM frames).
CACHE_DIR = PREFIX + "CACHE_DIR"
SECRET_VARIABLES = (DATA_KEYS, PSEUDONYM_KEY, LOG_KEY)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    key_dir: Path
    idle_minutes: int
    session_hours: int
    lockout_attempts: int
    lockout_minutes: int
    demo_claims: int
    rebuttal_days: int
    fiscal_year_start: int
    workday_hours: tuple[int, int]
    timezone: str
    # Overrides of metric targets, by metric name as written after CODEAUDIT_TARGET_ (lower case):
    # (proportion, variable). Which metrics exist is checked by queries/targets.py.
    target_overrides: Mapping[str, tuple[float, str]]
    sso_roles: Mapping[str, str] | None
    secrets: Mapping[str, Secret]
    # Dollars per unit of MS-DRG relative weight: the dollar effect of a DRG change is the weight difference
    # times this. None: DRG changes are shown in weights only.
    drg_base_rate: float | None = None
    peer_min_volume: int = PEER_MIN_VOLUME.default
    session_threads: int = SESSION_THREADS.default
    # Every local account must sign in with a second factor (an account without one enrols after its password).
    require_mfa: bool = False

    def secret(self, variable: str) -> Secret | None:
        """The key given in `variable` (one of SECRET_VARIABLES), or None when it is not set."""
        return self.secrets.get(variable)


def _folder(env: Mapping[str, str], variable: str, default: Path) -> Path:
    text = env.get(variable, "")
    if text and not text.strip():
        raise ConfigurationError(f"{variable} is blank; set it to a folder, or unset it for {default}.")
    return Path(text) if text else default


def _proportion(variable: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise ConfigurationError(
            f"${variable} is {text!r}; give the target as a proportion between 0 and 1 (0.95, not 95)."
        )
    return value


def _sso_roles(env: Mapping[str, str]) -> Mapping[str, str] | None:
    text = env.get(SSO_ROLES, "").strip()
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not mapping or not all(isinstance(v, str) for v in mapping.values()):
        raise ConfigurationError(
            f"{SSO_ROLES} must be a JSON object from identity-provider group to dashboard role, such as "
            '{"coding-managers": "coding_manager"}.'
        )
    return {str(k): v for k, v in mapping.items()}


def _base_rate(env: Mapping[str, str]) -> float | None:
    text = env.get(DRG_BASE_RATE, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", text) or float(text) <= 0:
        raise ConfigurationError(
            f"{DRG_BASE_RATE} is {text!r}; set it to the base rate in dollars per unit of MS-DRG relative weight "
            "(such as 6500.00), or unset it to show DRG changes in weights only."
        )
    return float(text)
def _flag(env: Mapping[str, str], variable: str) -> bool:
    """A yes-or-no setting: `true` or `false` (any case), unset for false."""
    text = env.get(variable, "").strip().lower()
    if text not in ("", "true", "false"):
        raise ConfigurationError(f"{variable} is {env[variable]!r}; set it to true or false, or unset it for false.")
    return text == "true"


def _timezone(env: Mapping[str, str]) -> str:
    name = env.get(TIMEZONE, "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(f"{TIMEZONE} is {name!r}; set it to a time zone name such as America/Chicago, "
                                 "or unset it for UTC.") from None
    return name


def _workday(env: Mapping[str, str]) -> tuple[int, int]:
    start, end = WORKDAY_START_HOUR.read(env), WORKDAY_END_HOUR.read(env)
    if start >= end:
        raise ConfigurationError(f"{WORKDAY_START_HOUR.variable} ({start}) must be before {WORKDAY_END_HOUR.variable} "
                                 f"({end}); working hours run from the first to the second.")
    return start, end


def under_spark_submit(environ: Mapping[str, str] | None = None) -> bool:
    """Whether spark-submit started this process (it gives the driver PYSPARK_GATEWAY_PORT): the Spark master
    then comes from `spark-submit --master`, not from a default."""
    return "PYSPARK_GATEWAY_PORT" in (os.environ if environ is None else environ)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder for derived public reference data: $CODEAUDIT_CACHE_DIR, else $XDG_CACHE_HOME/codeaudit, else
    ~/.cache/codeaudit. Read on its own, not through load(): a process that only needs reference data must not
    fail on an unrelated bad setting, and it holds nothing about patients, users or keys."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    return _folder(env, CACHE_DIR, (Path(xdg) if xdg else Path.home() / ".cache") / "codeaudit")


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings as the environment gives them now (`environ` stands in for os.environ in tests)."""
    env = os.environ if environ is None else environ
    targets = {
        name[len(TARGET_PREFIX):].lower(): (_proportion(name, text.strip()), name)
        for name, text in env.items() if name.startswith(TARGET_PREFIX) and text.strip()
    }
    return Settings(
        data_dir=_folder(env, DATA_DIR, REPO_ROOT / "var"),
        key_dir=_folder(env, KEY_DIR, Path.home() / ".config" / "codeaudit"),
        idle_minutes=IDLE_MINUTES.read(env),
        session_hours=SESSION_HOURS.read(env),
        lockout_attempts=LOCKOUT_ATTEMPTS.read(env),
        lockout_minutes=LOCKOUT_MINUTES.read(env),
        demo_claims=DEMO_CLAIMS.read(env),
        rebuttal_days=REBUTTAL_DAYS.read(env),
        fiscal_year_start=FISCAL_YEAR_START.read(env),
        workday_hours=_workday(env),
        timezone=_timezone(env),
        target_overrides=targets,
        sso_roles=_sso_roles(env),
        secrets={v: Secret(v, env[v]) for v in SECRET_VARIABLES if env.get(v) is not None},
        drg_base_rate=_base_rate(env),
        peer_min_volume=PEER_MIN_VOLUME.read(env),
        session_threads=SESSION_THREADS.read(env),
        require_mfa=_flag(env, REQUIRE_MFA),
    )


def child_environment() -> dict[str, str]:
    """The environment for a helper process of ours (`python -m <module>`): this one's, with the
    repository importable wherever the process starts."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}
