"""The sampling and appraisal commands as scripts rely on them (docs/SAMPLING.md): `--json` prints only the JSON
object, a refusal is one line and exit 2, and exporting a frame is recorded before it is printed."""
from __future__ import annotations

import json

import pytest

from audit.log.read import read_events
from cli import main
from queries.metrics import Filters
from review.appraisal import appraise_variable
from review.sampling import SampleSpec
from tests.review.test_appraisal import WORKED, N
from tests.review.test_sample_appraisal import draw, paid_amounts, review_all


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_random_numbers_json_is_the_documented_object(capsys):
    code, out, err = run(capsys, "random-numbers", "--seed", "12345", "--count", "10", "--low", "1", "--high", "1000",
                         "--spares", "3", "--json")
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert set(body) >= {"seed", "generator", "selection_order", "sorted", "spares"}
    assert body["selection_order"][:3] == [497, 9, 556] and body["spares"] == [404, 624, 927]
    assert run(capsys, "random-numbers", "--seed", "1", "--count", "5", "--low", "10", "--high", "1")[0] == 2


def test_sample_draw_list_export_and_appraise(store, capsys, tmp_path):
    code, out, err = run(capsys, "sample", "draw", "--method", "random", "--size", "6", "--payer", "Medicare",
                         "--seed", "2026", "--json")
    assert code == 0, err
    drawn = json.loads(out)  # the whole output is one JSON object
    assert set(drawn) >= {"sample_id", "frame_size", "frame_sha256", "seed", "generator", "claim_keys"}
    assert drawn["seed"] == 2026 and len(drawn["claim_keys"]) == 6 and drawn["parameters"]["filters"]["payer"] == ["Medicare"]
    code, out, _ = run(capsys, "sample", "list", "--json")
    assert [s["sample_id"] for s in json.loads(out)] == [drawn["sample_id"]]
    code, out, _ = run(capsys, "sample", "export-frame", drawn["sample_id"])
    assert out.splitlines()[0] == "position,claim_key" and len(out.splitlines()) == drawn["frame_size"] + 1
    (event,) = read_events(store, action="export")
    assert (event["resource"], event["details"]["rows"]) == ("cli:sample-frame", drawn["frame_size"])
    code, _, err = run(capsys, "appraise", "variable", "--sample", drawn["sample_id"], "--json")
    assert code == 2 and "6 of the sample's 6 claims are not completed" in err
    assert run(capsys, "sample", "redraw", "S-nope")[0] == 2
    values = tmp_path / "values.txt"
    values.write_text("\n".join(str(v) for v in WORKED) + "\n")
    code, out, _ = run(capsys, "appraise", "variable", "--values", str(values), "--universe", str(N), "--json")
    assert json.loads(out) == json.loads(json.dumps(appraise_variable(WORKED, N).as_json()))
    values.write_text("12\nabc\n")
    code, _, err = run(capsys, "appraise", "variable", "--values", str(values), "--universe", "10")
    assert code == 2 and "line 2 is not a number" in err
    code, out, _ = run(capsys, "appraise", "sample-size", "--kind", "attribute", "--expected-rate", "0.1", "--universe", "2500",
                       "--json")
    assert json.loads(out)["n"] == 94


@pytest.mark.parametrize("argv", [["sample", "draw", "--method", "stratified", "--size", "5"],
                                  ["sample", "draw", "--method", "random", "--size", "5", "--from", "2025-02-01", "--to", "2025-01-01"]])
def test_refused_draws_are_one_line_and_exit_2(store, capsys, argv):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "") and err.count("\n") == 1


def test_appraise_variable_of_a_sample_gives_its_dollars(store, capsys):
    """Overpaid 100.00 and 60.25, underpaid 45.50: gross 160.25 and 45.50, net 114.75, over the paid dollars the
    store holds for the six sampled claims; money in cents as JSON numbers, the rate a number, never NaN."""
    sample, codes = draw(store, SampleSpec("random", 6, filters=Filters(encounter_type=("outpatient",))), seed=77)
    paid_each = paid_amounts(store, sample.claim_keys)
    roomy = [k for k in sample.claim_keys if paid_each[k] >= 100]  # room for the overpayments below
    first, third = roomy[:2]
    second = next(k for k in sample.claim_keys if k not in roomy[:2])
    review_all(store, sample, codes, {first: 100.0, second: -45.5, third: 60.25})
    paid = sum(paid_each.values())
    code, out, err = run(capsys, "appraise", "variable", "--sample", sample.sample_id, "--json")
    assert code == 0, err
    body = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert (body["gross_overpayment"], body["gross_underpayment"], body["net_overpayment"]) == (160.25, 45.5, 114.75)
    assert body["paid_reviewed"] == float(paid) and body["claims_in_error"] == 3
    assert body["dollar_error_rate"] == pytest.approx(114.75 / float(paid))
    assert body["point_estimate"] == pytest.approx(114.75 / 6 * sample.frame_size)
