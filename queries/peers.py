"""Internal PEPPER-style peer percentiles: where each coder or facility stands among its peers on five measures,
flagged at the 80th percentile (and the 20th where a low rate is a concern too), as CMS's PEPPER "compare
targets" report flags a hospital among hospitals.

The contract (docs/METRICS.md, "Peer percentiles"): a peer is ranked on a measure only when the measure's
denominator reaches the volume threshold (CODEAUDIT_PEER_MIN_VOLUME); its percentile is the share of the *other*
ranked peers whose rate is lower, a tie counting half (scipy.stats.percentileofscore(others, rate, kind="mean"));
a percentile at or above HIGH_PERCENTILE is flagged `high`, at or below LOW_PERCENTILE `low` for the measures
whose low end is a concern. The counts come from metrics/peer_counts.sql; this module ranks and flags them.
Never imports streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from audit import exports
from queries.metrics import LABELS, Filters, MetricsError, plain
from queries.sql_files import sql_template

HIGH_PERCENTILE = 80.0
LOW_PERCENTILE = 20.0
# What a peer is -> the Filters field that names peers of that kind.
PEERS = {"coder": "coder", "facility": "facility"}
PEER_KEYS = {"coder": "coder_id", "facility": "facility_id"}


@dataclass(frozen=True)
class Measure:
    """A peer measure: the peer_counts.sql columns above and below the line, its name for people, and whether a
    rate at or below the 20th percentile is flagged as well as one at or above the 80th (docs/METRICS.md says why
    for each)."""

    numerator: str
    denominator: str
    label: str
    flags_low: bool = False


# The three measures the headline summary has too (queries.metrics.RATES) keep its names and its counts.
MEASURES: dict[str, Measure] = {
    "code_error_rate": Measure("code_errors", "findings", "Code error rate"),
    "unspecified_rate": Measure("unspecified_dx", "dx_codes", LABELS["unspecified_rate"]),
    "single_cc_mcc_share": Measure("single_cc_mcc_claims", "cc_mcc_claims", LABELS["single_cc_mcc_share"], flags_low=True),
    "drg_mismatch_rate": Measure("drg_mismatches", "billed_drg_claims", LABELS["drg_mismatch_rate"]),
    "coding_denial_rate": Measure("coding_denied_claims", "claims", "Coding-related denial rate"),
}
# The flags, stored short (files carry these), and their words on screen.
FLAGS = {
    "high": f"At or above the {HIGH_PERCENTILE:.0f}th percentile",
    "low": f"At or below the {LOW_PERCENTILE:.0f}th percentile",
    "within": "Within its peers",
    "no_peers": "Enough volume, but no other peer has",
    "low_volume": "Too few to rank",
}
REPORT_FIELDS = ("peer", "measure", "numerator", "denominator", "rate", "percentile", "flag")


def percentile_ranks(rates: pd.Series) -> pd.Series:
    """Each rate's percentile among the others of `rates`: 100 x (others lower + half the others equal) /
    others, from 0 (lowest) to 100 (highest); NaN for a rate with no other to compare with."""
    return pd.Series(_percentiles(rates.to_numpy(dtype="float64")), index=rates.index)


def _percentiles(rates: np.ndarray) -> np.ndarray:
    """percentile_ranks on an array. The average rank (1-based, ties sharing the mean of their ranks) of a rate
    with L rates below it and E equal to it, itself included, is L + (E + 1) / 2, so (rank - 1) / (n - 1) is
    (L + (E - 1) / 2) / (n - 1): exact in binary floating point whenever the percentile is a whole number, so a
    peer exactly at the 80th is flagged."""
    if len(rates) < 2:
        return np.full(len(rates), np.nan)
    return 100.0 * (rankdata(rates, method="average") - 1) / (len(rates) - 1)


def rank(counts: pd.DataFrame, min_volume: int, shown: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per peer and measure (measures in MEASURES order, peers in key order) from peer_counts.sql's
    rows: `numerator`, `denominator`, `rate` (NaN when nothing was counted), `percentile` (NaN when not
    ranked), `flag` (FLAGS), `ranked_peers` (how many peers were ranked on the measure). A peer whose
    denominator is under `min_volume` is not ranked and does not count as another's peer (`low_volume`).
    `shown`: the peers to return (empty: all), each ranked among all. Plain numpy over the few peers, measure by
    measure: the page and the command line call it on every scope."""
    columns = [*REPORT_FIELDS, "ranked_peers"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    names = counts["peer"].astype(str).to_numpy()
    parts: dict[str, list[np.ndarray]] = {column: [] for column in columns}
    for name, measure in MEASURES.items():
        numerator = counts[measure.numerator].fillna(0).to_numpy(dtype="int64")
        denominator = counts[measure.denominator].fillna(0).to_numpy(dtype="int64")
        rate = np.divide(numerator, denominator, out=np.full(len(names), np.nan), where=denominator > 0)
        ranked = denominator >= min_volume
        percentile = np.full(len(names), np.nan)
        percentile[ranked] = _percentiles(rate[ranked])
        flag = np.select([~ranked, np.isnan(percentile), percentile >= HIGH_PERCENTILE,
                          (percentile <= LOW_PERCENTILE) & measure.flags_low],
                         ["low_volume", "no_peers", "high", "low"], "within")
        for column, values in (("peer", names), ("measure", np.full(len(names), name, dtype=object)),
                               ("numerator", numerator), ("denominator", denominator), ("rate", rate),
                               ("percentile", percentile), ("flag", flag.astype(object)),
                               ("ranked_peers", np.full(len(names), int(ranked.sum())))):
            parts[column].append(values)
    out = pd.DataFrame({column: np.concatenate(values) for column, values in parts.items()})
    return out[out["peer"].isin(shown)].reset_index(drop=True) if shown else out


def percentiles(con: duckdb.DuckDBPyConnection, filters: Filters, peer: str, min_volume: int) -> pd.DataFrame:
    """Every coder's (peer="coder") or facility's (peer="facility") percentile on each measure (`rank`), in the
    scope. A filter on the peers themselves (Filters.coder for coders) chooses whose rows come back, not who they
    are ranked among: a coder picked in the sidebar is ranked against every coder in the rest of the scope."""
    if peer not in PEERS:
        raise MetricsError(f"No peer percentiles by '{peer}': choose one of {', '.join(PEERS)}.")
    if filters.claim_flags:
        raise MetricsError(f"Peer percentiles cannot be narrowed to flagged claims ({', '.join(filters.claim_flags)}); "
                           "clear the flags.")
    field = PEERS[peer]
    everyone = replace(filters, **{field: ()})
    counts = con.execute(sql_template("metrics/peer_counts", peer_column=PEER_KEYS[peer]), everyone.params()).df()
    return rank(counts, min_volume, shown=getattr(filters, field))


def flagged_peers(frame: pd.DataFrame) -> pd.DataFrame:
    """Peers flagged on at least one measure, most flags first (ties: highest percentile), with `flags`
    (how many) and `measures` (the flagged measures' names for people, in MEASURES order)."""
    hits = frame[frame["flag"].isin(("high", "low"))]
    if hits.empty:
        return pd.DataFrame(columns=["peer", "flags", "measures", "top_percentile"])
    grouped = hits.groupby("peer", sort=False).agg(
        flags=("measure", "size"), top_percentile=("percentile", "max"),
        measures=("measure", lambda names: ", ".join(MEASURES[n].label for n in names)))
    return (grouped.reset_index().sort_values(["flags", "top_percentile", "peer"], ascending=[False, False, True])
            .reset_index(drop=True))


def report_rows(con: duckdb.DuckDBPyConnection, filters: Filters, peer: str, min_volume: int, *,
                suppress_small_cells: bool = False) -> list[dict[str, Any]]:
    """Plain rows for `manage.py metrics --percentiles`: REPORT_FIELDS, null where not known. With
    `suppress_small_cells` (audit.exports), a row whose numerator or denominator is a count from 1 to 10 has
    every number blanked (its rate and percentile too; its flag, a label, stays), with complementary suppression
    within each measure, whose rows add up to the organisation's total; the rows then end with SUPPRESSED_FLAG."""
    frame = percentiles(con, filters, peer, min_volume)[list(REPORT_FIELDS)]
    fields = list(REPORT_FIELDS)
    if suppress_small_cells and not frame.empty:
        frame = pd.concat([exports.suppress_small_cells(group, ["numerator", "denominator"],
                                                        rates={"rate": ("numerator", "denominator")}, complementary=True)
                           for _, group in frame.groupby("measure", sort=False)])
        fields.append(exports.SUPPRESSED_FLAG)
    return [{key: plain(value) for key, value in row.items()} for row in frame[fields].to_dict("records")]

