"""`manage.py random-numbers`, `sample draw|redraw|export-frame|void|replace|report|list` and
`appraise variable|attribute|sample-size`
(docs/SAMPLING.md). `--json` prints only the JSON object. A draw records its one `sample_draw` event and an
exported frame its `export` event, as the OS account (`cli:<name>`), before anything is printed; a refusal
is one line on standard error and exit 2 (exit 1: a redraw whose frame the store no longer gives)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from audit.events import AccessEvent, cli_actor
from audit.keys import KeyProblem
from audit.log.writer import AccessLogError
from audit.permissions import PermissionDenied, PurposeOfUse
from audit.phi_reveal import UnknownClaim
from audit.users import PasswordAccepted, SecondFactorNeeded, SignInError, User, UserError, UserStore
from cli.common import access_log_recorder, connect_reader, filter_arguments, filters_from, paths_from, where
from config.paths import Paths
from config.settings import ConfigurationError
from queries.metrics import CLAIM_FLAGS, MetricsError
from queries.store import StoreMissing
from review import report_versions
from review.appraisal import AppraisalError, appraise_attribute, appraise_variable, attribute_sample_size, variable_sample_size
from review.db import ReviewDb, ReviewError
from review.frame import DEFAULT_BANDS, STRATA_BY, FrameError, parse_bands
from review.lifecycle import replace_claim, void_sample
from review.random_numbers import GENERATOR, RandomNumberError, random_numbers
from review.report_copy import ClaimNumberCopy, claim_number_copy
from review.report_versions import ReportVersion
from review.sample_appraisal import SampleAppraisal, appraise_sample
from review.samples import SampleMismatch, check_sample, draw_sample, export_frame, list_samples, load_sample, redraw
from review.sampling import ALLOCATIONS, METHODS, PROBE_SIZE, SampleSpec

REFUSALS = (RandomNumberError, FrameError, ReviewError, AppraisalError, MetricsError, StoreMissing, ConfigurationError, OSError,
            PermissionDenied, SignInError, UserError, UnknownClaim)


def _print(body: dict[str, Any] | list[Any], as_json: bool) -> None:
    print(json.dumps(body) if as_json else json.dumps(body, indent=2))


def _guarded(name: str, run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except SampleMismatch as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 1
        except (AccessLogError, KeyProblem) as exc:
            print(f"{name} failed, nothing was printed: the access log could not record it ({exc})", file=sys.stderr)
        except REFUSALS as exc:
            print(f"{name} failed: {exc}", file=sys.stderr)
        return 2
    return command


def cmd_random_numbers(args: argparse.Namespace) -> int:
    draw = random_numbers(args.seed, args.count, args.low, args.high, args.spares)
    _print({"seed": int(args.seed) if float(args.seed).is_integer() else args.seed, "generator": GENERATOR,
            "generator_version": draw.generator_version, "selection_order": list(draw.selection_order),
            "sorted": list(draw.sorted), "spares": list(draw.spares)}, args.json)
    return 0


def _db(args: argparse.Namespace) -> ReviewDb:
    return ReviewDb(paths_from(args).reviews_db)


def cmd_sample_draw(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    size = args.size or (PROBE_SIZE if args.method == "probe" else None)
    if size is None:
        raise FrameError("Give the sample size with --size N.")
    spec = SampleSpec(method=args.method, size=size, filters=replace(filters_from(args), claim_flags=tuple(args.claim_flag)),
                      exclude_audited=args.exclude_audited,
                      strata_by=args.strata_by, bands=parse_bands(args.bands), allocation=args.allocation, spares=args.spares,
                      certainty_above=args.certainty_above)
    con = connect_reader(paths)
    try:
        sample = draw_sample(con, ReviewDb(paths.reviews_db), spec, seed=args.seed, user=cli_actor(), role="cli",
                             record=access_log_recorder(paths))
    finally:
        con.close()
    for warning in sample.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _print({**sample.as_json(), "warnings": list(sample.warnings)}, args.json)
    return 0


def cmd_sample_redraw(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    con = connect_reader(paths)
    try:
        outcome = redraw(con, ReviewDb(paths.reviews_db), args.sample_id)
    finally:
        con.close()
    if not outcome.same_frame:
        print(outcome.message, file=sys.stderr)
        return 1
    _print(outcome.sample.as_json(), args.json)
    return 0


def cmd_sample_export_frame(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    db = ReviewDb(paths.reviews_db)
    sample = load_sample(db, args.sample_id)
    text = export_frame(db, args.sample_id)
    access_log_recorder(paths)(AccessEvent(user=cli_actor(), role="cli", action="export", resource="cli:sample-frame",
                                           details={"sample_id": sample.sample_id, "rows": sample.frame_size,
                                                    "frame_sha256": sample.frame_sha256}))
    sys.stdout.write(text)
    return 0


def cmd_sample_void(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    sample = void_sample(ReviewDb(paths.reviews_db), args.sample_id, args.reason, user=cli_actor(), role="cli",
                         record=access_log_recorder(paths))
    print(f"Sample {sample.sample_id} is voided: it no longer counts as already audited, takes no more reviews and "
          "has no appraisal.")
    return 0


def cmd_sample_replace(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    spare = replace_claim(ReviewDb(paths.reviews_db), args.sample_id, args.claim_key, args.reason, user=cli_actor(),
                          role="cli", record=access_log_recorder(paths))
    print(f"Claim {args.claim_key} is replaced by spare {spare} in sample {args.sample_id}; review the spare.")
    return 0


def cmd_sample_report(args: argparse.Namespace) -> int:
    """Write a completed sample's frozen report (the latest version, or --version N) to --out; the `export`
    event (version and SHA-256) is recorded before the file is written. A sample completed before reports were
    frozen gets its version 1 first."""
    paths = paths_from(args)
    db = ReviewDb(paths.reviews_db)
    out = Path(args.out)
    if out.exists():
        raise ReviewError(f"{out} exists already; name a new file (a report is never written over another file).")
    if not out.parent.is_dir():
        raise ReviewError(f"There is no folder {out.parent}; create it first or name a file in an existing folder.")
    sample = load_sample(db, args.sample_id)
    check_sample(db, sample.sample_id)  # a changed sample is named as such, completed or not
    if sample.completed_at is None:
        raise ReviewError(f"Sample {sample.sample_id} is not completed: its report is frozen when it is completed (every "
                          "claim reviewed, then Complete the sample on the Record review page).")
    record = access_log_recorder(paths)
    if not report_versions.versions(db, sample.sample_id):
        con = connect_reader(paths)
        try:
            report_versions.refresh(db, con, sample.sample_id, user=cli_actor(), role="cli", record=record)
        finally:
            con.close()
    frozen = report_versions.version_pdf(db, sample.sample_id, args.version)
    if args.claim_numbers:
        copy = _claim_number_copy(args, paths, db, frozen.version)
        pdf, sha256, event = copy.pdf, copy.sha256, copy.export
    else:
        pdf, sha256 = frozen.pdf, frozen.version.sha256
        event = report_versions.export_event(cli_actor(), "cli", frozen.version, sha256)
    record(event)
    with open(out, "xb") as fh:
        fh.write(pdf)
    what = "a copy with claim numbers (PHI: keep it where PHI may be kept) of " if args.claim_numbers else ""
    print(f"Wrote {out}: {what}sample {sample.sample_id} report version {frozen.version.version}, SHA-256 {sha256}.")
    return 0


def _claim_number_copy(args: argparse.Namespace, paths: Paths, db: ReviewDb, version: ReportVersion) -> ClaimNumberCopy:
    """The copy with claim numbers for the dashboard account `--user` names, signed in with its password (from a
    terminal, or the first line of standard input with --password-stdin; the attempt is logged as a sign-in): its
    role decides, as on the Audit sampling page, and each claim's reveal is logged before its number is decrypted."""
    if not args.user:
        raise ReviewError("A copy with claim numbers reveals PHI: name your dashboard account with --user NAME "
                          "(a role that may reveal claim numbers), and give --purpose.")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password of {args.user}: ")
    else:
        raise ReviewError("There is no terminal to type the password in; nothing was revealed. Give it on standard "
                          "input with --password-stdin.")
    record = access_log_recorder(paths)
    users = UserStore(paths.users_db)
    try:
        user = users.authenticate(args.user, password, record=record)
    except SecondFactorNeeded as needed:
        user = _second_factor(args, paths, users, needed.pending, record)
    con = connect_reader(paths)
    try:
        return claim_number_copy(paths, con, db, version, user=user.username, role=user.role, purpose=args.purpose,
                                 justification=args.justification or "", record=record)
    finally:
        con.close()


def _second_factor(args: argparse.Namespace, paths: Paths, users: UserStore, pending: PasswordAccepted,
                   record: Callable[..., object]) -> User:
    """An account with a second factor signs in here as on the sign-in page: its code (or a recovery code) from the
    next line of standard input with --password-stdin, else typed at the terminal; a refused code counts toward
    its lockout. An account that must set one up first is sent to the dashboard."""
    from audit.mfa import SecondFactors, keyring_vault

    if not pending.enrolled:
        raise ReviewError(f"{pending.username} must set up a second factor before it can sign in (CODEAUDIT_REQUIRE_MFA): "
                          "sign in to the dashboard once to set it up; nothing was revealed.")
    code = (sys.stdin.readline() if args.password_stdin
            else getpass.getpass(f"Code from the authenticator app of {pending.username}: "))
    return SecondFactors(users, keyring_vault(paths.key_dir)).verify(pending, code.strip(), record=record)


def cmd_sample_list(args: argparse.Namespace) -> int:
    _print(list_samples(_db(args)), args.json)
    return 0


def _values(path: str) -> list[float]:
    """One value per line (blank lines skipped); a line that is not a number is refused by its number."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AppraisalError(f"{path} is not UTF-8 text; save it as plain text with one overpayment per line.") from None
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(float(line.replace(",", "").replace("$", "")))
        except ValueError:
            raise AppraisalError(f"{path} line {number} is not a number; give one overpayment per line (0 for no error).") from None
    return values


def _appraised(args: argparse.Namespace, sample_id: str) -> SampleAppraisal:
    """A stored sample's appraisal, with the paid amounts read from the store."""
    con = connect_reader(paths_from(args))
    try:
        return appraise_sample(_db(args), load_sample(_db(args), sample_id), con)
    finally:
        con.close()


def cmd_appraise_variable(args: argparse.Namespace) -> int:
    if args.sample:
        appraised = _appraised(args, args.sample)
        body = {**appraised.variable.as_json(), **appraised.dollars.as_json()}
    else:
        if not (args.values and args.universe):
            raise AppraisalError("Give --sample SAMPLE_ID, or --values FILE with --universe N.")
        body = appraise_variable(_values(args.values), args.universe).as_json()
    _print(body, args.json)
    return 0


def cmd_appraise_attribute(args: argparse.Namespace) -> int:
    if args.sample:
        result = _appraised(args, args.sample).attribute
    else:
        if None in (args.errors, args.n, args.universe):
            raise AppraisalError("Give --sample SAMPLE_ID, or --errors K --n N --universe N.")
        result = appraise_attribute(args.errors, args.n, args.universe)
    _print(result.as_json(), args.json)
    return 0


def cmd_appraise_sample_size(args: argparse.Namespace) -> int:
    if args.kind == "attribute":
        if None in (args.expected_rate, args.universe):
            raise AppraisalError("Give --expected-rate and --universe (and --precision, --confidence) for an attribute size.")
        n = attribute_sample_size(args.expected_rate, args.confidence, args.precision, args.universe)
        body: dict[str, Any] = {"kind": "attribute", "expected_rate": args.expected_rate, "precision": args.precision}
    else:
        sd, mean, universe = args.sd, args.mean, args.universe
        if args.probe:
            probe = _appraised(args, args.probe).variable
            sd, mean, universe = probe.sd, probe.mean, probe.universe
        if None in (sd, mean, universe):
            raise AppraisalError("Give --probe SAMPLE_ID, or --sd, --mean and --universe, for a variable size.")
        n = variable_sample_size(sd, mean, universe, args.confidence, args.precision_pct)
        body = {"kind": "variable", "sd": sd, "mean": mean, "precision_pct": args.precision_pct}
    _print({**body, "confidence": args.confidence, "universe": universe if args.kind == "variable" else args.universe, "n": n},
           args.json)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    json_help = "print only the JSON object"
    p = sub.add_parser("random-numbers", help="RAT-STATS-style seeded random numbers (docs/SAMPLING.md)")
    p.add_argument("--seed", type=float, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--low", type=int, required=True)
    p.add_argument("--high", type=int, required=True)
    p.add_argument("--spares", type=int, default=0)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("random-numbers", cmd_random_numbers))

    sample = sub.add_parser("sample", help="draw, redraw, list audit samples and export their frames")
    commands = sample.add_subparsers(dest="sample_command", required=True, metavar="COMMAND")
    p = commands.add_parser("draw", help="draw a sample from the claims in scope, kept with its seed and frame")
    p.add_argument("--method", choices=METHODS, required=True)
    p.add_argument("--size", type=int, help=f"claims to draw (per coder for per-coder; default {PROBE_SIZE} for probe)")
    p.add_argument("--strata-by", choices=STRATA_BY,
                   help="stratified: billed- or paid-dollar bands, coder, facility, payer or encounter type")
    p.add_argument("--bands", default=",".join(f"{b:g}" for b in DEFAULT_BANDS),
                   help="dollar band limits for --strata-by billed or paid (default 1000,10000,50000)")
    p.add_argument("--allocation", choices=ALLOCATIONS, default="proportional",
                   help="how --size is split over strata: by stratum size, equally, or Neyman (size times the "
                        "spread of the stratified dollars)")
    p.add_argument("--certainty-above", type=float, metavar="AMOUNT",
                   help="stratified: review in full every claim paid over AMOUNT (a certainty stratum, in addition to "
                        "--size, counted at face value)")
    p.add_argument("--spares", type=int, default=0, help="spare claims drawn after the sample (per stratum)")
    p.add_argument("--exclude-audited", action="store_true",
                   help="leave out claims with imported findings and claims drawn into earlier samples")
    p.add_argument("--seed", type=float, help="the seed (default: a new six-digit seed, printed)")
    p.add_argument("--claim-flag", action="append", default=[], choices=list(CLAIM_FLAGS),
                   help="only claims carrying this flag (repeat: every one must hold): " + "; ".join(
                       f"{flag}: {words.lower()}" for flag, words in CLAIM_FLAGS.items()))
    filter_arguments(p)
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("sample draw", cmd_sample_draw))
    for name, run, text in (("redraw", cmd_sample_redraw, "rebuild the frame from the store and redraw: exit 1 if it changed"),
                            ("export-frame", cmd_sample_export_frame, "print the numbered frame as CSV (position,claim_key)")):
        p = commands.add_parser(name, help=text)
        p.add_argument("sample_id")
        where(p, store_file=True)
        if name == "redraw":
            p.add_argument("--json", action="store_true", help=json_help)
        p.set_defaults(func=_guarded(f"sample {name}", run))
    p = commands.add_parser("void", help="void a sample with a reason: it no longer counts as already audited")
    p.add_argument("sample_id")
    p.add_argument("--reason", required=True, help="why the sample is voided (kept with it and in the access log)")
    where(p, store_file=True)
    p.set_defaults(func=_guarded("sample void", cmd_sample_void))
    p = commands.add_parser("replace", help="replace a claim that cannot be reviewed by the next spare of its stratum")
    p.add_argument("sample_id")
    p.add_argument("claim_key")
    p.add_argument("--reason", required=True, help="why the claim cannot be reviewed, e.g. 'record not available'")
    where(p, store_file=True)
    p.set_defaults(func=_guarded("sample replace", cmd_sample_replace))
    p = commands.add_parser("report", help="write a completed sample's frozen PDF report (latest version, or --version N)")
    p.add_argument("sample_id")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="a new file to write (never written over)")
    p.add_argument("--version", type=int, help="a report version (default: the latest)")
    p.add_argument("--claim-numbers", action="store_true",
                   help="a copy with claim numbers revealed (PHI; each reveal logged): needs --user and --purpose")
    p.add_argument("--user", metavar="NAME", help="with --claim-numbers: your dashboard account (its role decides)")
    p.add_argument("--purpose", choices=[p.value for p in PurposeOfUse], help="with --claim-numbers: purpose of use")
    p.add_argument("--justification", help="with --claim-numbers: why (optional)")
    p.add_argument("--password-stdin", action="store_true", help="with --claim-numbers: read the password from standard input")
    where(p, store_file=True)
    p.set_defaults(func=_guarded("sample report", cmd_sample_report))
    p = commands.add_parser("list", help="every sample with its parameters, review progress, void and replacements")
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("sample list", cmd_sample_list))

    appraise = sub.add_parser("appraise", help="variable and attribute appraisal, sample sizes (docs/SAMPLING.md)")
    commands = appraise.add_subparsers(dest="appraise_command", required=True, metavar="COMMAND")
    p = commands.add_parser("variable", help="overpayment: point estimate, standard error, limits")
    p.add_argument("--sample", metavar="SAMPLE_ID")
    p.add_argument("--values", metavar="FILE", help="one overpayment per line (0 for a claim without error)")
    p.add_argument("--universe", type=int, help="claims in the universe (with --values)")
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("appraise variable", cmd_appraise_variable))
    p = commands.add_parser("attribute", help="claims in error: exact hypergeometric limits")
    p.add_argument("--sample", metavar="SAMPLE_ID")
    p.add_argument("--errors", type=int)
    p.add_argument("--n", type=int)
    p.add_argument("--universe", type=int)
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("appraise attribute", cmd_appraise_attribute))
    p = commands.add_parser("sample-size", help="claims to sample: attribute or variable (from a probe)")
    p.add_argument("--kind", choices=("attribute", "variable"), required=True)
    p.add_argument("--confidence", type=float, default=0.90)
    p.add_argument("--expected-rate", type=float, help="attribute: expected error rate, e.g. 0.10")
    p.add_argument("--precision", type=float, default=0.05, help="attribute: plus or minus, e.g. 0.05")
    p.add_argument("--universe", type=int)
    p.add_argument("--probe", metavar="SAMPLE_ID", help="variable: a completed probe sample gives sd, mean and universe")
    p.add_argument("--sd", type=float)
    p.add_argument("--mean", type=float)
    p.add_argument("--precision-pct", type=float, default=10.0, help="variable: plus or minus this % of the point estimate")
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_guarded("appraise sample-size", cmd_appraise_sample_size))
