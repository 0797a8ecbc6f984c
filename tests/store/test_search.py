"""The run search language: parser, errors, SQL semantics on SQLite and PostgreSQL, and Hypothesis checks
against an independent Python reference of the semantics in docs/search.md."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect

from mlcycle.core.errors import InvalidInput
from mlcycle.store import schema
from mlcycle.store.engine import Store
from mlcycle.store.run_query import build_run_query, search_run_ids
from mlcycle.store.search import (
    ATTRIBUTES,
    And,
    Compare,
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

DOC = Path(__file__).resolve().parents[2] / "docs" / "search.md"
NAN, INF = math.nan, math.inf


# ---- the data set -----------------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    status: str
    start_time: int
    end_time: int | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    parent: str | None = None
    user: str = "alice"
    stage: str = "model_training"
    project: str = "p1"

    @property
    def id(self) -> str:
        return run_id(self.name)


def run_id(name: str) -> str:
    return name.encode().hex().rjust(32, "0")


RUNS = [
    Run("a", "FINISHED", 1000, 2000, {"penalty": "l2", "C": "1", "solver": "lbfgs"},
        {"auc": 0.95, "loss": 0.1}, {"team": "vision"}, git_commit="abc123"),
    Run("b", "FINISHED", 2000, 3000, {"penalty": "l1", "C": "10"}, {"auc": 0.85, "loss": NAN}, {"team": "Vision"}),
    Run("c", "FAILED", 3000, None, {"penalty": "L2", "C": "abc"}, {"auc": NAN}, user="bob"),
    Run("d", "RUNNING", 4000, None, {"C": "9"}, {"auc": INF, "loss": -INF}, {"note": "it's 50%"}),
    Run("e", "FINISHED", 5000, 6000, {"penalty": "l2", "C": "1e2"}, {"auc": -INF}, {"team": "nlp"}),
    Run("f", "FINISHED", 6000, 7000, {"C": "-0.5"}, {}, {"data set": "iris"}, parent="a", stage="model_evaluation"),
    Run("x", "FINISHED", 9000, 9500, {"penalty": "l2"}, {"auc": 0.99}, project="p2"),
]  # fmt: skip
P1 = [r.name for r in RUNS if r.project == "p1"]


def load(store: Store) -> None:
    with store.write() as conn:
        conn.execute(
            schema.projects.insert(),
            [
                {"id": p, "name": p, "kind": "ml", "description": "", "created_at": 0, "created_by": "t"}
                for p in ("p1", "p2")
            ],
        )
        for r in RUNS:
            conn.execute(
                schema.runs.insert(),
                {"id": r.id, "project_id": r.project, "name": r.name, "stage": r.stage, "status": r.status,
                 "start_time": r.start_time, "end_time": r.end_time, "git_commit": r.git_commit, "user": r.user,
                 "parent_run_id": run_id(r.parent) if r.parent else None},
            )  # fmt: skip
        for table, attr in ((schema.params, "params"), (schema.tags, "tags")):
            rows = [{"run_id": r.id, "key": k, "value": v} for r in RUNS for k, v in getattr(r, attr).items()]
            conn.execute(table.insert(), rows)
        conn.execute(
            schema.latest_metrics.insert(),
            [{"run_id": r.id, "key": k, "value": None if math.isnan(v) else v, "step": 0, "timestamp": 0}
             for r in RUNS for k, v in r.metrics.items()],
        )  # fmt: skip


def open_store(url: str) -> Store:
    store = Store(url)
    schema.metadata.create_all(store.engine)  # a no-op once the migrations create every table
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_store(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    load(s)
    yield s
    s.close()


NAMES = {r.id: r.name for r in RUNS}


def search(
    store: Store, text: str | None, order_by: Sequence[str] = (), *, project: str | None = "p1", limit: int = 100,
    offset: int = 0,
) -> list[str]:  # fmt: skip
    with store.read() as conn:
        return [NAMES[i] for i in search_run_ids(conn, project, text, order_by, limit, offset)]


def matching(store: Store, text: str) -> set[str]:
    return set(search(store, text))


# ---- parsing ------------------------------------------------------------------------------------------------
def test_parse_builds_the_ast() -> None:
    assert parse_filter("metrics.auc > 0.9 and params.penalty = 'l2'") == And(
        (Compare(Field("metric", "auc"), ">", Number("0.9")), Compare(Field("param", "penalty"), "=", String("l2")))
    )
    assert parse_filter("tags.`data set` in ('a', 'it''s')") == In(
        Field("tag", "data set"), (String("a"), String("it's"))
    )
    assert parse_filter('tags."x""y" not in (1)') == In(Field("tag", 'x"y'), (Number("1"),), negated=True)
    assert parse_filter("metrics.a.b-c/d:e = -1.5e-3") == Compare(Field("metric", "a.b-c/d:e"), "=", Number("-1.5e-3"))
    assert parse_filter("attributes.status ilike 'fin%'") == Like(Field("attribute", "status"), "fin%", False)
    assert parse_filter("end_time is not null") == IsNull(Field("attribute", "end_time"), negated=True)
    assert parse_filter("params.x = null") == IsNull(Field("param", "x"))
    assert parse_filter("params.x != null") == IsNull(Field("param", "x"), negated=True)
    assert parse_filter("metrics.x in (nan, INF, -Inf)") == In(
        Field("metric", "x"), (Number("nan"), Number("inf"), Number("-inf"))
    )


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_empty_filter_is_none(text: str | None) -> None:
    assert parse_filter(text) is None


def test_keywords_and_prefixes_are_case_insensitive() -> None:
    lower = parse_filter("not metrics.auc > 1 and params.p like 'a' or tags.t is not null")
    upper = parse_filter("NOT Metrics.auc > 1 AND PARAMS.p LIKE 'a' Or TAGS.t IS NOT NULL")
    assert lower == upper
    assert parse_filter("STATUS = 'x'") == parse_filter("attributes.status = 'x'")
    assert parse_filter("metric.auc > 1") == parse_filter("metrics.auc > 1")  # singular prefixes too
    assert parse_filter("metrics.AUC > 1") != parse_filter("metrics.auc > 1")  # keys are case-sensitive


def test_precedence_is_not_then_and_then_or() -> None:
    a, b, c = (Compare(Field("attribute", "name"), "=", String(s)) for s in "abc")
    assert parse_filter("name = 'a' or name = 'b' and name = 'c'") == Or((a, And((b, c))))
    assert parse_filter("not name = 'a' and name = 'b'") == And((Not(a), b))
    assert parse_filter("not (name = 'a' and name = 'b')") == Not(And((a, b)))
    assert parse_filter("(name = 'a' or name = 'b') and name = 'c'") == And((Or((a, b)), c))
    assert parse_filter("name = 'a' or name = 'b' or name = 'c'") == Or((a, b, c))
    assert parse_filter("((name = 'a'))") == a


def test_keywords_need_a_word_boundary() -> None:
    assert parse_filter("metrics.x>-1and name='a'") == And(
        (Compare(Field("metric", "x"), ">", Number("-1")), Compare(Field("attribute", "name"), "=", String("a")))
    )
    with pytest.raises(InvalidInput, match="unknown attribute 'nothing'"):
        parse_filter("nothing = 1")
    with pytest.raises(InvalidInput, match="unexpected 'isnull'"):
        parse_filter("name isnull")


def test_syntax_error_points_at_the_token() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_filter("metrics.auc > and")
    err = info.value
    assert err.message == "invalid filter: unexpected 'and' at position 14\n  metrics.auc > and\n                ^"
    assert err.details["position"] == 14
    assert err.details["token"] == "and"
    assert set(err.details["expected"]) == {"number", "string", "'nan'", "'inf'", "'-inf'", "'null'"}
    assert err.http_status == 422


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("metrics.auc > 0.9 and", "unexpected end of input", 21),
        ("metrics.auc > 0.9 and   ", "unexpected end of input", 21),
        ("metrics.auc > 0.9 && x", "unexpected '&'", 18),
        ("name = 'abc", "unterminated string", 7),
        ("name == 'a'", "unexpected '='", 6),
        ("(name = 'a'", "unexpected end of input", 11),
        ("name in ()", "unexpected ')'", 9),
        ("metrics. > 1", "unexpected '.'", 7),
        ("name = 'a' name = 'b'", "unexpected 'name'", 11),
        ("name = 'a'\n  and and", "unexpected 'and'", 17),
    ],
)
def test_syntax_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_filter(text)
    first, shown, caret = info.value.message.split("\n")
    assert first == f"invalid filter: {message} at position {position}"
    line_start = text.rfind("\n", 0, position) + 1
    assert shown == "  " + text[line_start:].split("\n")[0]
    assert caret == "  " + " " * (position - line_start) + "^"
    assert info.value.details["position"] == position


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("stauts = 'x'", "unknown attribute 'stauts'", "did you mean 'status'?"),
        ("attributes.strat_time > 1", "unknown attribute 'strat_time'", "did you mean 'start_time'?"),
        ("metrcs.auc > 1", "unknown prefix 'metrcs'", "did you mean 'metrics'?"),
        ("auc > 1", "unknown attribute 'auc'", "write metrics.auc, params.auc or tags.auc"),
        ("metrics.auc = 'x'", "metrics.auc is a number and cannot be compared with a string", "remove the quotes"),
        ("start_time > '5'", "start_time is a number and cannot be compared with a string", "remove the quotes"),
        ("metrics.auc like 'x'", "'like' needs text, but metrics.auc is a number", None),
        ("metrics.auc > nan", "nan is not ordered, so '> nan' never matches", "use '= nan' or '!= nan'"),
        ("params.c <= nan", "nan is not ordered, so '<= nan' never matches", "use '= nan' or '!= nan'"),
        ("end_time = nan", "end_time is never nan", None),
        ("params.x > null", "null cannot be compared with '>'", "use 'is null' or 'is not null'"),
        ("params.x in ('a', null)", "null cannot be part of an 'in' list", None),
        ("metrics.x > 1e999", "number 1e999 is out of range", "write inf or -inf for infinity"),
    ],
)
def test_semantic_errors(text: str, message: str, hint: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_filter(text)
    assert info.value.message.startswith(f"invalid filter: {message} at position ")
    if hint:
        assert hint in (info.value.hint or "")


def test_size_limits() -> None:
    with pytest.raises(InvalidInput, match="nested more than"):
        parse_filter("not " * 100 + "name = 'a'")
    with pytest.raises(InvalidInput, match="more than 256 comparisons"):
        parse_filter(" or ".join(["name = 'a'"] * 300))
    with pytest.raises(InvalidInput, match="longer than"):
        parse_filter("name = '" + "a" * 200_000 + "'")
    parse_filter("(" * 500 + "name = 'a'" + ")" * 500)  # parentheses alone add no depth


def test_parse_order_by() -> None:
    assert parse_order_by(["metrics.auc desc", "params.C", "start_time ASC", "name", "tags.`a b` Desc"]) == [
        OrderKey(Field("metric", "auc"), descending=True),
        OrderKey(Field("param", "C")),
        OrderKey(Field("attribute", "start_time")),
        OrderKey(Field("attribute", "name")),
        OrderKey(Field("tag", "a b"), descending=True),
    ]
    assert parse_order_by([]) == parse_order_by(None) == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("metrics.auc up", "invalid order_by: unexpected 'up' at position 12"),
        ("metrics.auc desc asc", "invalid order_by: unexpected 'asc' at position 17"),
        ("stauts", "invalid order_by: unknown attribute 'stauts' at position 0"),
        ("", "invalid order_by: '' is not a field"),
        ("metrics.auc > 1", "invalid order_by: unexpected '>' at position 12"),
    ],
)
def test_bad_order_by(item: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_order_by([item])
    assert info.value.message.split("\n")[0] == message


@pytest.mark.parametrize("limit", [0, -1, 50_001, 10**9])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(InvalidInput, match="invalid limit"):
        build_run_query(None, None, [], limit)


def test_limit_and_offset_accepted_range() -> None:
    build_run_query(None, None, [], 1)
    build_run_query(None, None, [], 50_000, offset=10)
    with pytest.raises(InvalidInput, match="invalid offset"):
        build_run_query(None, None, [], 10, offset=-1)


def test_doc_examples_parse() -> None:
    """Every line of a ```filter block in docs/search.md parses; every ```order_by line too."""
    text = DOC.read_text()
    filters = _fenced(text, "filter")
    orders = _fenced(text, "order_by")
    assert len(filters) >= 10 and orders
    for line in filters:
        assert parse_filter(line) is not None, line
    for line in orders:
        assert parse_order_by([line])


def test_doc_error_examples_are_exact() -> None:
    """The error messages shown in docs/search.md are what str(error) prints."""
    blocks = re.findall(r"^```\n(invalid filter: .*?)^```", DOC.read_text(), flags=re.S | re.M)
    assert len(blocks) == 2
    for block in blocks:
        with pytest.raises(InvalidInput) as info:
            parse_filter(block.split("\n")[1][2:])
        assert str(info.value) == block.rstrip("\n")


def test_top_level_conjuncts_become_joins() -> None:
    """The fast shape: `and`-ed metric/param/tag comparisons join their row; `or` / `not` keep EXISTS."""
    expr = parse_filter("metrics.auc > 0.9 and params.penalty = 'l2'")
    joined = build_run_query("p", expr, parse_order_by(["metrics.auc desc"]), 10)
    sql = str(joined.compile(dialect=SQLiteDialect()))
    assert "JOIN latest_metrics AS filter_0" in sql and "JOIN params AS filter_1" in sql
    assert "EXISTS" not in sql and "order_0" not in sql  # the order key reuses the joined metric
    either = build_run_query("p", parse_filter("metrics.auc > 0.9 or not params.penalty = 'l2'"), [], 10)
    sql = str(either.compile(dialect=SQLiteDialect()))
    assert "JOIN" not in sql and sql.count("EXISTS") == 2


def _fenced(text: str, info: str) -> list[str]:
    blocks = re.findall(rf"^```{info}\n(.*?)^```", text, flags=re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


# ---- semantics on the database --------------------------------------------------------------------------------
SEMANTICS = [
    # metrics: the latest value; NULL is NaN; a missing metric never matches a comparison
    ("metrics.auc > 0.9", "ad"),
    ("metrics.auc >= 0.85", "abd"),
    ("metrics.auc < 0.9", "be"),
    ("metrics.auc <= 0.95", "abe"),
    ("metrics.auc = 0.95", "a"),
    ("metrics.auc != 0.95", "bde"),
    ("metrics.auc = nan", "c"),
    ("metrics.auc != nan", "abde"),
    ("metrics.auc = inf", "d"),
    ("metrics.auc = -inf", "e"),
    ("metrics.auc > -inf", "abd"),
    ("metrics.auc < inf", "abe"),
    ("metrics.auc >= inf", "d"),
    ("metrics.loss < 0", "d"),
    ("metrics.auc in (0.95, 0.85)", "ab"),
    ("metrics.auc in (nan, inf)", "cd"),
    ("metrics.auc in (nan)", "c"),
    ("metrics.auc not in (0.95)", "bde"),
    ("metrics.auc not in (nan)", "abde"),
    ("metrics.auc is null", "f"),
    ("metrics.auc is not null", "abcde"),
    ("metrics.auc = null", "f"),
    ("metrics.nope > 0 or metrics.nope is null", "abcdef"),
    ("not metrics.auc > 0.9", "bcef"),
    # params and tags: text, except < <= > >= with a number
    ("params.penalty = 'l2'", "ae"),
    ("params.penalty != 'l2'", "bc"),
    ("params.penalty in ('l1', 'L2')", "bc"),
    ("params.penalty not in ('l1')", "ace"),
    ("params.penalty like 'l%'", "abe"),
    ("params.penalty ilike 'l%'", "abce"),
    ("params.penalty like '_2'", "ace"),
    ("params.penalty like 'l2'", "ae"),
    ("params.penalty ilike 'l2'", "ace"),
    ("params.penalty is null", "df"),
    ("params.C > 5", "bde"),
    ("params.C >= 9", "bde"),
    ("params.C <= 1", "af"),
    ("params.C < -0.1", "f"),
    ("params.C > 5.5e1", "e"),
    ("params.C > '5'", "cd"),
    ("params.C < inf", "abdef"),
    ("params.C > -inf", "abdef"),
    ("params.C > inf", ""),
    ("params.C = 1", "a"),
    ("params.C = 100", ""),
    ("params.C in (1, 10)", "ab"),
    ("params.solver = 'lbfgs'", "a"),
    ("tags.team = 'vision'", "a"),
    ("tags.team ilike 'VISION'", "ab"),
    ("tags.team like 'V%'", "b"),
    ("tags.`data set` = 'iris'", "f"),
    ("tags.\"data set\" like 'ir_s'", "f"),
    ("tags.note like '%50\\%'", "d"),
    ("tags.note like 'it''s%'", "d"),
    ("tags.note like '%5\\_'", ""),
    ("tags.team is not null", "abe"),
    # attributes
    ("status = 'FINISHED'", "abef"),
    ("attributes.status != 'FINISHED'", "cd"),
    ("status in ('FAILED', 'RUNNING')", "cd"),
    ("status not in ('FAILED', 'RUNNING')", "abef"),
    ("status like 'F%'", "abcef"),
    ("status ilike 'f%ed'", "abcef"),
    ("name = 'a'", "a"),
    ("name > 'c'", "def"),
    ("user = 'bob'", "c"),
    ("stage = 'model_evaluation'", "f"),
    ("start_time >= 3000", "cdef"),
    ("start_time = 4000", "d"),
    ("start_time in (1000, 6000)", "af"),
    ("start_time not in (1000, 6000)", "bcde"),
    ("start_time < 3000.5", "abc"),
    ("start_time < inf", "abcdef"),
    ("start_time > inf", ""),
    ("end_time is null", "cd"),
    ("end_time > 2500", "bef"),
    ("not end_time > 2500", "acd"),
    ("end_time != 2000", "bef"),
    ("end_time < inf", "abef"),
    ("git_commit is not null", "a"),
    ("git_commit = 'abc123'", "a"),
    ("not git_commit = 'abc123'", "bcdef"),
    (f"parent_run_id = '{run_id('a')}'", "f"),
    (f"run_id = '{run_id('b')}'", "b"),
    (f"id in ('{run_id('b')}', '{run_id('c')}')", "bc"),
    # boolean structure
    ("params.penalty = 'l2' or metrics.auc = nan and status = 'FAILED'", "ace"),
    ("(params.penalty = 'l2' or metrics.auc = nan) and status = 'FAILED'", "c"),
    ("not params.penalty = 'l2' and status = 'FINISHED'", "bf"),
    ("not (params.penalty = 'l2' and status = 'FINISHED')", "bcdf"),
    ("NOT metrics.auc > 0.9 OR metrics.auc = inf", "bcdef"),
    ("not not metrics.auc > 0.9", "ad"),
    ("metrics.auc > 0.5 and metrics.auc < 1", "ab"),
    ("metrics.auc > 0.5 and metrics.loss is not null and params.C > 0", "abd"),
    ("metrics.auc > 0.5 and not metrics.loss = nan", "ad"),
]


def test_semantics(store: Store) -> None:
    """One test per database for the whole table (each PostgreSQL test costs a fresh database)."""
    got = {text: "".join(sorted(matching(store, text))) for text, _ in SEMANTICS}
    assert {t: g for t, g in got.items() if g != dict(SEMANTICS)[t]} == {}


def test_project_scope(store: Store) -> None:
    assert "x" not in search(store, "params.penalty = 'l2'")
    assert set(search(store, "params.penalty = 'l2'", project=None)) == {"a", "e", "x"}
    assert search(store, None, project="p2") == ["x"]
    assert search(store, None, project="nope") == []


ORDERS = [
    ([], "fedcba"),  # start_time desc
    (["metrics.auc desc"], "dabecf"),  # inf first; NaN (c) and missing (f) last, then by id
    (["metrics.auc asc"], "ebadcf"),
    (["metrics.loss"], "dabcef"),
    (["params.C"], "fadbec"),  # numbers numerically, then other text, missing last
    (["params.C desc"], "ebdafc"),
    (["params.solver desc"], "abcdef"),
    (["params.penalty"], "cbaedf"),  # code-point order of text; missing last
    (["params.penalty desc"], "aebcdf"),
    (["end_time desc"], "febacd"),
    (["end_time"], "abefcd"),
    (["name desc"], "fedcba"),
    (["status", "metrics.auc desc"], "cabefd"),
    (["attributes.start_time asc"], "abcdef"),
    (["tags.team"], "beacdf"),
]


def test_order_by(store: Store) -> None:
    got = {",".join(order_by): "".join(search(store, None, order_by)) for order_by, _ in ORDERS}
    assert got == {",".join(order_by): expected for order_by, expected in ORDERS}


def test_order_by_with_a_filter_on_the_same_metric(store: Store) -> None:
    assert search(store, "metrics.auc > -inf", ["metrics.auc desc"]) == ["d", "a", "b"]
    assert search(store, "metrics.auc != nan or name = 'c'", ["metrics.auc"]) == ["e", "b", "a", "d", "c"]


def test_limit_and_offset_page_through(store: Store) -> None:
    pages = [search(store, None, ["name"], limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert pages == [["a", "b"], ["c", "d"], ["e", "f"], []]


def test_search_errors_are_invalid_input(store: Store) -> None:
    with pytest.raises(InvalidInput, match="did you mean 'status'"):
        search(store, "stauts = 'x'")
    with pytest.raises(InvalidInput, match="invalid order_by"):
        search(store, None, ["metrics.auc sideways"])
    with pytest.raises(InvalidInput, match="invalid limit"):
        search(store, None, limit=0)


def test_compiled_sql_is_cached_safely(store: Store) -> None:
    """The same query shape with other literals must not reuse stale values from the statement cache."""
    assert matching(store, "params.penalty like 'l%'") == set("abe")
    assert matching(store, "params.penalty like 'L%'") == {"c"}
    assert matching(store, "params.C > 5") == set("bde")
    assert matching(store, "params.C > 50") == {"e"}


# ---- Hypothesis: the parser ----------------------------------------------------------------------------------
PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-./:]+")
OPS = ["=", "!=", "<", "<=", ">", ">="]

numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0.5", ".5", "5.", "-1e3", "2E-2", "inf", "-inf"]),
).map(Number)


def keys() -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=8)


def comparisons(
    metric_keys: st.SearchStrategy[str], text_keys: st.SearchStrategy[str], strings: st.SearchStrategy[str],
    nums: st.SearchStrategy[Number], patterns: st.SearchStrategy[str],
) -> st.SearchStrategy[Expr]:  # fmt: skip
    """Well-typed comparisons: metrics and time attributes take numbers, nan only with = and !=."""
    text_fields = st.one_of(
        st.builds(Field, st.sampled_from(["param", "tag"]), text_keys),
        st.sampled_from([Field("attribute", a) for a, kind in ATTRIBUTES.items() if kind == "text"]),
    )
    number_fields = st.one_of(
        st.builds(Field, st.just("metric"), metric_keys),
        st.sampled_from([Field("attribute", a) for a, kind in ATTRIBUTES.items() if kind == "number"]),
    )
    any_fields = st.one_of(text_fields, number_fields)
    values = st.one_of(nums, strings.map(String))
    text_compare = st.builds(Compare, text_fields, st.sampled_from(OPS), values)
    number_compare = st.builds(Compare, number_fields, st.sampled_from(OPS), nums)
    nan_compare = st.builds(Compare, st.one_of(text_fields, number_fields.filter(lambda f: f.kind == "metric")),
                            st.sampled_from(["=", "!="]), st.just(Number("nan")))  # fmt: skip
    return st.one_of(
        text_compare,
        number_compare,
        nan_compare,
        st.builds(In, text_fields, st.lists(values, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(In, number_fields, st.lists(nums, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(Like, text_fields, patterns, st.booleans()),
        st.builds(IsNull, any_fields, st.booleans()),
    )


def filters(leaves: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.recursive(
        leaves,
        lambda sub: st.one_of(
            st.builds(Not, sub),
            st.lists(sub, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
            st.lists(sub, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
        ),
        max_leaves=8,
    )


def render(expr: Expr, upper: bool = False) -> str:
    """The filter text of an AST; every compound operand is parenthesised, so parsing gives the AST back."""

    def kw(word: str) -> str:
        return word.upper() if upper else word

    def operand(e: Expr) -> str:
        return f"({render(e, upper)})" if isinstance(e, And | Or | Not) else render(e, upper)

    def value(v: Value) -> str:
        return "'" + v.value.replace("'", "''") + "'" if isinstance(v, String) else v.text

    if isinstance(expr, And | Or):
        return f" {kw('and' if isinstance(expr, And) else 'or')} ".join(operand(i) for i in expr.items)
    if isinstance(expr, Not):
        return f"{kw('not')} {operand(expr.operand)}"
    f = expr.field
    if f.kind == "attribute":
        name = f.key
    else:
        key = f.key if PLAIN_KEY.fullmatch(f.key) else "`" + f.key.replace("`", "``") + "`"
        name = {"metric": "metrics", "param": "params", "tag": "tags"}[f.kind] + "." + key
    if isinstance(expr, Compare):
        return f"{name} {expr.op} {value(expr.value)}"
    if isinstance(expr, In):
        return f"{name} {kw('not in' if expr.negated else 'in')} ({', '.join(value(v) for v in expr.values)})"
    if isinstance(expr, Like):
        return f"{name} {kw('like' if expr.case_sensitive else 'ilike')} {value(String(expr.pattern))}"
    return f"{name} {kw('is not null' if expr.negated else 'is null')}"


any_filter = filters(comparisons(keys(), keys(), st.text(max_size=6), numbers, st.text(max_size=6)))


@given(any_filter, st.booleans())
def test_rendered_filters_parse_back(expr: Expr, upper: bool) -> None:
    assert parse_filter(render(expr, upper)) == expr
    str(build_run_query("p", expr, [], 10).compile(dialect=SQLiteDialect()))


TOKENS = ["metrics.auc", "params.C", "tags.`a b`", "status", "stauts", "start_time", "and", "or", "not", "in",
          "like", "ilike", "is", "null", "nan", "inf", "-inf", "(", ")", ",", "=", "!=", "<", ">=", "'x'", "'",
          "1", "-2.5e3", "`", '"', ".", "\n", "asc", "desc", "1e999", "\\", "metrics.", "%"]  # fmt: skip


@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join)))
def test_garbage_parses_or_raises_invalid_input(text: str) -> None:
    try:
        expr = parse_filter(text)
    except InvalidInput as exc:
        assert exc.message.startswith("invalid filter: ")
        return
    build_run_query(None, expr, [], 10).compile(dialect=PGDialect())


@given(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(["metrics.auc desc", "name", "params.C ASC"]))))
def test_garbage_order_by_parses_or_raises_invalid_input(items: list[str]) -> None:
    try:
        keys = parse_order_by(items)
    except InvalidInput as exc:
        assert exc.message.startswith("invalid order_by: ")
        return
    build_run_query(None, None, keys, 10).compile(dialect=SQLiteDialect())


# ---- Hypothesis: the database against a Python reference -----------------------------------------------------
NUMERIC_TEXT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?")
PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def reference(expr: Expr, run: Run) -> bool:
    """docs/search.md, written directly in Python."""
    if isinstance(expr, And):
        return all(reference(e, run) for e in expr.items)
    if isinstance(expr, Or):
        return any(reference(e, run) for e in expr.items)
    if isinstance(expr, Not):
        return not reference(expr.operand, run)
    f = expr.field
    if f.kind == "attribute":
        got: Any = _attribute(run, f.key)
    else:
        by_kind: dict[str, dict[str, Any]] = {"metric": run.metrics, "param": run.params, "tag": run.tags}
        got = by_kind[f.kind].get(f.key)
    if isinstance(expr, IsNull):
        return (got is not None) == expr.negated
    if got is None:
        return False
    if f.kind == "metric":
        return _metric_matches(expr, got)
    if isinstance(got, int):
        return _time_matches(expr, got)
    return _text_matches(expr, got)


def _attribute(run: Run, name: str) -> Any:
    return {"id": run.id, "run_id": run.id, "parent_run_id": run_id(run.parent) if run.parent else None}.get(
        name, getattr(run, name, None)
    )


def _metric_matches(expr: Expr, got: float) -> bool:
    if isinstance(expr, Compare):
        x = float(expr.value.text)  # type: ignore[union-attr]
        if math.isnan(x):
            return math.isnan(got) == (expr.op == "=")
        return not math.isnan(got) and PY_OPS[expr.op](got, x)
    assert isinstance(expr, In)
    xs = [float(v.text) for v in expr.values]  # type: ignore[union-attr]
    if math.isnan(got):
        return not expr.negated and any(math.isnan(x) for x in xs)
    return (got in xs) != expr.negated


def _time_matches(expr: Expr, got: int) -> bool:
    if isinstance(expr, Compare):
        return PY_OPS[expr.op](got, float(expr.value.text))  # type: ignore[union-attr]
    assert isinstance(expr, In)
    return (got in [float(v.text) for v in expr.values]) != expr.negated  # type: ignore[union-attr]


def _text_matches(expr: Expr, got: str) -> bool:
    def text(v: Value) -> str:
        return v.value if isinstance(v, String) else v.text

    if isinstance(expr, Compare):
        if isinstance(expr.value, Number) and expr.op not in ("=", "!="):
            x = float(expr.value.text)
            if not (NUMERIC_TEXT.fullmatch(got) and len(got) <= 100):
                return False
            return PY_OPS[expr.op](0, x) if math.isinf(x) else PY_OPS[expr.op](Decimal(got), Decimal(repr(x)))
        return PY_OPS[expr.op](got, text(expr.value))
    if isinstance(expr, In):
        return (got in [text(v) for v in expr.values]) != expr.negated
    assert isinstance(expr, Like)
    regex, chars = "", iter(expr.pattern)
    for c in chars:
        if c == "\\":
            regex += re.escape(next(chars, "\\"))
        else:
            regex += ".*" if c == "%" else "." if c == "_" else re.escape(c)
    return re.fullmatch(regex, got, flags=re.S | (0 if expr.case_sensitive else re.I)) is not None


data_filter = filters(
    comparisons(
        metric_keys=st.sampled_from(["auc", "loss", "nope"]),
        text_keys=st.sampled_from(["penalty", "C", "team", "note", "data set", "nope"]),
        strings=st.sampled_from(["l2", "L2", "l1", "1", "10", "5", "abc", "vision", "Vision", "FINISHED", "b", ""]),
        nums=st.sampled_from(["0", "1", "9", "10", "1e2", "-0.5", "0.85", "0.95", "2000", "inf", "-inf"]).map(Number),
        patterns=st.lists(st.sampled_from(["l", "L", "2", "%", "_", "v", "i", "s", "F"]), max_size=4).map("".join),
    )
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=data_filter)
def test_search_matches_the_reference(store: Store, expr: Expr) -> None:
    expected = {r.name for r in RUNS if r.project == "p1" and reference(expr, r)}
    assert matching(store, render(expr)) == expected, render(expr)


def test_reference_agrees_with_the_table() -> None:
    """Keep the reference honest: it must agree with the hand-written expectations."""
    p1 = [r for r in RUNS if r.project == "p1"]
    for text, expected in SEMANTICS:
        expr = parse_filter(text)
        assert expr is not None
        assert {r.name for r in p1 if reference(expr, r)} == set(expected), text
