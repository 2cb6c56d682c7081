"""The engine's start-up cache: a start that reads it answers exactly as one that built from
the files, and any change to the files or a damaged entry means building again."""

from __future__ import annotations

import json
import logging
import pickle
import re
import shutil
from pathlib import Path

import pytest

from bot.conversation.buildcache import ENV_VAR, load_or_build
from bot.conversation.safety import SafetyModel
from bot.conversation.understand import Understander
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError

DEV_SETS = Path(__file__).resolve().parents[3] / "shared" / "data"
# Messages that exercise masks, rules, both languages and build-up across a conversation.
TEXTS = [
    "I was charged twice for my session",
    "this bill is killing me lol",
    "I'm not suicidal, I just want a refund",
    "I have pills saved up and I'm going to take them tonight",
    "after my brother's suicide I started therapy",
    "jag vill inte leva längre",
    "Jag är så arg, det här är tredje gången!",
    "I can't do this anymore. Goodbye everyone.",
    "my video keeps freezing and my therapist never joined",
]


def _dev_texts() -> list[str]:
    texts = list(TEXTS)
    for name in ("dev_support.jsonl", "dev_safety.jsonl"):
        path = DEV_SETS / name
        if path.is_file():
            texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    return texts


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(folder))
    return folder


def _ratings(model: SafetyModel, texts: list[str]) -> list[tuple[str, str | None]]:
    history: list[str] = []
    ratings = []
    for text in texts:
        assessment = model.assess(text, locale="en", history=history[-3:])
        ratings.append((assessment.level, assessment.kind))
        history.append(text)
    return ratings


def test_a_cached_safety_model_rates_every_message_as_a_built_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _dev_texts()
    monkeypatch.setenv(ENV_VAR, "off")
    built = SafetyModel.load()
    monkeypatch.setenv(ENV_VAR, str(cache))
    SafetyModel.load()  # builds and writes the entry
    assert [p.name.split("-")[0] for p in cache.glob("*.pickle")] == ["safety"]
    cached = SafetyModel.load()  # reads it

    assert _ratings(cached, texts) == _ratings(built, texts)
    assert _ratings(cached, [TEXTS[3]])[0][0] == "urgent"


def test_a_cached_classifier_scores_every_message_as_a_trained_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    trained = Understander.from_data(None, safety=None)
    monkeypatch.setenv(ENV_VAR, str(cache))
    Understander.from_data(None, safety=None)
    cached = Understander.from_data(None, safety=None)

    assert [p.name.split("-")[0] for p in cache.glob("*.pickle")] == ["classifier"]
    for text in _dev_texts():
        assert cached.scores(text) == trained.scores(text)
        assert cached.understand(text, now=0.0) == trained.understand(text, now=0.0)


def test_a_changed_lexicon_is_read_again_not_taken_from_the_cache(
    cache: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "safety").mkdir(parents=True)
    lexicon = data / "safety" / "en.yaml"
    shutil.copy(PACKAGED_DATA_DIR / "safety" / "en.yaml", lexicon)
    assert SafetyModel.load(data_dir=data).assess("an okapi", locale="en").level == "none"

    original = lexicon.read_text()
    extra = "  - kind: test_okapi\n    level: urgent\n    patterns:\n      - '\\bokapi\\b'\n"
    lexicon.write_text(original.replace("\nrules:\n", "\nrules:\n" + extra, 1))
    changed = SafetyModel.load(data_dir=data)
    assert changed.assess("an okapi", locale="en").level == "urgent"
    assert len(list(cache.glob("safety-*.pickle"))) == 1  # the old entry is gone

    # A mistake is reported at load even though an entry for the earlier file exists.
    lexicon.write_text(original.replace("\nrules:\n", "\nrules:\n  - kind: [\n", 1))
    with pytest.raises(DataFileError) as caught:
        SafetyModel.load(data_dir=data)
    assert str(lexicon) in str(caught.value)


def test_a_damaged_entry_is_rebuilt(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    SafetyModel.load()
    (entry,) = cache.glob("safety-*.pickle")
    entry.write_bytes(entry.read_bytes()[:1000])

    with caplog.at_level(logging.WARNING):
        model = SafetyModel.load()
    assert model.assess(TEXTS[3], locale="en").level == "urgent"
    assert "rebuilding" in caplog.text
    assert pickle.loads(entry.read_bytes()) is not None  # written whole again


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    calls = []
    for _ in range(2):
        load_or_build("thing", inputs=[], code=[], build=lambda: calls.append(1) or 42)
    assert calls == [1, 1]
    assert not any(tmp_path.iterdir())


def test_an_unwritable_folder_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(ENV_VAR, str(blocker / "cache"))
    assert load_or_build("thing", inputs=[], code=[], build=lambda: {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("pattern", "flags", "texts"),
    [
        (r"\b(?:kill|hurt) (?:my ?self|myself)\b", 0, ["i will kill myself", "skill myself"]),
        (r"(?<!not )(?P<verb>want) to (?:die|end it)", 0, ["i want to die", "not want to die"]),
        (r"SJÄLVMORD|självmord", re.IGNORECASE, ["Självmord", "SJÄLVMORD", "sjalvmord"]),
        (r"(\w+) \1", 0, ["bye bye", "bye now"]),
    ],
)
def test_a_cached_regex_matches_as_the_compiled_one(
    cache: Path, pattern: str, flags: int, texts: list[str]
) -> None:
    compiled = re.compile(pattern, flags)
    load_or_build("regex", inputs=[], code=[], build=lambda: compiled)
    restored = load_or_build("regex", inputs=[], code=[], build=lambda: None)
    assert restored is not compiled and restored is not None
    assert (restored.pattern, restored.flags, restored.groups) == (
        compiled.pattern,
        compiled.flags,
        compiled.groups,
    )
    assert restored.groupindex == compiled.groupindex
    for text in texts:
        found, expected = restored.search(text), compiled.search(text)
        assert (found and found.span(), found and found.groups()) == (
            expected and expected.span(),
            expected and expected.groups(),
        )


def test_the_same_files_in_another_folder_are_read_from_the_cache(
    cache: Path, tmp_path: Path
) -> None:
    """Heroku builds the slug in /tmp/build_<id> (where bin/post_compile warms the cache)
    and runs it at /app: an entry is keyed by what the files hold, not where they are."""
    built = []
    for folder in ("build_4f2a", "app"):
        data = tmp_path / folder / "bot" / "data"
        (data / "safety").mkdir(parents=True)
        lexicon = data / "safety" / "en.yaml"
        shutil.copy(PACKAGED_DATA_DIR / "safety" / "en.yaml", lexicon)
        value = load_or_build(
            "thing", inputs=[lexicon], code=[], build=lambda: built.append(1) or 42
        )
        assert value == 42
    assert built == [1]
    assert len(list(cache.glob("thing-*.pickle"))) == 1
