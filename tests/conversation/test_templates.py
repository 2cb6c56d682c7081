"""The template library: complete for every topic and feeling, varied, and clear when broken."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.conversation.templates import (
    FAMILIES,
    LOCALES,
    SELFSERVE_INTENTS,
    TOPIC_KINDS,
    TemplateLibrary,
    render,
)
from bot.conversation.types import TOPICS
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError

SHIPPED_EN = PACKAGED_DATA_DIR / "templates" / "en.yaml"


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary.load()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_topic_and_feeling_has_several_lines(library: TemplateLibrary, locale: str) -> None:
    lib = library.for_locale(locale)
    assert lib.locale == locale
    for topic in TOPICS:
        for kind in TOPIC_KINDS:
            for family in FAMILIES:
                assert len(lib.group(f"{topic}.{kind}.{family}")) >= 2, (topic, kind, family)
        for step in ("offer", "next"):
            texts = [t.text for t in lib.group(f"{topic}.{step}")]
            assert len(texts) >= 2 and all("{wait}" in t for t in texts)
    for intent in SELFSERVE_INTENTS:
        assert len(lib.group(f"selfserve.{intent}")) >= 2


def test_template_ids_name_their_place(library: TemplateLibrary) -> None:
    t = library.for_locale("en").group("billing.reflect.upset")[0]
    assert t.id == "en:billing.reflect.upset.1"
    assert t.file == SHIPPED_EN and t.line is not None
    assert t.text in SHIPPED_EN.read_text(encoding="utf-8").splitlines()[t.line - 1]


def test_pick_never_repeats_until_all_were_used(library: TemplateLibrary) -> None:
    used: list[str] = []
    group = library.for_locale("en").group("line.queued_ack")
    for _ in range(len(group)):
        used.append(library.pick("en", "line.queued_ack", used).id)
    assert sorted(used) == sorted(t.id for t in group)
    # All used: the least recently used comes back, not the one just said.
    assert library.pick("en", "line.queued_ack", used).id == used[0]


def test_render_fills_slots_and_capitalises() -> None:
    said = render("{Who} will join within {wait} minutes.", who="a billing specialist", wait="10")
    assert said == "A billing specialist will join within 10 minutes."


def test_an_unknown_locale_falls_back_to_english(library: TemplateLibrary) -> None:
    assert library.for_locale("de").locale == "en"
    assert library.for_locale(None).locale == "en"


def _broken_copy(tmp_path: Path, change: str, into: str) -> Path:
    text = SHIPPED_EN.read_text(encoding="utf-8")
    assert change in text
    target = tmp_path / "en.yaml"
    target.write_text(text.replace(change, into, 1), encoding="utf-8")
    return target


def test_an_unknown_slot_is_named_with_file_and_line(tmp_path: Path) -> None:
    path = _broken_copy(
        tmp_path,
        '        - "So {reflection}."',
        '        - "So {refelction}."',
    )
    with pytest.raises(DataFileError) as err:
        TemplateLibrary.load(path=path)
    message = str(err.value)
    assert str(path) in message and "refelction" in message
    line = int(message.split(f"{path}:")[1].split(":")[0])
    assert "{refelction}" in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_a_missing_feeling_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(SHIPPED_EN.read_text(encoding="utf-8"))
    del data["topics"]["session"]["own"]["sad"]
    path = tmp_path / "en.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing `sad` under `own`"):
        TemplateLibrary.load(path=path)


def test_bad_yaml_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text("locale: en\ntopics: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{path}:\d+"):
        TemplateLibrary.load(path=path)


def test_an_override_folder_replaces_one_locale(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    text = SHIPPED_EN.read_text(encoding="utf-8").replace(
        "Hi, I'm the support assistant.", "Hello from ops.", 1
    )
    (folder / "en.yaml").write_text(text, encoding="utf-8")
    library = TemplateLibrary.load(data_dir=tmp_path)
    assert library.for_locale("en").group("system.greeting")[0].text.startswith("Hello from ops.")
    assert library.for_locale("sv").file.parent == PACKAGED_DATA_DIR / "templates"
