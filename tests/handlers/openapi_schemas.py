"""The OpenAPI document's schemas, read two ways: a small JSON Schema validator for the
server's answers, and Hypothesis strategies that generate request bodies from them.

Only the keywords the document uses are supported; an unknown one fails loudly, so the
document cannot quietly grow beyond what these tests check.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]

KNOWN_KEYWORDS = {
    "$ref", "allOf", "type", "enum", "required", "properties", "additionalProperties",
    "items", "minLength", "maxLength", "pattern", "minimum", "maximum", "format",
    "description", "examples", "default",
}  # fmt: skip


def resolve(document: Schema, schema: Schema) -> Schema:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def validate(document: Schema, schema: Schema, value: Any, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (empty when it conforms)."""
    unknown = set(schema) - KNOWN_KEYWORDS
    assert not unknown, f"schema keywords the tests do not check: {unknown}"
    if "$ref" in schema:
        return validate(document, resolve(document, schema), value, where)
    problems: list[str] = []
    for part in schema.get("allOf", []):
        problems += validate(document, part, value, where)
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        return [*problems, f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: missing {name}")
        for name, item in value.items():
            if name in properties:
                problems += validate(document, properties[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected {name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += validate(document, schema["items"], item, f"{where}[{index}]")
    return problems


def _is_type(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


# Any JSON value, to put where the schema expects something else.
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


NOT_AN_OBJECT: st.SearchStrategy[Any] = (
    st.none() | st.integers() | st.text(max_size=8) | st.lists(ANY_JSON, max_size=3)
)


def valid(document: Schema, schema: Schema) -> st.SearchStrategy[Any]:
    """Values that conform to `schema`."""
    schema = resolve(document, schema)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return _strings(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: valid(document, properties[name]) for name in required},
            optional={
                name: valid(document, sub)
                for name, sub in properties.items()
                if name not in required
            },
        )
    raise AssertionError(f"no generator for {schema}")


def _strings(schema: Schema) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: low <= len(s) <= (high if high is not None else len(s))
        )
    # Mostly short text, sometimes right at the bounds where off-by-one errors live.
    lengths = [low, low + 1] + ([high - 1, high] if high is not None else [])
    edges = st.sampled_from([n for n in lengths if n >= 0 and (high is None or n <= high)])
    at_edge = edges.flatmap(lambda n: st.text(st.sampled_from("aé😭 "), min_size=n, max_size=n))
    return st.text(min_size=low, max_size=min(high or 60, 60)) | at_edge


def invalid(document: Schema, schema: Schema) -> st.SearchStrategy[Any]:
    """Objects that break `schema` in one place: a missing, mistyped or overlong field."""
    schema = resolve(document, schema)
    properties = schema.get("properties", {})
    base = valid(document, schema)
    choices: list[st.SearchStrategy[Any]] = [NOT_AN_OBJECT]
    for name in schema.get("required", []):
        choices.append(base.map(lambda body, name=name: _without(body, name)))
    for name, sub in properties.items():
        sub = resolve(document, sub)
        wrong = ANY_JSON.filter(lambda v, sub=sub: bool(validate(document, sub, v)))
        choices.append(
            st.tuples(base, wrong).map(lambda pair, name=name: {**pair[0], name: pair[1]})
        )
        if "maxLength" in sub:
            too_long = st.integers(1, 3).map(
                lambda extra, sub=sub: "x" * (sub["maxLength"] + extra)
            )
            choices.append(
                st.tuples(base, too_long).map(lambda pair, name=name: {**pair[0], name: pair[1]})
            )
        if sub.get("type") == "string":
            # Valid JSON that no database column stores.
            unstorable = st.sampled_from(["a\x00b", "\ud800", "\udfff tail"])
            choices.append(
                st.tuples(base, unstorable).map(lambda pair, name=name: {**pair[0], name: pair[1]})
            )
    return st.one_of(choices)


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}
