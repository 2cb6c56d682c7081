"""Data files (templates, lexicons, crisis resources, queue routing) shipped in the package.

Ops can point `DATA_DIR` at a folder of their own: a file found there wins over the
shipped one of the same relative path, so overriding one file means copying one file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PACKAGED_DATA_DIR = Path(__file__).parent / "data"


class DataFileError(ValueError):
    """A data file is missing or malformed; the message names the file and the line."""


def find_data_file(relative: str, override_dir: Path | None = None) -> Path:
    if override_dir is not None:
        candidate = Path(override_dir) / relative
        if candidate.is_file():
            return candidate
    candidate = PACKAGED_DATA_DIR / relative
    if candidate.is_file():
        return candidate
    raise DataFileError(f"{relative}: data file not found (looked in {override_dir}, packaged)")


def load_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into DataFileError with file:line."""
    try:
        with open(path, encoding="utf-8") as fh:
            # The C loader when PyYAML has it: several times faster at start-up.
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{line}: {exc.problem or exc}") from exc
    except OSError as exc:
        raise DataFileError(f"{path}: {exc.strerror}") from exc


def load_data_yaml(relative: str, override_dir: Path | None = None) -> Any:
    return load_yaml(find_data_file(relative, override_dir))


def line_of(path: Path, needle: str) -> int | None:
    """First line number (1-based) where `needle` appears in `path`; for error messages."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return number
    except OSError:
        return None
    return None
