"""Headline tiles read as their users read them: a change is coloured only when it is significant, a change
within noise says so in grey, a small sample gets a badge instead of a verdict, and a target is judged
only on enough items. Hand-made counts with hand-checked p-values (tests/queries/test_stats.py)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def tiles_app(now: dict[str, int], before: dict[str, int]) -> AppTest:
    """The code-accuracy tile for `now` and `before` counts (findings_agree, findings)."""

    def script(now: dict[str, int], before: dict[str, int]) -> None:
        import pandas as pd

        from queries.stats import wilson_interval
        from queries.targets import load_targets
        from views import kpis

        def row(counts: dict[str, int]) -> pd.Series:
            low, high = wilson_interval(counts["findings_agree"], counts["findings"])
            return pd.Series({**counts, "code_accuracy": counts["findings_agree"] / counts["findings"],
                              "code_accuracy_ci_low": low[0], "code_accuracy_ci_high": high[0]})

        targets = load_targets({}, {})
        table = kpis.kpi_table(("code_accuracy",), row(now), row(before), targets)
        kpis.tiles(("code_accuracy",), table, row(now), row(before), targets)

    return AppTest.from_function(script, args=(now, before), default_timeout=30).run()


def test_a_significant_change_is_coloured_and_says_better():
    # 90/100 against 80/100: p = 0.0477
    app = tiles_app({"findings_agree": 90, "findings": 100}, {"findings_agree": 80, "findings": 100})
    (tile,) = app.metric
    assert tile.delta == "+10.0 pp, better (p = 0.048)" and tile.proto.color == 1  # green
    assert [c.value for c in app.caption] == ["Target ≥ 95%: :red[missed]"]


def test_a_change_within_noise_is_grey_and_says_no_significant_change():
    # 88/100 against 80/100: p = 0.123
    app = tiles_app({"findings_agree": 88, "findings": 100}, {"findings_agree": 80, "findings": 100})
    (tile,) = app.metric
    assert tile.delta == "+8.0 pp, no significant change"
    assert tile.proto.color == 2  # grey


def test_a_small_sample_gets_a_badge_not_a_verdict():
    app = tiles_app({"findings_agree": 4, "findings": 4}, {"findings_agree": 20, "findings": 40})
    (tile,) = app.metric
    assert tile.delta == "small sample: 4 now, 40 before" and tile.proto.color == 2  # grey
    assert [c.value for c in app.caption] == ["Target ≥ 95%: too few to judge (under 30 counted)"]


def test_a_change_that_rounds_to_zero_reads_0_0():
    app = tiles_app({"findings_agree": 900, "findings": 1000}, {"findings_agree": 9002, "findings": 10000})
    assert app.metric[0].delta == "0.0 pp, no significant change"
