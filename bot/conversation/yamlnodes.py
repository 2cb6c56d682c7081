"""Read YAML data files as plain values while keeping each value's line for error messages.

`yaml.safe_load` turns `yes`/`no` into booleans and forgets where things were; training
utterances such as "no" must stay strings, and a mistake must be reported as file:line.
So data files are composed into nodes and read through this small wrapper instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.datafiles import DataFileError

# libyaml's loader reads the same YAML several times faster: start-up has a 2 s budget.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Node:
    """A YAML node and the file it came from; `line` is 1-based."""

    raw: yaml.Node
    path: Path
    # The mapping key this node is the value of, so a bad key is reported on its own line.
    key_raw: yaml.Node | None = None

    @property
    def line(self) -> int:
        return int(self.raw.start_mark.line) + 1

    def error(self, message: str) -> DataFileError:
        return DataFileError(f"{self.path}:{self.line}: {message}")

    def key_error(self, message: str) -> DataFileError:
        line = self.line if self.key_raw is None else int(self.key_raw.start_mark.line) + 1
        return DataFileError(f"{self.path}:{line}: {message}")

    def is_mapping(self) -> bool:
        return isinstance(self.raw, yaml.MappingNode)

    def items(self) -> Iterator[tuple[str, Node]]:
        if not isinstance(self.raw, yaml.MappingNode):
            raise self.error("expected a mapping (key: value)")
        seen: set[str] = set()
        for key_raw, value_raw in self.raw.value:
            key = Node(key_raw, self.path).text()
            if key in seen:
                raise Node(key_raw, self.path).error(f"duplicate key {key!r}")
            seen.add(key)
            yield key, Node(value_raw, self.path, key_raw)

    def get(self, key: str) -> Node | None:
        for name, value in self.items():
            if name == key:
                return value
        return None

    def sequence(self) -> list[Node]:
        if isinstance(self.raw, yaml.ScalarNode) and self.raw.value in ("", "~", "null"):
            return []
        if not isinstance(self.raw, yaml.SequenceNode):
            raise self.error("expected a list (lines starting with '- ')")
        return [Node(item, self.path) for item in self.raw.value]

    def text(self) -> str:
        if not isinstance(self.raw, yaml.ScalarNode):
            raise self.error("expected a single text value")
        value = str(self.raw.value).strip()
        if not value:
            raise self.error("empty text")
        return value

    def texts(self) -> list[str]:
        return [item.text() for item in self.sequence()]

    def number(self) -> float:
        text = self.text()
        try:
            return float(text)
        except ValueError:
            raise self.error(f"expected a number, got {text!r}") from None


def compose_file(path: Path) -> Node:
    """Parse `path` into a root Node; syntax errors become DataFileError with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: {exc.strerror}") from exc
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{line}: {exc.problem or exc}") from exc
    if root is None:
        raise DataFileError(f"{path}:1: the file is empty")
    return Node(root, path)
