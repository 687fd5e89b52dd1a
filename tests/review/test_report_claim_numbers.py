"""`manage.py sample report --claim-numbers`: the copy with claim numbers from the command line, for the dashboard
account it names (signed in with its password) when its role may reveal claim numbers, each reveal logged
before the vault is opened and the export logged with the file's SHA-256; refused in one line otherwise."""
from __future__ import annotations

import hashlib
import io

from audit import phi_reveal
from audit.log.read import read_events
from audit.permissions import PhiField, authorize_reveal
from audit.users import UserStore
from cli import main
from queries.store import connect_read_only
from tests.review.test_report import completed, pdf_text

PASSWORD = "a long enough passphrase"


def _accounts(store) -> None:
    users = UserStore(store.users_db)
    users.add_user("ann.audit", "auditor", PASSWORD, actor="test")
    users.add_user("max.manager", "coding_manager", PASSWORD, actor="test")


def _report(sample_id: str, out, user: str, monkeypatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return main(["sample", "report", sample_id, "--out", str(out), "--claim-numbers", "--user", user,
                 "--purpose", "HOPERAT", "--password-stdin"])


def test_an_auditor_gets_the_copy_each_reveal_logged_before_the_vault_is_opened(store, tmp_path, monkeypatch, capsys):
    sample, _ = completed(store, [])
    _accounts(store)
    keyring_reads: list[int] = []
    real = phi_reveal.load_data_keyring

    def load(key_dir):  # the vault is opened only once this claim's reveal is in the log
        keyring_reads.append(len(read_events(store, action="phi_reveal")))
        return real(key_dir)

    monkeypatch.setattr(phi_reveal, "load_data_keyring", load)
    out = tmp_path / "copy.pdf"
    assert _report(sample.sample_id, out, "ann.audit", monkeypatch) == 0, capsys.readouterr().err
    n = len(sample.claim_keys)
    assert keyring_reads == list(range(1, n + 1))
    reveals = read_events(store, action="phi_reveal")
    assert len(reveals) == n and {e["user"] for e in reveals} == {"ann.audit"} and {e["role"] for e in reveals} == {"auditor"}
    assert {e["claim_keys"][0] for e in reveals} == set(sample.claim_keys)
    (export,) = read_events(store, action="export")
    data = out.read_bytes()
    assert export["details"]["sha256"] == hashlib.sha256(data).hexdigest() != export["details"]["frozen_sha256"]
    assert export["details"]["claim_numbers"] is True and export["user"] == "ann.audit"
    assert export["seq"] > max(e["seq"] for e in reveals)
    assert hashlib.sha256(data).hexdigest() in capsys.readouterr().out
    con = connect_read_only(store)
    try:
        decision = authorize_reveal("auditor", [PhiField.CLAIM_ID], "HOPERAT", claim_in_sample=True)
        numbers = [phi_reveal.reveal(store, con, decision, "test", key, lambda event: None)["claim_id"]
                   for key in sample.claim_keys]
    finally:
        con.close()
    text = pdf_text(data)
    assert "Claim number" in text and all(number in text for number in numbers)
    assert not any(key in text for key in sample.claim_keys)


def test_a_role_that_may_not_reveal_claim_numbers_is_refused_in_one_line(store, tmp_path, monkeypatch, capsys):
    sample, _ = completed(store, [])
    _accounts(store)
    out = tmp_path / "copy.pdf"
    assert _report(sample.sample_id, out, "max.manager", monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sample report failed: ") and "may not reveal" in err, err
    assert not out.exists()
    assert not read_events(store, action="phi_reveal") and not read_events(store, action="export")
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password\n"))  # a wrong password reveals nothing either
    assert main(["sample", "report", sample.sample_id, "--out", str(out), "--claim-numbers", "--user", "ann.audit",
                 "--purpose", "HOPERAT", "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Sign-in failed" in err and not out.exists()
    assert not read_events(store, action="phi_reveal")


def test_an_account_with_a_second_factor_gives_its_code_after_the_password(store, tmp_path, monkeypatch, capsys):
    from audit.mfa import SecondFactors, keyring_vault, totp

    sample, _ = completed(store, [])
    _accounts(store)
    factors = SecondFactors(UserStore(store.users_db), keyring_vault(store.key_dir))
    enrolment = factors.begin("ann.audit")
    _, recovery = factors.confirm(enrolment, totp(enrolment.secret).now())
    out = tmp_path / "copy.pdf"
    argv = ["sample", "report", sample.sample_id, "--out", str(out), "--claim-numbers", "--user", "ann.audit",
            "--purpose", "HOPERAT", "--password-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))  # the password alone: no code, refused
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "That code was not accepted" in err and not out.exists()
    assert not read_events(store, action="phi_reveal") and read_events(store, action="mfa_failed")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{recovery[0]}\n"))
    assert main(argv) == 0, capsys.readouterr().err
    (signed_in,) = read_events(store, action="sign_in")
    assert signed_in["user"] == "ann.audit" and signed_in["details"] == {"second_factor": "recovery_code"}
    assert out.exists() and read_events(store, action="phi_reveal")
