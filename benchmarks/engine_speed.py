"""How fast the engine starts and answers: prints one JSON object.

    .venv/bin/python benchmarks/engine_speed.py [--understander] [--rounds N] [FILES...]

{"startup_s", "startup_cold_s", "p50_ms", "p99_ms", "messages"} over the texts of the dev
files (each as the first message of a new conversation, as `analyze` does). Targets
(GitHub issue 3): start in at most 2 s, answer in at most 1 ms per message at p99.
`--understander` measures understanding alone (no replies, no hand-off decision).

Each start is timed in a fresh Python process, imports included: `startup_cold_s` with an
empty build cache (it trains the classifier and compiles the lexicons, then writes the
cache: the first start after a data file or the code changed), `startup_s` the next start,
which finds them in the cache (every start of a deployed app: `python -m bot warm` fills
it at build time). See bot/conversation/buildcache.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_FILES = (
    ROOT.parent / "shared" / "data" / "dev_support.jsonl",
    ROOT.parent / "shared" / "data" / "dev_safety.jsonl",
)


def load_texts(paths: list[Path]) -> list[tuple[str, str | None]]:
    texts: list[tuple[str, str | None]] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append((row["text"], row.get("locale")))
    return texts


def build(understander_only: bool) -> Callable[[str, str | None], object]:
    if understander_only:
        from bot.conversation.understand import Understander

        understander = Understander.load()
        return lambda text, locale: understander.understand(text, locale=locale)
    from bot.conversation.engine import Engine

    engine = Engine.load()
    return lambda text, locale: engine.respond(text, None, locale=locale)


def timed_start(understander_only: bool, cache: Path) -> float:
    """Seconds to import and load the engine in a new process using `cache` as its cache."""
    flags = ["--understander"] if understander_only else []
    out = subprocess.run(
        [sys.executable, __file__, "--startup-only", *flags],
        env={**os.environ, "ENGINE_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout)["startup_s"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--understander", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the texts")
    parser.add_argument("--startup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup_only:
        sys.path.insert(0, str(ROOT))
        started = time.perf_counter()
        build(args.understander)
        print(json.dumps({"startup_s": round(time.perf_counter() - started, 3)}))
        return 0
    texts = load_texts(args.files or [p for p in DEV_FILES if p.is_file()])
    if not texts:
        sys.stderr.write("no texts: pass JSONL files with a 'text' field\n")
        return 2

    with tempfile.TemporaryDirectory() as cache:
        startup_cold_s = timed_start(args.understander, Path(cache))
        startup_s = timed_start(args.understander, Path(cache))
    sys.path.insert(0, str(ROOT))
    respond = build(args.understander)

    timings: list[float] = []
    for _ in range(args.rounds):
        for text, locale in texts:
            t0 = time.perf_counter()
            respond(text, locale)
            timings.append((time.perf_counter() - t0) * 1000.0)
    result = {
        "startup_s": round(startup_s, 3),
        "startup_cold_s": round(startup_cold_s, 3),
        "p50_ms": round(percentile(timings, 0.50), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "messages": len(timings),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
