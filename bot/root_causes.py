"""Root-cause tags for resolved cases (bot/data/root_causes.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.datafiles import DataFileError, find_data_file, line_of, load_yaml

ROOT_CAUSES_FILE = "root_causes.yaml"
# Slack option values and report columns: short, stable, lowercase.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# A static_select shows at most 100 options (Block Kit reference: static_select).
MAX_ROOT_CAUSES = 100
# Option text is plain_text of at most 75 characters (Block Kit reference: option object).
MAX_LABEL = 75


def load_root_causes(data_dir: Path | None = None) -> dict[str, str]:
    """Root-cause id → label, in file order.

    Raises:
        DataFileError: the file is missing or a line is malformed (names file and line).
    """
    path = find_data_file(ROOT_CAUSES_FILE, data_dir)
    raw = load_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("root_causes"), dict):
        raise DataFileError(f"{path}: expected a mapping with `root_causes:`")
    causes: dict[str, str] = {}
    for key, label in raw["root_causes"].items():
        where = f"{path}:{line_of(path, f'{key}:') or '?'}"
        if not isinstance(key, str) or not ID_PATTERN.match(key):
            raise DataFileError(f"{where}: `{key}` must be a short lowercase id")
        if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL:
            raise DataFileError(f"{where}: `{key}` needs a label of 1–{MAX_LABEL} characters")
        causes[key] = label
    if not 0 < len(causes) <= MAX_ROOT_CAUSES:
        raise DataFileError(f"{path}: list 1–{MAX_ROOT_CAUSES} root causes")
    return causes
