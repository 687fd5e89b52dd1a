"""The metrics on Apache Spark, over a Parquet export (queries/parquet_export.py).

`SparkStore` stands where a DuckDB reader connection stands: `execute(duckdb_sql, params)` with `.df()`,
`.fetchone()`, `.fetchall()`. So `queries.metrics` runs unchanged on Spark: the same functions, the same
`.sql` files, translated (queries/spark/translate.py), and the same pandas steps after the query (rates,
intervals, small-cell suppression).

Opening an export defines, as Spark temporary views, every table of its manifest and `audit_findings` as the
store's imported findings with the final reviewed ones (as each DuckDB reader's overlay does,
queries/reviewed.py: the per-claim aggregates add up, so rolling up both sets at once gives the same
claim_facts); then it runs claim_facts.sql (claim_facts cached, dx_facts, finding_facts, denial_facts,
claim_groups as views).

The session runs nothing from outside: no packages are fetched (no `spark.jars.packages`), the web UI is off,
and its warehouse, scratch and JVM temporary files go into a private temporary folder removed at `close()`,
never into the working folder.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, DoubleType

from config.settings import under_spark_submit
from queries.parquet_export import PARTITION, read_manifest
from queries.spark.translate import to_spark
from queries.sql_files import sql

LOCAL_MASTER = "local[2]"
APP_NAME = "codeaudit-metrics"


def start_session(master: str | None = LOCAL_MASTER, scratch: Path | None = None) -> tuple[SparkSession, Path]:
    """A Spark session for the metrics, and the private scratch folder it writes into (removed by the caller,
    `SparkStore.close`). `master` is local[N], spark://host:7077, yarn, or whatever the cluster takes; None
    leaves it to `spark-submit --master` when run under spark-submit, else local[2]."""
    if master is None and not under_spark_submit():
        master = LOCAL_MASTER
    folder = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix="codeaudit-spark-"))
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.local.dir": str(folder / "local"),
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={folder / 'jvm'}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.ansi.enabled": "false",
    }
    for sub in ("warehouse", "local", "jvm"):
        (folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    builder = SparkSession.builder.appName(APP_NAME)
    if master is not None:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, folder


_DECIMAL = re.compile(r"decimal128\((\d+), (\d+)\)")
_SPARK_TYPES = {"string": "STRING", "large_string": "STRING", "bool": "BOOLEAN", "int8": "TINYINT", "int16": "SMALLINT",
                "int32": "INT", "int64": "BIGINT", "float": "FLOAT", "double": "DOUBLE", "date32[day]": "DATE"}


def spark_type(arrow_type: str) -> str:
    """The Spark SQL type of a column the manifest names by its Arrow type ('decimal128(14, 2)' -> DECIMAL(14, 2))."""
    decimal = _DECIMAL.fullmatch(arrow_type)
    if decimal:
        return f"DECIMAL({decimal[1]}, {decimal[2]})"
    try:
        return _SPARK_TYPES[arrow_type]
    except KeyError:
        raise ValueError(f"the export holds a column of type {arrow_type}, which this version cannot read on Spark") from None


class _Result:
    """A query's result, read as a DuckDB result is read."""

    def __init__(self, frame: DataFrame) -> None:
        self._frame = frame

    def df(self) -> pd.DataFrame:
        """Decimals arrive as floats, as DuckDB's `.df()` gives them (sums of money, ratios of sums)."""
        frame = self._frame.select(*[F.col(f.name).cast(DoubleType()) if isinstance(f.dataType, DecimalType) else F.col(f.name)
                                     for f in self._frame.schema.fields])
        return frame.toPandas()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._frame.collect()]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._frame.take(1)
        return tuple(rows[0]) if rows else None


class SparkStore:
    """An export opened on Spark, answering the metric SQL as a DuckDB reader does."""

    def __init__(self, spark: SparkSession, folder: Path, *, scratch: Path | None = None, own_session: bool = False) -> None:
        self.spark = spark
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        self._scratch = scratch
        self._own_session = own_session
        self._cached: list[DataFrame] = []
        self._register()

    def _table(self, name: str) -> DataFrame:
        """The table as its manifest types it (Spark then reads no file footers to learn the schema)."""
        entry = self.manifest["tables"][name]
        columns = [*entry["schema"], *([[PARTITION, "string"]] if entry["partitions"] else [])]
        ddl = ", ".join(f"`{column}` {spark_type(kind)}" for column, kind in columns)
        frame = self.spark.read.schema(ddl).parquet(str(self.folder / name))
        return frame.drop(PARTITION) if PARTITION in frame.columns else frame

    def _register(self) -> None:
        for name in self.manifest["tables"]:
            if name not in ("audit_findings", "reviewed_findings"):
                self._table(name).createOrReplaceTempView(name)
        imported = self._table("audit_findings").withColumn("source", F.lit("imported"))
        reviewed = self._table("reviewed_findings").withColumn("source", F.lit("reviewed"))
        imported.unionByName(reviewed).createOrReplaceTempView("audit_findings")
        self.execute(sql("claim_facts"))

    def execute(self, text: str, params: Mapping[str, Any] | None = None) -> _Result:
        """Run a DuckDB SQL text on Spark: a CREATE TABLE defines a view (claim_facts cached), the last query's
        result is returned."""
        statements, bound = to_spark(text, params)
        result: DataFrame | None = None
        for statement in statements:
            args = {name: bound[name] for name in statement.parameters}
            frame = self.spark.sql(statement.text, args=args) if args else self.spark.sql(statement.text)
            if statement.creates:
                if statement.creates == "claim_facts":
                    frame = frame.persist()
                    self._cached.append(frame)
                frame.createOrReplaceTempView(statement.creates)
            result = frame
        if result is None:
            raise ValueError("no statement to run")
        return _Result(result)

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        if self._own_session:
            self.spark.stop()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def open_export(folder: Path, master: str | None = None) -> SparkStore:
    """The export at `folder` opened on a session on `master`; `close()` stops the session if it started it here.
    A session already running in this process (a test module's, a notebook's) is used as it is."""
    running = SparkSession.getActiveSession()
    if running is not None:
        return SparkStore(running, folder)
    spark, scratch = start_session(master)
    try:
        return SparkStore(spark, folder, scratch=scratch, own_session=True)
    except BaseException:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
