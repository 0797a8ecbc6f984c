"""Compile a parsed run filter and order keys (:mod:`mlcycle.store.search`) to one SELECT of run ids.

Every comparison on a metric, param or tag is a correlated ``EXISTS`` over that table's ``(run_id, key)``
primary key, so ``or`` and ``not`` keep their meaning: a run without ``auc`` never matches
``metrics.auc > 0.9`` and always matches ``not metrics.auc > 0.9``. Comparisons on nullable attributes are
made two-valued the same way. Metric, param and tag order keys are LEFT OUTER JOINs sorted NULLS LAST.

The same SQL runs on SQLite and PostgreSQL. Two helpers keep them alike: ``like`` and ``ilike`` compile to
an anchored regular expression (SQLite's own LIKE ignores case), and text is only CAST to a number behind
a regular-expression guard (PostgreSQL would raise on ``CAST('abc' AS NUMERIC)``, SQLite would read 0).
SQLAlchemy's SQLite dialect provides ``REGEXP`` through Python's ``re``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import ColumnElement, Select

from mlcycle.core.errors import InvalidInput
from mlcycle.store.schema import latest_metrics, params, runs, tags
from mlcycle.store.search import (
    ATTRIBUTES,
    And,
    Compare,
    Comparison,
    Expr,
    Field,
    In,
    IsNull,
    Like,
    Not,
    Number,
    Or,
    OrderKey,
    String,
    Value,
    parse_filter,
    parse_order_by,
)

MAX_LIMIT = 50_000
DEFAULT_ORDER = (OrderKey(Field("attribute", "start_time"), descending=True),)  # then runs.id, as always

#: Text that reads as a number: sign, digits with an optional point, an exponent of at most three digits.
#: Written in the common subset of Python ``re`` and PostgreSQL AREs; at most 100 characters long, so the
#: CAST to NUMERIC always succeeds on PostgreSQL.
NUMERIC_TEXT = r"\A[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\Z"
_MAX_NUMERIC_TEXT = 100
_REGEX_SPECIAL = set(r".^$*+?()[]{}|\\")

_KEYED = {"metric": latest_metrics, "param": params, "tag": tags}
_COLUMNS = {name: runs.c["id" if name == "run_id" else name] for name in ATTRIBUTES}
_Joined = dict[Field, sa.FromClause]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def build_run_query(
    project_id: str | None,
    filter: Expr | None,
    order_by: Sequence[OrderKey],
    limit: int,
    offset: int = 0,
) -> Select[str]:
    """``SELECT runs.id`` matching ``filter`` in ``order_by`` order (default: newest first), then by id."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"invalid limit {limit!r}", hint=f"use a limit between 1 and {MAX_LIMIT}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput(f"invalid offset {offset!r}", hint="use an offset of 0 or more")
    query: Select[str] = sa.select(runs.c.id)
    if project_id is not None:
        query = query.where(runs.c.project_id == project_id)
    query, joined = _apply_filter(query, filter)
    clauses: list[ColumnElement[Any]] = []
    for i, key in enumerate(order_by or DEFAULT_ORDER):
        sort_values: list[ColumnElement[Any]]
        if key.field.kind == "attribute":
            column = _COLUMNS[key.field.key]
            sort_values, nullable = [column], bool(column.nullable)
        else:
            table = joined.get(key.field)
            if table is None:
                table = _KEYED[key.field.kind].alias(f"order_{i}")
                query = query.outerjoin(table, _row_of_run(table, key.field))
            # Params and tags sort numbers numerically (first), then the other text.
            value = table.c.value
            sort_values = [value] if key.field.kind == "metric" else [_as_number(value), value]
            nullable = True  # missing, or NaN
        for v in sort_values:
            clause = v.desc() if key.descending else v.asc()
            # NULLS LAST only where NULL can occur: on NOT NULL start_time it would keep PostgreSQL off the index.
            clauses.append(clause.nulls_last() if nullable else clause)
    return query.order_by(*clauses, runs.c.id).limit(limit).offset(offset)


def _apply_filter(query: Select[str], filter: Expr | None) -> tuple[Select[str], _Joined]:
    """Add the filter. A top-level conjunct that needs the run's metric, param or tag row (``metrics.auc >
    0.9``, ``params.x = 'a'``, ``tags.t is not null``) becomes an INNER JOIN on that row instead of an EXISTS:
    the row is unique per (run_id, key), so the result is the same, and the database may then drive the
    query from the ``(key, value)`` index and sort on the joined value."""
    conjuncts = [] if filter is None else list(filter.items) if isinstance(filter, And) else [filter]
    joined: _Joined = {}
    for item in conjuncts:
        if _needs_row(item):
            table = joined.get(item.field)
            if table is None:
                table = _KEYED[item.field.kind].alias(f"filter_{len(joined)}")
                query = query.join(table, _row_of_run(table, item.field))
                joined[item.field] = table
            if not isinstance(item, IsNull):
                query = query.where(_row_match(item, table.c.value))
        else:
            query = query.where(_condition(item))
    return query, joined


def search_run_ids(
    conn: Connection,
    project_id: str | None,
    filter_text: str | None,
    order_by: Sequence[str] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[str]:
    """Parse, compile and run a search; the ids of the matching runs, in order."""
    return list(conn.scalars(_parsed_query(project_id, filter_text, order_by, limit, offset)))


def search_run_rows(
    conn: Connection,
    project_id: str | None,
    filter_text: str | None,
    order_by: Sequence[str] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Row[Any]]:
    """Like :func:`search_run_ids`, but the matching ``runs`` rows themselves, in order (one query fewer)."""
    query = _parsed_query(project_id, filter_text, order_by, limit, offset)
    return list(conn.execute(query.with_only_columns(*runs.c)).all())


def _parsed_query(
    project_id: str | None, filter_text: str | None, order_by: Sequence[str] | None, limit: int, offset: int
) -> Select[Any]:
    return build_run_query(project_id, parse_filter(filter_text), parse_order_by(order_by), limit, offset)


# ---- conditions -----------------------------------------------------------------------------------------
def _condition(expr: Expr) -> ColumnElement[bool]:
    if isinstance(expr, And):
        return sa.and_(*(_condition(item) for item in expr.items))
    if isinstance(expr, Or):
        return sa.or_(*(_condition(item) for item in expr.items))
    if isinstance(expr, Not):
        return sa.not_(_condition(expr.operand))
    if expr.field.kind == "attribute":
        return _attribute_condition(expr)
    table = _KEYED[expr.field.kind]
    if isinstance(expr, IsNull):
        present = sa.exists().where(_row_of_run(table, expr.field)).correlate(runs)
        return present if expr.negated else ~present
    match = _row_match(expr, table.c.value)
    return sa.exists().where(_row_of_run(table, expr.field), match).correlate(runs)


def _needs_row(expr: Expr) -> TypeGuard[Comparison]:
    """Whether ``expr`` can only match a run that has the metric, param or tag row it names."""
    if isinstance(expr, And | Or | Not) or expr.field.kind == "attribute":
        return False
    return expr.negated if isinstance(expr, IsNull) else True


def _row_of_run(table: sa.FromClause, field: Field) -> ColumnElement[bool]:
    return sa.and_(table.c.run_id == runs.c.id, table.c.key == field.key)


def _row_match(expr: Comparison, value: ColumnElement[Any]) -> ColumnElement[bool]:
    """The condition on the value column of the metric, param or tag row ``expr`` names."""
    return _metric_condition(expr, value) if expr.field.kind == "metric" else _text_condition(expr, value)


def _attribute_condition(expr: Comparison) -> ColumnElement[bool]:
    column = _COLUMNS[expr.field.key]
    if isinstance(expr, IsNull):
        return column.is_not(None) if expr.negated else column.is_(None)
    numeric = ATTRIBUTES[expr.field.key] == "number"
    match = _time_condition(expr, column) if numeric else _text_condition(expr, column)
    # Two-valued like the EXISTS forms: `not end_time > 5` matches a run that has not ended.
    return sa.and_(column.is_not(None), match) if column.nullable else match


def _metric_condition(expr: Comparison, value: ColumnElement[Any]) -> ColumnElement[bool]:
    """Latest metric values are doubles; NULL stands for NaN and matches only ``= nan`` / ``in (nan)``."""
    if isinstance(expr, Compare):
        number = _number(expr.value)
        if math.isnan(number):
            return value.is_(None) if expr.op == "=" else value.is_not(None)
        return _sql_compare(expr.op, value, sa.literal(number, sa.Float(precision=53)))
    if isinstance(expr, In):
        numbers = [_number(v) for v in expr.values]
        finite = [n for n in numbers if not math.isnan(n)]
        if expr.negated:
            return sa.and_(value.is_not(None), value.not_in(finite)) if finite else value.is_not(None)
        matches = [value.in_(finite)] if finite else []
        if len(finite) < len(numbers):
            matches.append(value.is_(None))
        return sa.or_(*matches)
    raise InvalidInput(f"metrics.{expr.field.key} is a number and cannot be matched with like")


def _time_condition(expr: Comparison, column: ColumnElement[Any]) -> ColumnElement[bool]:
    """start_time / end_time: integer milliseconds compared with numbers; +-inf are decided here."""
    if isinstance(expr, Compare):
        number = _number(expr.value)
        if math.isinf(number):
            return sa.true() if _OPS[expr.op](0.0, number) else sa.false()
        return _sql_compare(expr.op, column, _ms(number))
    if isinstance(expr, In):
        values = [_ms(n) for n in map(_number, expr.values) if math.isfinite(n)]
        if expr.negated:
            return column.not_in(values) if values else sa.true()
        return column.in_(values) if values else sa.false()
    raise InvalidInput(f"{expr.field.key} is a number and cannot be matched with like")


def _text_condition(expr: Comparison, value: ColumnElement[Any]) -> ColumnElement[bool]:
    """Params, tags and text attributes: text comparisons, or numeric ones for ``< <= > >=`` with a number."""
    if isinstance(expr, Compare):
        if isinstance(expr.value, Number) and expr.op not in ("=", "!="):
            return _numeric_text_compare(value, expr.op, expr.value)
        return _sql_compare(expr.op, value, _text(expr.value))
    if isinstance(expr, In):
        texts = [_text(v) for v in expr.values]
        return value.not_in(texts) if expr.negated else value.in_(texts)
    if isinstance(expr, Like):
        literal = _like_literal(expr.pattern) if expr.case_sensitive else None
        if literal is not None:
            return value == literal
        return value.regexp_match(like_to_regex(expr.pattern, case_sensitive=expr.case_sensitive))
    raise AssertionError(f"unexpected comparison {expr!r}")  # pragma: no cover


def _numeric_text_compare(value: ColumnElement[Any], op: str, number: Number) -> ColumnElement[bool]:
    x = number.value
    if math.isnan(x):
        raise InvalidInput("nan is not ordered", hint="use '= nan' or '!= nan'")
    if math.isinf(x):  # every number is below inf and above -inf
        return _looks_numeric(value) if _OPS[op](0.0, x) else sa.false()
    bound = sa.cast(sa.literal(repr(x)), sa.Numeric)
    return sa.case((_looks_numeric(value), _sql_compare(op, sa.cast(value, sa.Numeric), bound)), else_=sa.false())


def _looks_numeric(value: ColumnElement[Any]) -> ColumnElement[bool]:
    return sa.and_(sa.func.length(value) <= _MAX_NUMERIC_TEXT, value.regexp_match(NUMERIC_TEXT))


def _as_number(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """The value as NUMERIC when it reads as a number, else NULL (for sorting params and tags)."""
    return sa.case((_looks_numeric(value), sa.cast(value, sa.Numeric)), else_=sa.null())


def like_to_regex(pattern: str, *, case_sensitive: bool = True) -> str:
    """A LIKE pattern (``%`` any text, ``_`` one character, ``\\`` escapes) as an anchored regex that means
    the same in Python ``re`` (SQLite) and in PostgreSQL."""
    out = []
    for wildcard, c in _like_tokens(pattern):
        if wildcard:
            out.append(".*" if c == "%" else ".")
        else:
            out.append("\\" + c if c in _REGEX_SPECIAL else c)
    return ("(?s)" if case_sensitive else "(?is)") + r"\A(?:" + "".join(out) + r")\Z"


def _like_tokens(pattern: str) -> Iterator[tuple[bool, str]]:
    """``(is_wildcard, char)`` pairs; a backslash makes the next character literal (a final one is itself)."""
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            yield False, next(chars, "\\")
        else:
            yield c in "%_", c


def _like_literal(pattern: str) -> str | None:
    """The text a pattern without wildcards matches, else None."""
    tokens = list(_like_tokens(pattern))
    return None if any(wildcard for wildcard, _ in tokens) else "".join(c for _, c in tokens)


def _sql_compare(op: str, left: Any, right: Any) -> ColumnElement[bool]:
    result: ColumnElement[bool] = _OPS[op](left, right)
    return result


def _number(value: Value) -> float:
    if not isinstance(value, Number):
        raise InvalidInput(f"expected a number, got the string {value.value!r}")
    return value.value


def _text(value: Value) -> str:
    return value.value if isinstance(value, String) else value.text


def _ms(number: float) -> int | ColumnElement[Any]:
    """An integer literal when possible (keeps the start_time index usable), else a double."""
    return int(number) if number.is_integer() else sa.literal(number, sa.Float(precision=53))


__all__ = [
    "DEFAULT_ORDER",
    "MAX_LIMIT",
    "NUMERIC_TEXT",
    "build_run_query",
    "like_to_regex",
    "search_run_ids",
    "search_run_rows",
]
