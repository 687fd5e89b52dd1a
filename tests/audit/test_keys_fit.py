"""Keys fit the data they protect, through the command line.

A store remembers the keys it was built with and refuses any other; no key is created beside a store
or log that already has data; key files others can read are refused; a refused command leaves nothing
behind. Each case runs `python manage.py ...` in a new process as an operator would (its variants run the
same command line in this process, to keep the suite fast), on a copy of one small real site.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

import duckdb
import pytest

from audit.keys import DATA_KEYRING_FILE, LOG_KEY_FILE, PSEUDONYM_KEY_FILE
from config.paths import Paths
from tests.audit.keys_site import CLAIMS, NEW_CLAIMS, back_up, manage, manage_here, restore, store_counts, write_claims

PASSWORD = "a long enough passphrase\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    """One site loaded by `manage.py ingest` (6 claims accepted, 1 rejected) with one account, backed up
    once; returns (backup folder, input folder, store counts)."""
    root = tmp_path_factory.mktemp("site")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys")
    src = write_claims(root / "in", CLAIMS)
    run = manage(paths, "ingest", str(src))
    assert run.returncode == 0, run.stderr
    added = manage_here(paths, "users", "add", "ann.auditor", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    counts = store_counts(paths)
    assert counts == {"claims": 6, "phi_vault": 30, "rejects": 1, "ingest_runs": 1}
    back_up(paths, root / "backup")
    return root / "backup", src, counts


@pytest.fixture
def site(built, tmp_path: Path) -> Paths:
    backup, _, _ = built
    return restore(backup, Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys"))


def _refused(run, *phrases: str) -> None:
    assert run.returncode == 2, (run.stdout, run.stderr)
    for phrase in phrases:
        assert phrase.lower() in run.stderr.lower(), run.stderr
    assert "Traceback" not in run.stderr


def _snapshot(paths: Paths) -> dict[str, bytes]:
    """Every file of the site and its keys, byte for byte."""
    files = {}
    for folder in (paths.data_dir, paths.key_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != "store.lock":
                files[str(path)] = path.read_bytes()
    return files


def _random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write_key(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, text.encode())
    os.close(fd)


def _keyring(keys: dict[str, str], primary: str) -> str:
    return json.dumps({"primary": primary, "keys": keys})


# Item 2: a wrong or missing pseudonym key would duplicate every claim.

@pytest.mark.parametrize("how", ["deleted", "replaced", "from the environment"])
def test_a_pseudonym_key_that_does_not_fit_is_refused_and_nothing_changes(site, built, how):
    _, src, counts = built
    key_file = site.key_dir / PSEUDONYM_KEY_FILE
    env = {}
    if how == "deleted":
        key_file.unlink()
    elif how == "replaced":
        _write_key(key_file, _random_key())
    else:
        env = {"CODEAUDIT_PSEUDONYM_KEY": _random_key()}
    before = _snapshot(site)
    run = (manage if how == "deleted" else manage_here)(site, "ingest", str(src), env=env)
    _refused(run, "pseudonym key", "restore")
    assert _snapshot(site) == before  # no key created, store untouched
    assert store_counts(site) == counts


def test_a_store_from_before_key_checks_proves_keys_from_its_data(site, built):
    """A store written before key_checks existed has no check values: the first write proves the keys
    by decrypting a claim number and recomputing its pseudonym, then registers them."""
    _, src, counts = built
    con = duckdb.connect(str(site.store))
    con.execute("DROP TABLE IF EXISTS key_checks")
    con.close()
    right = (site.key_dir / PSEUDONYM_KEY_FILE).read_text()
    _write_key(site.key_dir / PSEUDONYM_KEY_FILE, _random_key())
    _refused(manage_here(site, "ingest", str(src)), "pseudonym key")
    _write_key(site.key_dir / PSEUDONYM_KEY_FILE, right)
    assert manage_here(site, "ingest", str(src)).returncode == 0
    assert store_counts(site) == counts | {"rejects": 2, "ingest_runs": 2}  # same claims, one more run
    con = duckdb.connect(str(site.store), read_only=True)
    kinds = con.execute("SELECT kind, key_id FROM key_checks ORDER BY ALL").fetchall()
    con.close()
    assert kinds == [("data", "k1"), ("pseudonym", "pseudonym")]


def test_demo_refuses_a_pseudonym_key_that_does_not_fit_its_store(tmp_path):
    paths = Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys")
    first = manage_here(paths, "demo", "--claims", "100")
    assert first.returncode == 0, first.stderr
    _write_key(paths.key_dir / PSEUDONYM_KEY_FILE, _random_key())
    before = _snapshot(paths)
    _refused(manage(paths, "demo", "--claims", "100"), "pseudonym key", "restore")
    assert _snapshot(paths) == before


# Item 3: a wrong or missing data key would mix the vault.

@pytest.mark.parametrize("how", ["deleted", "replaced by a new k1", "replaced by a new k2"])
def test_a_data_keyring_that_does_not_fit_is_refused_and_nothing_changes(site, tmp_path, how):
    ring = site.key_dir / DATA_KEYRING_FILE
    if how == "deleted":
        ring.unlink()
    else:
        kid = how[-2:]
        _write_key(ring, _keyring({kid: _random_key()}, kid))
    before = _snapshot(site)
    run = (manage if how == "deleted" else manage_here)(site, "ingest", str(write_claims(tmp_path / "new", NEW_CLAIMS)))
    _refused(run, "data key", "restore")
    assert _snapshot(site) == before


def test_a_retired_key_id_is_never_used_again(site, tmp_path):
    assert manage_here(site, "rotate-key").returncode == 0
    assert manage_here(site, "rotate-key", "--retire-old").returncode == 0
    ring = json.loads((site.key_dir / DATA_KEYRING_FILE).read_text())
    assert set(ring["keys"]) == {"k2"}
    ring["keys"]["k1"] = _random_key()  # a new key under the retired name
    _write_key(site.key_dir / DATA_KEYRING_FILE, json.dumps(ring))
    _refused(manage_here(site, "ingest", str(write_claims(tmp_path / "new", NEW_CLAIMS))), "k1", "retired")


def test_rotate_key_with_a_wrong_keyring_changes_nothing(site):
    _write_key(site.key_dir / DATA_KEYRING_FILE, _keyring({"k1": _random_key()}, "k1"))
    before = _snapshot(site)
    _refused(manage(site, "rotate-key"), "data key", "nothing was changed")
    assert _snapshot(site) == before


# Item 8 (key part): a log key is never created while a log exists; rotate-key records first.

@pytest.mark.parametrize("command", ["ingest", "users add", "rotate-key"])
def test_a_missing_log_key_is_never_recreated_beside_a_log(site, built, command):
    _, src, _ = built
    (site.key_dir / LOG_KEY_FILE).unlink()
    before = _snapshot(site)
    if command == "ingest":
        run = manage(site, "ingest", str(src))
    elif command == "users add":
        run = manage_here(site, "users", "add", "new.auditor", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    else:
        run = manage_here(site, "rotate-key")
    assert run.returncode != 0
    assert "access-log key" in run.stderr and "restore log.key" in run.stderr.lower() and "Traceback" not in run.stderr
    assert _snapshot(site) == before


@pytest.mark.parametrize("retire", [False, True])
def test_rotate_key_changes_nothing_when_its_event_cannot_be_written(site, retire):
    if retire:
        assert manage_here(site, "rotate-key").returncode == 0
    events = site.log_dir / "events.jsonl"
    events.write_bytes(b"".join(events.read_bytes().splitlines(keepends=True)[:-1]))  # newest event cut: untrusted
    before = _snapshot(site)
    run = (manage_here if retire else manage)(site, "rotate-key", *(["--retire-old"] if retire else []))
    _refused(run, "access log", "nothing was changed")
    assert _snapshot(site) == before


# Item 4 (key part): keys others can read are refused, with the command that fixes it.

def test_a_key_file_others_can_read_is_refused_with_the_fix(site, built):
    _, src, _ = built
    key_file = site.key_dir / PSEUDONYM_KEY_FILE
    key_file.chmod(0o644)
    _refused(manage(site, "ingest", str(src)), f"chmod 600 {key_file}")
    key_file.chmod(0o600)
    site.key_dir.chmod(0o755)
    _refused(manage_here(site, "ingest", str(src)), f"chmod 700 {site.key_dir}")
    site.key_dir.chmod(0o700)
    assert manage_here(site, "ingest", str(src)).returncode == 0


def test_keys_from_the_environment_do_not_depend_on_folder_modes(tmp_path):
    paths = Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys")
    paths.key_dir.mkdir(mode=0o755)
    paths.key_dir.chmod(0o755)
    env = {"CODEAUDIT_DATA_KEYS": _keyring({"k1": _random_key()}, "k1"),
           "CODEAUDIT_PSEUDONYM_KEY": _random_key(), "CODEAUDIT_LOG_KEY": _random_key()}
    run = manage_here(paths, "ingest", str(write_claims(tmp_path / "in", NEW_CLAIMS)), env=env)
    assert run.returncode == 0, run.stderr
    assert not any(paths.key_dir.glob("*.key")) and not (paths.key_dir / DATA_KEYRING_FILE).exists()


def test_a_new_data_folder_and_its_keys_are_private(tmp_path):
    paths = Paths(data_dir=tmp_path / "site" / "data", key_dir=tmp_path / "site" / "keys")
    run = manage_here(paths, "ingest", str(write_claims(tmp_path / "in", NEW_CLAIMS)))
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(paths.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.key_dir.stat().st_mode) == 0o700
    for name in (DATA_KEYRING_FILE, PSEUDONYM_KEY_FILE, LOG_KEY_FILE):
        assert stat.S_IMODE((paths.key_dir / name).stat().st_mode) == 0o600
        assert f"Created key file {paths.key_dir / name}" in run.stderr


# Low: a refused command leaves nothing behind.

def test_a_key_folder_inside_the_data_folder_is_refused_before_anything_is_created(tmp_path):
    paths = Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "data" / "keys")
    _refused(manage(paths, "ingest", str(write_claims(tmp_path / "in", NEW_CLAIMS))), "CODEAUDIT_KEY_DIR")
    assert not paths.data_dir.exists()


def test_a_refused_first_ingest_creates_no_key(tmp_path):
    paths = Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys")
    src = tmp_path / "in"
    src.mkdir()
    (src / "claims.csv").write_text("claim_id,facility_id,payer,coder_id,encounter_type,service_date\n")
    _refused(manage_here(paths, "ingest", str(src)), "billed_amount")
    assert not paths.key_dir.exists()


def test_a_refused_first_users_add_creates_no_key(tmp_path):
    paths = Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys")
    run = manage_here(paths, "users", "add", "first.admin", "--role", "admin", "--password-stdin", stdin="short\n")
    assert run.returncode == 1 and "too short" in run.stderr
    assert not paths.key_dir.exists()
