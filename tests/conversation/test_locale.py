from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.lexicons import load_lexicons
from bot.conversation.locale import LocaleDetector, detect_locale
from bot.datafiles import DataFileError


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("I can't log in to my account", "en"),
        ("why was I charged twice?", "en"),
        ("Jag kan inte logga in på mitt konto", "sv"),
        ("Varför har ni dragit pengar två gånger?", "sv"),
        ("Hej!", "sv"),
        ("Tack så mycket", "sv"),
        ("thanks a lot", "en"),
        ("min terapeut svarar inte", "sv"),
    ],
)
def test_detects_english_and_swedish(text: str, locale: str) -> None:
    assert detect_locale(text) == locale


@pytest.mark.parametrize("text", ["ok", "123", "", "???"])
def test_unsure_falls_back_to_the_default(text: str) -> None:
    assert detect_locale(text, default="sv") == "sv"
    assert detect_locale(text) == "en"


def test_a_language_is_added_by_a_data_file(tmp_path: Path) -> None:
    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    (lexicons / "de.yaml").write_text(
        'locale: de\nlanguage:\n  letters: "ß"\n'
        "  words: [ich, nicht, mein, meine, und, ist, das, die, der, warum, wurde]\n",
        encoding="utf-8",
    )
    detector = LocaleDetector.load(data_dir=tmp_path)
    assert set(detector.locales) == {"en", "sv", "de"}
    assert detector.detect("Warum wurde mein Konto nicht aktiviert?") == "de"
    assert detector.detect("why was my account not activated?") == "en"


def test_a_broken_lexicon_names_file_and_line(tmp_path: Path) -> None:
    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    (lexicons / "sv.yaml").write_text("locale: sv\nlanguage:\n  wrods: [jag]\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"sv\.yaml:3: unknown key 'wrods'"):
        LocaleDetector.load(data_dir=tmp_path)


@pytest.mark.parametrize("cue", ["*ång", "*ångest ord", "*ång3st"])
def test_a_bad_compound_cue_names_file_and_line(tmp_path: Path, cue: str) -> None:
    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    (lexicons / "sv.yaml").write_text(
        f'locale: sv\nemotions:\n  anxious:\n    - orolig\n    - "{cue}"\n', encoding="utf-8"
    )
    with pytest.raises(DataFileError, match=r"sv\.yaml:5: compound cue"):
        load_lexicons(tmp_path)
