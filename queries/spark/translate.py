"""The DuckDB metric SQL as Spark SQL: the same `.sql` files, translated by SQLGlot, never a second copy.

What SQLGlot's DuckDB-to-Spark translation cannot know is done here, on the parsed statement, before Spark
SQL is generated:
- DuckDB macros are expanded: the scalar macros (`in_scope`, `is_denial`) become their bodies with the
  arguments in place of the parameters; the table macro `claim_findings_rollup('findings', 'codes')` becomes a
  subquery of its body with each `query_table(name)` replaced by the table named. The macros are read from
  the files that define them for DuckDB (MACRO_FILES), so a rule changed there changes on Spark too.
- A list parameter (`$facility`, DuckDB binds a list) becomes `ARRAY(:facility_0, :facility_1, ...)`, one
  bound parameter per element, since Spark 3.5 binds scalars only; an empty list is an empty string array.
  `len()` of a list is Spark's `size()`; `list_has_all(a, b)` is `size(array_except(b, a)) = 0`.
- `CREATE OR REPLACE TABLE name AS query` becomes the query alone (`Statement.creates` names the table), which
  the engine registers as a cached view; its ORDER BY, which only lays out DuckDB's file, is dropped.

Values stay bound parameters (Spark's named parameter markers); only their count shapes the text.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from queries.sql_files import sql

# The files whose DuckDB macros the metric SQL calls (in_scope is stored in the store; claim_rules are TEMP).
MACRO_FILES = ("in_scope", "claim_rules")
_TABLE_ARGUMENT = "query_table"


class TranslationError(ValueError):
    """A statement SQLGlot or the macro expansion cannot turn into Spark SQL; names the statement."""


@dataclass(frozen=True)
class Macro:
    parameters: tuple[str, ...]
    body: exp.Expression
    table: bool  # a table macro (AS TABLE): called in FROM


@dataclass(frozen=True)
class Statement:
    """One Spark SQL statement; `creates` is the view it defines (a DuckDB CREATE TABLE), else None;
    `parameters` the names of the Spark parameters it binds."""

    text: str
    creates: str | None
    parameters: tuple[str, ...]


@cache
def macros() -> dict[str, Macro]:
    """Every macro defined in MACRO_FILES, by name."""
    found: dict[str, Macro] = {}
    for name in MACRO_FILES:
        for statement in sqlglot.parse(sql(name), read="duckdb"):
            if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "MACRO":
                signature = statement.this
                found[signature.this.name.lower()] = Macro(
                    tuple(p.name for p in signature.expressions), statement.expression, isinstance(statement.expression, exp.Query))
    return found


def _substitute(body: exp.Expression, parameters: Sequence[str], arguments: Sequence[exp.Expression]) -> exp.Expression:
    values = dict(zip(parameters, arguments, strict=True))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return values[node.name].copy()
        return node

    return body.copy().transform(replace)


def _table_named(argument: exp.Expression) -> str:
    if not (isinstance(argument, exp.Literal) and argument.is_string):
        raise TranslationError(f"a table macro takes table names as strings, not {argument.sql('duckdb')}")
    return argument.this


def _expand_table_macro(table: exp.Table, macro: Macro, call: exp.Anonymous) -> exp.Expression:
    names = dict(zip(macro.parameters, (_table_named(a) for a in call.expressions), strict=True))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) and node.this.name.lower() == _TABLE_ARGUMENT:
            named = names[node.this.expressions[0].name]
            return exp.Table(this=exp.to_identifier(named), alias=node.args.get("alias"))
        return node

    alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(call.name))
    body = _own_names(_expand(macro.body.copy()), call.name.lower())
    return exp.Subquery(this=body.transform(replace), alias=alias)


def _own_names(body: exp.Expression, prefix: str) -> exp.Expression:
    """The body's CTEs renamed `<prefix>_<name>`: SQLGlot lifts a subquery's CTEs into the statement's WITH,
    where they would clash with the caller's (claim_facts.sql and the rollup both name one `fx`)."""
    names = {cte.alias_or_name for cte in body.find_all(exp.CTE)}

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CTE) and node.alias_or_name in names:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"{prefix}_{node.alias_or_name}")))
        elif isinstance(node, exp.Table) and not node.args.get("db") and node.name in names:
            node.set("alias", node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name)))
            node.set("this", exp.to_identifier(f"{prefix}_{node.name}"))
        return node

    return body.transform(rename)


def _expand(tree: exp.Expression) -> exp.Expression:
    """Every macro call in `tree` replaced by its body (bodies may call other macros)."""
    defined = macros()

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            macro = defined.get(node.this.name.lower())
            if macro is not None and macro.table:
                return _expand_table_macro(node, macro, node.this)
        if isinstance(node, exp.Anonymous):
            macro = defined.get(node.name.lower())
            if macro is not None and not macro.table:
                return exp.Paren(this=_expand(_substitute(macro.body, macro.parameters, node.expressions)))
        return node

    return tree.transform(replace)


def _spark_equivalents(tree: exp.Expression, lists: Mapping[str, int]) -> exp.Expression:
    """List parameters as arrays of scalar parameters, and the DuckDB list functions SQLGlot leaves as they are."""

    def arrays(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in lists:
            size = lists[node.name]
            if size == 0:
                return exp.cast(exp.Array(expressions=[]), exp.DataType.build("ARRAY<STRING>", dialect="spark"))
            return exp.Array(expressions=[exp.Placeholder(this=f"{node.name}_{i}") for i in range(size)])
        return node

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Length) and isinstance(node.this, (exp.Array, exp.Cast)):
            return exp.ArraySize(this=node.this)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "list_has_all":
            having, wanted = node.expressions
            missing = exp.Anonymous(this="array_except", expressions=[wanted, having])
            return exp.EQ(this=exp.ArraySize(this=missing), expression=exp.Literal.number(0))
        return node

    return tree.transform(arrays).transform(replace)


def _statement(tree: exp.Expression, lists: Mapping[str, int]) -> Statement:
    creates = None
    if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
        creates = tree.this.name
        tree = tree.expression
        if isinstance(tree, exp.Select):
            tree.set("order", None)
    tree = _spark_equivalents(_expand(tree), lists)
    parameters = tuple(sorted({p.name for p in tree.find_all(exp.Placeholder)}))
    return Statement(tree.sql(dialect="spark", comments=False), creates, parameters)


@cache
def _translated(text: str, lists: tuple[tuple[str, int], ...]) -> tuple[Statement, ...]:
    try:
        trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
        return tuple(_statement(tree, dict(lists)) for tree in trees)
    except (sqlglot.errors.SqlglotError, ValueError, KeyError) as exc:
        head = text.strip().splitlines()[0][:80] if text.strip() else "(empty)"
        raise TranslationError(f"could not translate the statement starting {head!r} to Spark SQL: {exc}") from exc


def to_spark(text: str, params: Mapping[str, Any] | None = None) -> tuple[tuple[Statement, ...], dict[str, Any]]:
    """The statements of a DuckDB SQL text as Spark SQL, and the Spark parameters binding `params` (a list
    parameter becomes one parameter per element)."""
    params = dict(params or {})
    lists = tuple(sorted((k, len(v)) for k, v in params.items() if isinstance(v, (list, tuple))))
    bound: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            bound.update({f"{name}_{i}": item for i, item in enumerate(value)})
        else:
            bound[name] = value
    return _translated(text, lists), bound
