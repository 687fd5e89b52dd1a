"""config/settings.py: every variable is read and checked there, with one sentence per bad value, and the
README's table lists exactly those variables with their defaults and limits."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import settings
from config.settings import ConfigurationError, load
from tests.repo_files import python_files

REPO = Path(__file__).resolve().parents[1]
WHOLE_NUMBERS = (settings.IDLE_MINUTES, settings.SESSION_HOURS, settings.LOCKOUT_ATTEMPTS, settings.LOCKOUT_MINUTES, settings.DEMO_CLAIMS,
                 settings.REBUTTAL_DAYS, settings.FISCAL_YEAR_START, settings.WORKDAY_START_HOUR, settings.WORKDAY_END_HOUR,
                 settings.PEER_MIN_VOLUME, settings.SESSION_THREADS)


def test_defaults():
    configured = load({})
    assert (configured.idle_minutes, configured.lockout_attempts, configured.lockout_minutes, configured.demo_claims,
            configured.rebuttal_days) == (15, 5, 15, 20_000, 14)
    assert configured.data_dir == REPO / "var" and configured.key_dir.name == "codeaudit"
    assert configured.secrets == {} and configured.sso_roles is None and configured.target_overrides == {}
    assert configured.session_hours == 12 and load({"CODEAUDIT_SESSION_HOURS": "1"}).session_hours == 1
    assert configured.peer_min_volume == 30 and load({"CODEAUDIT_PEER_MIN_VOLUME": "11"}).peer_min_volume == 11
    assert configured.session_threads == 2 and load({"CODEAUDIT_SESSION_THREADS": "1"}).session_threads == 1


BAD_NUMBERS = [(n, text) for n in WHOLE_NUMBERS for text in ("-3", "ten", "1.5", str(n.low - 1), str(n.high + 1))]


@pytest.mark.parametrize(("number", "text"), BAD_NUMBERS, ids=[f"{n.variable}={t}" for n, t in BAD_NUMBERS])
def test_a_bad_whole_number_is_one_sentence_naming_the_variable(number, text):
    with pytest.raises(ConfigurationError, match=rf"^{number.variable} is '{re.escape(text)}'; set it to a whole number"):
        load({number.variable: text})


def test_working_hours_and_time_zone():
    configured = load({"CODEAUDIT_TIMEZONE": "America/Chicago", "CODEAUDIT_WORKDAY_START_HOUR": "8"})
    assert (configured.timezone, configured.workday_hours, configured.fiscal_year_start) == ("America/Chicago", (8, 19), 10)
    with pytest.raises(ConfigurationError, match="CODEAUDIT_TIMEZONE is 'Mars/Olympus'"):
        load({"CODEAUDIT_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigurationError, match="must be before CODEAUDIT_WORKDAY_END_HOUR"):
        load({"CODEAUDIT_WORKDAY_START_HOUR": "20", "CODEAUDIT_WORKDAY_END_HOUR": "8"})


def test_a_bad_demo_size_is_refused_in_words_not_a_bare_value_error():
    with pytest.raises(ConfigurationError, match="CODEAUDIT_DEMO_CLAIMS is 'lots'"):
        load({"CODEAUDIT_DEMO_CLAIMS": "lots"})
    assert load({"CODEAUDIT_DEMO_CLAIMS": " 3000 "}).demo_claims == 3000


def test_targets_sso_and_secrets():
    configured = load({"CODEAUDIT_TARGET_CODE_ACCURACY": "0.97", "CODEAUDIT_SSO_ROLES": '{"audit": "auditor"}',
                       "CODEAUDIT_LOG_KEY": "c2VjcmV0"})
    assert configured.target_overrides == {"code_accuracy": (0.97, "CODEAUDIT_TARGET_CODE_ACCURACY")}
    assert configured.sso_roles == {"audit": "auditor"}
    assert configured.secret("CODEAUDIT_LOG_KEY").text == "c2VjcmV0"
    assert "c2VjcmV0" not in repr(configured) and "c2VjcmV0" not in str(configured.secret("CODEAUDIT_LOG_KEY"))
    with pytest.raises(ConfigurationError, match="0.95, not 95"):
        load({"CODEAUDIT_TARGET_CODE_ACCURACY": "95"})
    with pytest.raises(ConfigurationError, match="CODEAUDIT_SSO_ROLES must be a JSON object"):
        load({"CODEAUDIT_SSO_ROLES": "auditor"})
    with pytest.raises(ConfigurationError, match="CODEAUDIT_DATA_DIR is blank"):
        load({"CODEAUDIT_DATA_DIR": "  "})


def test_drg_base_rate_is_dollars_or_unset():
    assert load({}).drg_base_rate is None and load({"CODEAUDIT_DRG_BASE_RATE": " 6500.50 "}).drg_base_rate == 6500.5
    for text in ("0", "-10", "6,500", "65.001", "lots"):
        with pytest.raises(ConfigurationError, match=rf"^CODEAUDIT_DRG_BASE_RATE is '{re.escape(text)}'; set it to the base rate"):
            load({"CODEAUDIT_DRG_BASE_RATE": text})


def test_require_mfa_is_true_or_false():
    assert load({}).require_mfa is False and load({"CODEAUDIT_REQUIRE_MFA": " TRUE "}).require_mfa is True
    assert load({"CODEAUDIT_REQUIRE_MFA": "false"}).require_mfa is False
    for text in ("yes", "1", "on"):
        with pytest.raises(ConfigurationError, match=rf"^CODEAUDIT_REQUIRE_MFA is '{text}'; set it to true or false"):
            load({"CODEAUDIT_REQUIRE_MFA": text})


def test_the_cache_folder_is_its_variable_else_the_xdg_cache_else_the_home_cache():
    assert settings.cache_dir({"CODEAUDIT_CACHE_DIR": "/srv/cache", "XDG_CACHE_HOME": "/x"}) == Path("/srv/cache")
    assert settings.cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/codeaudit")
    assert settings.cache_dir({"XDG_CACHE_HOME": " "}) == settings.cache_dir({}) == Path.home() / ".cache" / "codeaudit"
    with pytest.raises(ConfigurationError, match="^CODEAUDIT_CACHE_DIR is blank"):
        settings.cache_dir({"CODEAUDIT_CACHE_DIR": "  "})
    # read on its own: a bad unrelated setting does not stop a process that needs reference data only
    assert settings.cache_dir({"CODEAUDIT_CACHE_DIR": "/c", "CODEAUDIT_IDLE_MINUTES": "ten"}) == Path("/c")


def _readme_variables() -> dict[str, str]:
    text = (REPO / "README.md").read_text()
    table = text.split("<!-- settings -->", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.strip().splitlines()[2:]]
    return {row[0].strip().strip("`"): row for row in rows}


def test_readme_lists_every_variable_with_its_default_and_limits():
    rows = _readme_variables()
    expected = {settings.DATA_DIR, settings.KEY_DIR, settings.CACHE_DIR, *settings.SECRET_VARIABLES, settings.SSO_ROLES, settings.DRG_BASE_RATE,
                settings.TIMEZONE, settings.REQUIRE_MFA,
                settings.TARGET_PREFIX + "<METRIC>", *(n.variable for n in WHOLE_NUMBERS)}
    assert set(rows) == expected
    for number in WHOLE_NUMBERS:
        row = rows[number.variable]
        assert row[2].strip() == f"{number.default:,}" and row[3].strip() == f"{number.low:,} to {number.high:,}"


def test_no_module_reads_the_environment_but_settings():
    """Production code asks config/settings.py; only it touches os.environ (or getenv)."""
    files = python_files(REPO)
    readers = [f for f in files if not f.startswith(("tests/", "bench/")) and f != "config/settings.py"
               and re.search(r"os\.environ|getenv\(", (REPO / f).read_text())]
    assert readers == []


@pytest.mark.parametrize("inside", ["keys", "data"])
def test_neither_folder_may_sit_inside_the_other(tmp_path, inside):
    """Keys inside the data folder would travel with every copy of it; data inside the key folder would put
    the data in every key backup. Both are refused, saying which variable to change, before anything is created."""
    from config.paths import Paths

    outer = tmp_path / "outer"
    paths = (Paths(data_dir=outer, key_dir=outer / "keys") if inside == "keys"
             else Paths(data_dir=outer / "data", key_dir=outer))
    with pytest.raises(ConfigurationError) as refused:
        paths.ensure()
    message = str(refused.value)
    assert message.count(". ") == 1 and message.endswith(".") and "outside" in message
    assert not outer.exists()
