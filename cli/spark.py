"""`manage.py metrics --engine spark --parquet DIR [--spark-master URL]`: the same report, on Apache Spark over a
Parquet export (`manage.py export-parquet`). The report's rows come from the same functions as on DuckDB
(queries.metrics.report_rows over queries/spark/engine.py's SparkStore); the command records the same `export`
event and suppresses small cells the same way (cli/store.py). pyspark is optional (requirements-spark.txt):
the DuckDB path never imports it."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from queries.metrics import Filters, MetricsError, report_rows

INSTALL = "pip install -r requirements-spark.txt (pyspark; Java 17 must be installed)"


def engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                        help="duckdb (the store, default) or spark (a Parquet export, --parquet)")
    parser.add_argument("--parquet", metavar="DIR", help="with --engine spark: a folder written by `manage.py export-parquet`")
    parser.add_argument("--spark-master", metavar="URL",
                        help="with --engine spark: local[N], spark://HOST:7077, yarn, ... (default: spark-submit's --master, "
                             "else local[2])")


def spark_report(args: argparse.Namespace, filters: Filters) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The report's rows computed on Spark, and what the export event adds: the engine and the export read."""
    if not args.parquet:
        raise MetricsError("--engine spark needs --parquet DIR, a folder written by `python manage.py export-parquet`.")
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        from queries.spark.engine import open_export
    except ImportError:
        raise MetricsError(f"--engine spark needs pyspark, which is not installed: {INSTALL}.") from None
    from queries.parquet_export import ExportError
    from queries.spark.translate import TranslationError

    folder = Path(args.parquet)
    try:
        store = open_export(folder, args.spark_master)
    except ExportError as exc:
        raise MetricsError(str(exc)) from None
    except (PySparkException, Py4JError, OSError) as exc:
        raise MetricsError(f"Spark could not start on {args.spark_master or 'local[2]'} ({type(exc).__name__}); check "
                           "Java 17 and the master URL.") from None
    try:
        rows = report_rows(store, filters, args.by, suppress_small_cells=not args.include_small_cells)
        source = {"engine": "spark", "spark_master": store.spark.sparkContext.master, "parquet": str(folder.resolve()),
                  "export": {"exported_at": store.manifest["exported_at"], "store": store.manifest["store"]}}
    except (PySparkException, Py4JError, TranslationError) as exc:
        raise MetricsError(f"Spark could not compute the report ({type(exc).__name__}); is {folder} a complete export?") from None
    finally:
        store.close()
    return rows, source
