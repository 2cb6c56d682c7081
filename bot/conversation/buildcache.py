"""A start-up cache for what the engine derives from its data files, as `__pycache__` is
for Python source.

Training the classifier and compiling the safety lexicon's ~2,400 regexes take seconds;
their inputs change only when the data files or the code do. So the result is pickled
under a key that is the hash of every input (the data files' bytes, the source of the
modules that build it, the Python and library versions) and read back on the next start.
A file whose key does not match is never read: change one byte of a lexicon or of
safety.py and the next start builds (and validates) from the files again, then writes
a new entry. An entry that cannot be read is rebuilt, never an error.

Compiled regexes are stored as `re` leaves them, not as their source: `pickle` would
store a pattern as its text and compile it again on load, which is the slow part. The
program `re` compiles a pattern to (`re._compiler._code`) is kept instead and handed to
`_sre.compile` on load, the last step of `re.compile` itself. Those are CPython
internals, so the entry is keyed by the exact Python version and `_sre.MAGIC`, and any
failure falls back to `re.compile`.

Where: `ENGINE_CACHE_DIR` if set ("off" turns the cache off), else `.cache/engine` in the
application's root folder, so a cache written at build time (`python -m bot warm`, run by
bin/post_compile on Heroku) ships in the slug. An unwritable folder only costs speed.
"""

from __future__ import annotations

import _sre
import copyreg
import hashlib
import io
import logging
import os
import pickle
import re
import sys
from array import array
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

ENV_VAR = "ENGINE_CACHE_DIR"
# Bump when what is stored changes shape in a way the module sources do not show.
FORMAT = 1
DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".cache" / "engine"
# Libraries whose objects or numbers end up in an entry.
_LIBRARIES = ("numpy", "scikit-learn")


def cache_dir() -> Path | None:
    """The folder entries live in, or None when the cache is turned off."""
    configured = os.environ.get(ENV_VAR)
    if configured is None:
        return DEFAULT_DIR
    if configured.strip().lower() in ("", "off", "0", "none"):
        return None
    return Path(configured)


def load_or_build(
    name: str,
    *,
    inputs: Iterable[Path],
    code: Iterable[ModuleType],
    build: Callable[[], T],
) -> T:
    """`build()`'s result, read from the cache when nothing it depends on has changed.

    Args:
        name: the entry's name (one file per name is kept).
        inputs: every data file `build` reads.
        code: every module whose source decides what `build` returns.
        build: makes the value from the files; its errors (DataFileError) propagate.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}-{_key(name, inputs, code)}.pickle"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)  # type: ignore[no-any-return]
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
        log.warning("engine cache entry %s unreadable (%s); rebuilding", path.name, exc)
    value = build()
    _store(folder, name, path, value)
    return value


def _key(name: str, inputs: Iterable[Path], code: Iterable[ModuleType]) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", str(FORMAT).encode())
    add("name", name.encode())
    add("python", f"{sys.version}|{sys.implementation.cache_tag}|{_sre.MAGIC}".encode())
    for library in _LIBRARIES:
        try:
            add(library, metadata.version(library).encode())
        except metadata.PackageNotFoundError:
            add(library, b"-")
    for module in code:
        source = module.__file__
        add(f"module:{module.__name__}", Path(source).read_bytes() if source else b"")
    # Labelled by position and name, not by where they are: Heroku builds the slug (and
    # bin/post_compile warms this cache) in /tmp/build_<id>, then runs it at /app.
    for index, path in enumerate(inputs):
        add(f"input:{index}:{Path(path).name}", Path(path).read_bytes())
    return digest.hexdigest()[:24]


def _store(folder: Path, name: str, path: Path, value: object) -> None:
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except Exception as exc:  # noqa: BLE001 - an unpicklable value is simply not cached
        log.warning("engine cache: %s not stored (%s)", name, exc)
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(buffer.getvalue())
        os.replace(partial, path)  # readers see the whole entry or none
        for stale in folder.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("engine cache folder %s not writable (%s); starting without it", folder, exc)


# -- compiled regexes ---------------------------------------------------------------------


def _reduce_pattern(pattern: re.Pattern[str]) -> tuple[Any, ...]:
    from re import _compiler, _parser  # private: only reached when writing an entry

    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        code = _compiler._code(parsed, pattern.flags)
    except Exception:  # noqa: BLE001 - fall back to pickling the source
        return re.compile, (pattern.pattern, pattern.flags)
    program = array("I", code).tobytes()  # SRE_CODE is 32 bits; far smaller than a list
    groupindex = dict(pattern.groupindex)
    return _restore_pattern, (pattern.pattern, pattern.flags, program, pattern.groups, groupindex)


def _restore_pattern(
    pattern: str, flags: int, program: bytes, groups: int, groupindex: dict[str, int]
) -> re.Pattern[str]:
    """The pattern `re.compile(pattern, flags)` gives, from the program it compiled to."""
    code = array("I")
    code.frombytes(program)
    indexgroup: list[str | None] = [None] * (groups + 1)
    for group_name, index in groupindex.items():
        indexgroup[index] = group_name
    try:
        compiled: re.Pattern[str] = _sre.compile(
            pattern, flags, code.tolist(), groups, groupindex, tuple(indexgroup)
        )
        return compiled
    except Exception:  # noqa: BLE001 - any mismatch: compile from the source instead
        return re.compile(pattern, flags)


class _Pickler(pickle.Pickler):
    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[re.Pattern] = _reduce_pattern
