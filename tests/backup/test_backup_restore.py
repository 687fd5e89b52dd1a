"""`manage.py backup` and `manage.py restore` on a real installation: the restored data folder verifies, its
metrics, reviews and accounts equal the original's, an anchor issued before the backup still holds; the archive
holds no plaintext PHI and no key; a tampered, partial or foreign archive, a non-empty folder and a key folder
inside the data folder are refused in one sentence (exit 2) and leave nothing behind."""
from __future__ import annotations

import base64
import getpass
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from audit.log.read import read_events
from config.paths import Paths
from tests.audit.keys_site import KEY_VARIABLES, manage_here
from tests.backup.conftest import copy_site
from tests.backup.site import back_up, members, phi_values, restore, rewrite, table_rows
from tests.data.test_demo_and_phi import _tokens


@pytest.fixture(scope="module")
def site(base_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The installation, an anchor issued before the backup, and the backup with its key file."""
    root = tmp_path_factory.mktemp("backup-site")
    with pytest.MonkeyPatch.context() as env:
        for variable in KEY_VARIABLES:
            env.delenv(variable, raising=False)
        paths, raw = copy_site(base_site, root)
        paths.real_data_marker.touch(mode=0o600)  # as after a real ingest: demo sign-in must stay gone after a restore
        anchor = root / "anchor.txt"
        assert manage_here(paths, "anchor", "--out", str(anchor)).returncode == 0
        backed = back_up(paths, root / "backup.tar", root / "backup-keys.json")
        assert backed.returncode == 0, backed.stderr
        assert "Keys sealed in" in backed.stdout
    return paths, raw, root, anchor


@pytest.fixture(autouse=True)
def _no_key_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def _target(tmp_path: Path) -> Paths:
    return Paths(data_dir=tmp_path / "restored" / "data", key_dir=tmp_path / "restored" / "keys")


def test_restore_verifies_and_gives_identical_metrics_reviews_and_accounts(site, tmp_path):
    paths, _, root, anchor = site
    target = _target(tmp_path)
    done = restore(root / "backup.tar", target, root / "backup-keys.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout.splitlines()[-1]
    manifest = json.loads(members(root / "backup.tar")["manifest.json"])
    (newest, *older) = read_events(target, limit=2)
    assert newest["seq"] == manifest["log"]["seq"] + 1 == older[0]["seq"] + 1  # the restored log says it was restored
    assert (newest["action"], newest["user"], newest["resource"]) == ("restore", f"cli:{getpass.getuser()}", "cli:restore")
    assert newest["details"] == {"file": "backup.tar", "snapshot_at": manifest["created_at"], "snapshot_seq": manifest["log"]["seq"],
                                 "archive_sha256": hashlib.sha256((root / "backup.tar").read_bytes()).hexdigest()}
    assert f"verified {newest['seq']} events" in done.stdout.splitlines()[-1]  # verified with the restore event
    in_data = {p.relative_to(target.data_dir).as_posix() for p in target.data_dir.rglob("*")}
    assert in_data == {"store.duckdb", "users.sqlite", "reviews.sqlite", "access_log", "access_log/events.jsonl",
                       "access_log/events.lock", "REAL_DATA_INGESTED"}  # the lock: the log's writer recorded the restore
    assert all(p.stat().st_mode & 0o077 == 0 for p in target.data_dir.rglob("*"))
    verified = manage_here(target, "verify-log", "--anchor", str(anchor))
    assert verified.returncode == 0, verified.stdout
    assert re.search(r"verified \d+ events, \d+ checkpoints and 1 anchor\(s\): no problems", verified.stdout)
    for by in ("month", "coder", "payer"):
        before = manage_here(paths, "metrics", "--by", by, "--json")
        after = manage_here(target, "metrics", "--by", by, "--json")
        assert (after.returncode, after.stdout) == (0, before.stdout) and json.loads(after.stdout)
    for name in ("reviews.sqlite", "users.sqlite"):
        assert table_rows(target.data_dir / name) == table_rows(paths.data_dir / name)
    assert (target.data_dir / "store.duckdb").read_bytes() == paths.store.read_bytes()
    assert sorted(p.name for p in target.key_dir.iterdir()) == ["data_keys.json", "log.key", "log_checkpoints", "pseudonym.key"]
    for name in ("data_keys.json", "log.key", "pseudonym.key"):
        assert (target.key_dir / name).read_bytes() == (paths.key_dir / name).read_bytes()
        assert (target.key_dir / name).stat().st_mode & 0o777 == 0o600
    nxt = manage_here(target, "users", "add", "bo.manager", "--role", "coding_manager", "--password-stdin",
                      stdin="another long passphrase\n")
    assert nxt.returncode == 0, nxt.stderr  # the restored log takes new events (its checkpoints were adopted)
    assert manage_here(target, "verify-log").returncode == 0


def test_the_backup_is_an_export_event_held_in_its_own_archive(site):
    paths, _, root, _ = site
    (event,) = [e for e in read_events(paths, action="export") if e["resource"] == "cli:backup"]
    assert event["details"] == {"file": "backup.tar", "keys": "backup-keys.json"}
    manifest = json.loads(members(root / "backup.tar")["manifest.json"])
    assert manifest["log"]["seq"] == event["seq"]  # the snapshot ends with it: nothing else ran meanwhile
    assert manifest["format"] == "codeaudit-backup-1" and manifest["versions"]["duckdb"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["created_at"])


def test_every_member_matches_its_sha256_and_the_archive_holds_no_phi_and_no_key(site):
    paths, raw, root, _ = site
    found = members(root / "backup.tar")
    manifest = json.loads(found.pop("manifest.json"))
    assert set(found) == {"data/store.duckdb", "data/users.sqlite", "data/reviews.sqlite", "data/access_log/events.jsonl",
                          "data/REAL_DATA_INGESTED",
                          "log_checkpoints/head", "log_checkpoints/history.jsonl", "log_checkpoints/data_folder"}
    assert {n: hashlib.sha256(b).hexdigest() for n, b in found.items()} == {n: m["sha256"] for n, m in manifest["members"].items()}
    needles = phi_values(raw)
    assert len(needles) > 600
    for name, data in found.items():
        assert not _tokens(data) & needles, f"{name} holds plaintext PHI"
    ring = json.loads((paths.key_dir / "data_keys.json").read_text())["keys"]
    secrets = [base64.b64decode(v) for v in ring.values()] + [
        base64.b64decode((paths.key_dir / f).read_text()) for f in ("pseudonym.key", "log.key")]
    texts = list(ring.values()) + [(paths.key_dir / f).read_text().strip() for f in ("pseudonym.key", "log.key")]
    blob = (root / "backup.tar").read_bytes() + (root / "backup-keys.json").read_bytes()
    assert not [s for s in secrets if s in blob] and not [t for t in texts if t.encode() in blob]


def _refused(result, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("restore refused: "), result.stderr
    for word in words:
        assert word in result.stderr


@pytest.mark.parametrize("damage, words", [
    ("member", ("data/store.duckdb does not match the SHA-256",)),
    ("manifest", ("manifest does not carry this log key's signature",)),
    ("cut short", ("incomplete",)),
    ("no manifest", ("has no manifest",)),
    ("extra member", ("which no backup holds",)),
])
def test_a_tampered_or_partial_archive_is_refused_and_nothing_is_left(site, tmp_path, damage, words):
    _, _, root, _ = site
    archive, bad = root / "backup.tar", tmp_path / "bad.tar"
    found = members(archive)
    store = bytearray(found["data/store.duckdb"])
    store[len(store) // 2] ^= 0x01
    if damage == "member":
        rewrite(archive, bad, {"data/store.duckdb": bytes(store)})
    elif damage == "manifest":  # the member and its SHA-256 changed together: only the signature shows it
        manifest = json.loads(found["manifest.json"])
        manifest["members"]["data/store.duckdb"]["sha256"] = hashlib.sha256(store).hexdigest()
        rewrite(archive, bad, {"data/store.duckdb": bytes(store), "manifest.json": json.dumps(manifest).encode()})
    elif damage == "cut short":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif damage == "no manifest":
        rewrite(archive, bad, {"manifest.json": None})
    else:
        rewrite(archive, bad, {})
        with tarfile.open(bad, "a") as tar:
            info = tarfile.TarInfo("../../outside")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
    target = _target(tmp_path)
    _refused(restore(bad, target, root / "backup-keys.json"), *words)
    assert not target.data_dir.exists() and not (tmp_path / "outside").exists()
    assert not target.key_dir.exists() or not any(target.key_dir.iterdir())


def test_a_non_empty_folder_a_key_folder_inside_it_and_a_wrong_passphrase_are_refused(site, tmp_path):
    _, _, root, _ = site
    target = _target(tmp_path)
    target.data_dir.mkdir(parents=True)
    (target.data_dir / "notes.txt").write_text("kept")
    _refused(restore(root / "backup.tar", target, root / "backup-keys.json"), "is not an empty folder")
    assert sorted(p.name for p in target.data_dir.iterdir()) == ["notes.txt"]
    inside = Paths(data_dir=tmp_path / "other", key_dir=tmp_path / "other" / "keys")
    _refused(restore(root / "backup.tar", inside, root / "backup-keys.json"), "key folder", "inside the data folder")
    assert not inside.data_dir.exists()
    _refused(restore(root / "backup.tar", _target(tmp_path / "x"), root / "backup-keys.json", passphrase="not the passphrase"),
             "passphrase is wrong")
    _refused(restore(root / "backup.tar", _target(tmp_path / "y")), "No access-log key")


def test_restoring_beside_a_log_that_went_on_is_refused(site, tmp_path):
    """The same key folder still holds the log's checkpoints, which events after the backup moved on: replacing
    them would hide those events, so the operator must move them aside or use another key folder."""
    paths, _, root, _ = site
    assert manage_here(paths, "anchor", "--out", str(tmp_path / "later-anchor.txt")).returncode == 0  # the log goes on
    target = Paths(data_dir=tmp_path / "second", key_dir=paths.key_dir)
    _refused(restore(root / "backup.tar", target), "already holds checkpoints of this access log")
    assert not target.data_dir.exists()


def test_backup_refusals(site, tmp_path):
    paths, _, root, _ = site
    exists = back_up(paths, root / "backup.tar")
    assert exists.returncode == 2 and "exists" in exists.stderr and exists.stderr.count("\n") == 1
    same = manage_here(paths, "backup", "--out", str(tmp_path / "a.tar"), "--with-keys", str(tmp_path / "a.tar"))
    assert same.returncode == 2 and "another file" in same.stderr
    no_tty = manage_here(paths, "backup", "--out", str(tmp_path / "b.tar"), "--with-keys", str(tmp_path / "k.json"))
    assert no_tty.returncode == 2 and "--passphrase-stdin" in no_tty.stderr
    short = back_up(paths, tmp_path / "c.tar", tmp_path / "k.json", passphrase="too short")
    assert short.returncode == 2 and "at least 16 characters" in short.stderr
    assert sorted(tmp_path.iterdir()) == []  # nothing written by any of them
    empty = Paths(data_dir=tmp_path / "empty", key_dir=paths.key_dir)
    (tmp_path / "empty").mkdir()
    none = manage_here(empty, "backup", "--out", str(tmp_path / "d.tar"), "--data-dir", str(empty.data_dir))
    assert none.returncode == 2 and "no access log" in none.stderr
