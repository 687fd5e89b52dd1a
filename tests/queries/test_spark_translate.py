"""The DuckDB metric SQL as Spark SQL (queries/spark/translate.py), checked on the text without starting Spark:
macros expanded, list parameters bound element by element, the rollup's CTEs kept apart from the caller's.
tests/queries/test_parquet_spark.py runs the result on Spark and compares it with DuckDB."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

try:
    from queries.spark.translate import macros, to_spark
except ImportError:  # SQLGlot comes with requirements-spark.txt
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("SQLGlot is not installed (pip install -r requirements-spark.txt). Under CI=true these tests must run.",
                    pytrace=False)
    pytest.skip("SQLGlot is not installed (pip install -r requirements-spark.txt)", allow_module_level=True)

from queries.metrics import Filters
from queries.sql_files import sql

METRICS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "queries" / "sql" / "metrics").glob("*.sql"))
DUCKDB_ONLY = re.compile(r"\b(in_scope|is_denial|claim_findings_rollup|query_table|list_has_all|list_has|list_contains|strftime)\s*\(|\$\w", re.I)
PARAMS = {**Filters(date_from=date(2025, 1, 1), facility=("FAC-EAST", "FAC-WEST")).params(), "by": "month", "claim_flags": [],
          "broad": ["16", "50"], "claim_keys": ["k1"], "limit": 5, "level": "chapter", "drill_coder": "C001", "value": "v",
          "code_type": None, "flag": "mce_edit"}


def test_the_macros_come_from_the_files_duckdb_runs():
    assert {"in_scope", "is_denial", "claim_findings_rollup"} <= set(macros())
    assert macros()["claim_findings_rollup"].table and not macros()["in_scope"].table
    assert macros()["in_scope"].parameters[:2] == ("service_date", "facility_id")


@pytest.mark.parametrize("name", METRICS)
def test_every_metric_query_translates_with_nothing_of_duckdb_left(name):
    statements, bound = to_spark(sql(f"metrics/{name}"), PARAMS)
    assert len(statements) == 1 and statements[0].creates is None
    assert not DUCKDB_ONLY.search(statements[0].text), statements[0].text
    assert set(statements[0].parameters) <= set(bound)


def test_list_parameters_are_bound_one_element_each():
    (statement,), bound = to_spark(sql("metrics/summary"), {**PARAMS, "payer": []})
    assert {k: bound[k] for k in ("facility_0", "facility_1", "date_from")} == {
        "facility_0": "FAC-EAST", "facility_1": "FAC-WEST", "date_from": date(2025, 1, 1)}
    assert "ARRAY(:facility_0, :facility_1)" in statement.text and "SIZE(ARRAY(:facility_0, :facility_1)) = 0" in statement.text
    assert "ARRAY_CONTAINS(CAST(ARRAY() AS ARRAY<STRING>), payer)" in statement.text  # an empty list: every payer
    assert "FAC-EAST" not in statement.text  # values are bound, never written into the SQL


def test_claim_facts_becomes_views_with_the_rollup_expanded():
    statements, _ = to_spark(sql("claim_facts"))
    assert [s.creates for s in statements] == ["claim_facts", "dx_facts", "finding_facts", "denial_facts", "claim_groups"]
    text = statements[0].text
    assert "claim_findings_rollup_fx AS (" in text and "claim_findings_rollup_principal AS (" in text
    assert text.count(" fx AS (") == 1  # claim_facts.sql's own CTE, apart from the rollup's
    assert "(d.group_code IN ('CO', 'OA', 'PI') AND d.denied_amount > 0)" in text  # is_denial, expanded
    assert "ORDER BY" not in text.rsplit(")", 1)[-1]  # the layout order of DuckDB's table is dropped
