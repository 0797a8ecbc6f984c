"""The run search language: a lark (LALR) grammar, a typed AST and errors that point at the bad token.

::

    metrics.auc > 0.9 and params.penalty = 'l2' and not tags.`data set` like 'iris%'

:func:`parse_filter` turns a filter into an :data:`Expr` (``None`` for an empty filter) and
:func:`parse_order_by` turns ``["metrics.auc desc", "name"]`` into :class:`OrderKey` items. Both raise
:class:`~mlcycle.core.errors.InvalidInput` whose message shows the text with a caret under the offending
position. Type rules (metrics compare to numbers, ``nan`` is not ordered, ...) are checked here, so a parsed
filter always compiles; :mod:`mlcycle.store.run_query` turns it into SQL. The reference is docs/search.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, NoReturn, cast

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from mlcycle.core.errors import InvalidInput, did_you_mean

FieldKind = Literal["metric", "param", "tag", "attribute"]
CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]

#: Run attributes a filter can name, and whether they hold text or numbers (milliseconds).
ATTRIBUTES: dict[str, Literal["text", "number"]] = {
    "end_time": "number",
    "git_commit": "text",
    "id": "text",
    "name": "text",
    "parent_run_id": "text",
    "run_id": "text",
    "stage": "text",
    "start_time": "number",
    "status": "text",
    "user": "text",
}
_PREFIXES: dict[str, FieldKind] = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
}
MAX_FILTER_LENGTH = 100_000
MAX_DEPTH = 64
MAX_COMPARISONS = 256
MAX_VALUES = 10_000


# ---- AST ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Field:
    """``metrics.<key>``, ``params.<key>``, ``tags.<key>`` or a run attribute (``key`` is its lower-case name)."""

    kind: FieldKind
    key: str


@dataclass(frozen=True, slots=True)
class Number:
    """A number as written (``text``); ``nan``, ``inf`` and ``-inf`` are numbers too."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)


@dataclass(frozen=True, slots=True)
class String:
    value: str


Value = Number | String


@dataclass(frozen=True, slots=True)
class Compare:
    field: Field
    op: CompareOp
    value: Value


@dataclass(frozen=True, slots=True)
class In:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like:
    """``like`` (case-sensitive) or ``ilike``; ``%`` is any text, ``_`` one character, ``\\`` escapes."""

    field: Field
    pattern: str
    case_sensitive: bool = True


@dataclass(frozen=True, slots=True)
class IsNull:
    """``is null`` (the metric, param or tag is missing, or the attribute is empty); negated: ``is not null``."""

    field: Field
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


Comparison = Compare | In | Like | IsNull
Expr = Compare | In | Like | IsNull | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: Field
    descending: bool = False


# ---- grammar --------------------------------------------------------------------------------------------
# Keywords are word-bounded regexes with a higher priority than IDENT, so `not` is a keyword and `nothing`
# an identifier; IDENT also refuses a bare keyword, so keywords stay reserved in every lexer state.
_GRAMMAR = r"""
?filter: disjunction
?disjunction: conjunction (_OR conjunction)*
?conjunction: negation (_AND negation)*
?negation: _NOT negation            -> negate
         | "(" disjunction ")"
         | comparison
comparison: field COMP_OP value     -> compare
          | field _IN values        -> in_values
          | field _NOT _IN values   -> not_in_values
          | field LIKE STRING       -> like
          | field ILIKE STRING      -> like
          | field _IS NULL          -> is_null
          | field _IS _NOT NULL     -> is_not_null
values: "(" value ("," value)* ")"
?value: NUMBER | STRING | NAN | INF | NEG_INF | NULL
order_item: order_field (ASC | DESC)?
field: IDENT
order_field: IDENT

IDENT: /@IDENT@/
NUMBER: /-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?/
STRING: /'([^']|'')*'/
COMP_OP: "!=" | "<=" | ">=" | "=" | "<" | ">"
_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
_IS.2: /is\b/i
LIKE.2: /like\b/i
ILIKE.2: /ilike\b/i
NULL.2: /null\b/i
NAN.2: /nan\b/i
INF.2: /inf\b/i
NEG_INF.2: /-inf\b/i
ASC.2: /asc\b/i
DESC.2: /desc\b/i

%import common.WS
%ignore WS
"""
_KEYWORDS = ("and", "or", "not", "in", "is", "like", "ilike", "null", "nan", "inf", "asc", "desc")
_IDENT = (
    r"(?!(?i:" + "|".join(_KEYWORDS) + r")(?![A-Za-z0-9_.]))"  # a bare keyword is never an identifier
    r"[A-Za-z_][A-Za-z0-9_]*"  # an attribute, or a prefix followed by a key:
    r"(\.([A-Za-z0-9_\-.\/:]+|`([^`]|``)+`|\"([^\"]|\"\")+\"))?"
)

_TERMINAL_NAMES = {
    "IDENT": "identifier",
    "NUMBER": "number",
    "STRING": "string",
    "COMP_OP": "comparison operator",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "_OR": "'or'",
    "_AND": "'and'",
    "_NOT": "'not'",
    "_IN": "'in'",
    "_IS": "'is'",
    "LIKE": "'like'",
    "ILIKE": "'ilike'",
    "NULL": "'null'",
    "NAN": "'nan'",
    "INF": "'inf'",
    "NEG_INF": "'-inf'",
    "ASC": "'asc'",
    "DESC": "'desc'",
    "$END": "end of input",
}


class _SemanticError(Exception):
    """Raised while building the AST; turned into InvalidInput with the caret display by the caller."""

    def __init__(self, pos: int, token: str, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.pos, self.token, self.problem, self.hint = pos, token, problem, hint


@dataclass(frozen=True, slots=True)
class _Located:
    field: Field
    token: Token


class _Builder(Transformer[Token, Any]):
    """Builds the AST while the LALR parser reduces (no recursion, so deep nesting is safe here)."""

    def field(self, children: list[Token]) -> _Located:
        return _Located(_field(children[0]), children[0])

    order_field = field

    def compare(self, children: list[Any]) -> Comparison:
        loc, op, token = children
        value = _value(token)
        if value is None:
            if op == "=":
                return IsNull(loc.field)
            if op == "!=":
                return IsNull(loc.field, negated=True)
            _fail(token, f"null cannot be compared with '{op}'", "use 'is null' or 'is not null'")
        _check_value(loc, value, token)
        if isinstance(value, Number) and math.isnan(value.value) and op not in ("=", "!="):
            _fail(token, f"nan is not ordered, so '{op} nan' never matches", "use '= nan' or '!= nan'")
        return Compare(loc.field, cast(CompareOp, str(op)), value)

    def values(self, children: list[Token]) -> list[Token]:
        return children

    def in_values(self, children: list[Any], negated: bool = False) -> In:
        loc, tokens = children
        values: list[Value] = []
        for token in tokens:
            value = _value(token)
            if value is None:
                _fail(token, "null cannot be part of an 'in' list", "use 'is null' or 'is not null'")
            _check_value(loc, value, token)
            values.append(value)
        return In(loc.field, tuple(values), negated)

    def not_in_values(self, children: list[Any]) -> In:
        return self.in_values(children, negated=True)

    def like(self, children: list[Any]) -> Like:
        loc, op, pattern = children
        if _is_numeric_field(loc.field):
            _fail(loc.token, f"'{op.lower()}' needs text, but {loc.token} is a number")
        return Like(loc.field, _unquote(pattern), case_sensitive=op.lower() == "like")

    def is_null(self, children: list[Any]) -> IsNull:
        return IsNull(children[0].field)

    def is_not_null(self, children: list[Any]) -> IsNull:
        return IsNull(children[0].field, negated=True)

    def negate(self, children: list[Expr]) -> Not:
        return Not(children[0])

    def conjunction(self, children: list[Expr]) -> And:
        return And(tuple(children))

    def disjunction(self, children: list[Expr]) -> Or:
        return Or(tuple(children))

    def order_item(self, children: list[Any]) -> OrderKey:
        direction = children[1].lower() if len(children) > 1 else "asc"
        return OrderKey(children[0].field, descending=direction == "desc")


def _fail(token: Token, problem: str, hint: str | None = None) -> NoReturn:
    raise _SemanticError(token.start_pos or 0, str(token), problem, hint)


def _field(token: Token) -> Field:
    prefix, dot, key = str(token).partition(".")
    if not dot:
        name = prefix.lower()
        if name not in ATTRIBUTES:
            hint = did_you_mean(name, list(ATTRIBUTES)) or (
                f"for a metric, param or tag write metrics.{prefix}, params.{prefix} or tags.{prefix}; "
                f"attributes are {', '.join(ATTRIBUTES)}"
            )
            _fail(token, f"unknown attribute '{prefix}'", hint)
        return Field("attribute", name)
    kind = _PREFIXES.get(prefix.lower())
    if kind is None:
        close = did_you_mean(prefix.lower(), ["metrics", "params", "tags", "attributes"])
        _fail(token, f"unknown prefix '{prefix}'", close or "use metrics., params., tags. or attributes.")
    if key[0] in '`"':
        key = key[1:-1].replace(key[0] * 2, key[0])
    if kind == "attribute":
        name = key.lower()
        if name not in ATTRIBUTES:
            _fail(token, f"unknown attribute '{key}'", did_you_mean(name, list(ATTRIBUTES)))
        return Field("attribute", name)
    return Field(kind, key)


def _value(token: Token) -> Value | None:
    if token.type == "STRING":
        return String(_unquote(token))
    if token.type == "NULL":
        return None
    text = {"NAN": "nan", "INF": "inf", "NEG_INF": "-inf"}.get(token.type, str(token))
    if token.type == "NUMBER" and math.isinf(float(text)):
        _fail(token, f"number {text} is out of range", "write inf or -inf for infinity")
    return Number(text)


def _unquote(token: Token) -> str:
    return str(token)[1:-1].replace("''", "'")


def _is_numeric_field(field: Field) -> bool:
    return field.kind == "metric" or (field.kind == "attribute" and ATTRIBUTES[field.key] == "number")


def _check_value(loc: _Located, value: Value, token: Token) -> None:
    if isinstance(value, String) and _is_numeric_field(loc.field):
        _fail(token, f"{loc.token} is a number and cannot be compared with a string", "remove the quotes")
    is_nan = isinstance(value, Number) and math.isnan(value.value)
    if is_nan and loc.field.kind == "attribute" and _is_numeric_field(loc.field):
        _fail(token, f"{loc.token} is never nan")


# ---- entry points ---------------------------------------------------------------------------------------
@cache
def _parser() -> Lark:
    return Lark(
        _GRAMMAR.replace("@IDENT@", _IDENT), parser="lalr", start=["filter", "order_item"], transformer=_Builder()
    )


def parse_filter(text: str | None) -> Expr | None:
    """Parse a filter; ``None`` or blank text means "every run". Raises InvalidInput on any error."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInput(f"invalid filter: longer than {MAX_FILTER_LENGTH} characters")
    expr: Expr = _parse("filter", text)
    _check_size(expr)
    return expr


def parse_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse order-by items such as ``"metrics.auc desc"``, ``"params.C"`` or ``"start_time asc"``."""
    if isinstance(items, str):
        items = [items]
    keys = []
    for item in items or ():
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(
                f"invalid order_by: {item!r} is not a field", hint="write e.g. 'metrics.auc desc' or 'name'"
            )
        keys.append(_parse("order_item", item))
    return keys


def _parse(start: str, text: str) -> Any:
    what = "filter" if start == "filter" else "order_by"
    parser = _parser()  # outside the try: a broken grammar is a bug, not bad input
    try:
        return parser.parse(text, start=start)
    except _SemanticError as exc:
        raise _error(what, text, exc.pos, exc.token, exc.problem, [], exc.hint) from None
    except UnexpectedInput as exc:
        raise _syntax_error(what, text, exc) from None


def _syntax_error(what: str, text: str, exc: UnexpectedInput) -> InvalidInput:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        pos, token = exc.token.start_pos or 0, str(exc.token)
        expected = exc.expected
    elif isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        token, expected = text[pos], exc.allowed or set()
    else:
        pos, token, expected = len(text.rstrip()), "", getattr(exc, "expected", None) or set()
    names = sorted({_TERMINAL_NAMES.get(name, name) for name in expected})
    if not token:
        problem = "unexpected end of input"
    elif token == "'" and isinstance(exc, UnexpectedCharacters):
        problem = "unterminated string"
    else:
        problem = f"unexpected {_show(token)}"
    hint = f"expected {' or '.join(names) if len(names) <= 2 else 'one of: ' + ', '.join(names)}"
    return _error(what, text, pos, token, problem, names, hint if names else None)


def _error(
    what: str, text: str, pos: int, token: str, problem: str, expected: list[str], hint: str | None
) -> InvalidInput:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end >= 0 else len(text)]
    caret = "".join("\t" if c == "\t" else " " for c in line[: pos - start]) + "^"
    return InvalidInput(
        f"invalid {what}: {problem} at position {pos}\n  {line}\n  {caret}",
        hint=hint,
        details={"position": pos, "token": token, "expected": expected},
    )


def _show(token: str) -> str:
    shown = token if len(token) <= 40 else token[:37] + "..."
    return "'" + shown + "'" if "'" not in shown else '"' + shown + '"'


def _check_size(expr: Expr) -> None:
    """Bound nesting, comparisons and values so the SQL stays within database limits."""
    comparisons = values = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"invalid filter: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, And | Or):
            stack.extend((item, depth + 1) for item in node.items)
        elif isinstance(node, Not):
            stack.append((node.operand, depth + 1))
        else:
            comparisons += 1
            values += len(node.values) if isinstance(node, In) else 1
    if comparisons > MAX_COMPARISONS:
        raise InvalidInput(f"invalid filter: more than {MAX_COMPARISONS} comparisons")
    if values > MAX_VALUES:
        raise InvalidInput(f"invalid filter: more than {MAX_VALUES} values")


__all__ = [
    "ATTRIBUTES",
    "And",
    "Compare",
    "CompareOp",
    "Comparison",
    "Expr",
    "Field",
    "FieldKind",
    "In",
    "IsNull",
    "Like",
    "Not",
    "Number",
    "Or",
    "OrderKey",
    "String",
    "Value",
    "parse_filter",
    "parse_order_by",
]
