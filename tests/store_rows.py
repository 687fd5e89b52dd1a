"""The rows a query gives on a data folder's store file, opened read-only for that query alone: what tests use
to look at what an ingest wrote, without the reviewed-findings overlay a reader adds."""
from __future__ import annotations

import duckdb

from config.paths import Paths


def store_rows(paths: Paths, query: str, parameters: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return con.execute(query, parameters).fetchall()
    finally:
        con.close()
