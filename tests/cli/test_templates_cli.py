"""`python -m bot templates check [PATH]`: what an ops person sees after editing templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.datafiles import PACKAGED_DATA_DIR

SHIPPED_EN = PACKAGED_DATA_DIR / "templates" / "en.yaml"


def test_the_shipped_library_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "check"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "templates and 14 composed replies checked: ok" in err


def test_an_edited_file_with_a_bad_line_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SHIPPED_EN.read_text(encoding="utf-8")
    good = "Getting your billing right is our job, so this is ours to sort out."
    bad = "I understand. The charge stands, as I said."
    path = tmp_path / "en.yaml"
    path.write_text(text.replace(good, bad, 1), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index(f'        - "{bad}"') + 1

    assert main(["templates", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    failures = out.splitlines()
    prefix = f"{path}:{line}: en:billing.own.neutral.1: "
    assert f"{prefix}banned-phrase: says 'i understand'" in failures
    assert f"{prefix}banned-phrase: says 'as i said'" in failures
    assert f"{prefix}owns-the-issue: name the issue and own it (we / our / on us)" in failures
    assert "failure(s)" in err


def test_a_missing_path_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["templates", "check", str(missing)]) == 2
    _, err = capsys.readouterr()
    assert f"error: {missing}: no such file or folder" in err


def test_a_broken_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sv.yaml"
    path.write_text("locale: sv\nreflection: {}\n", encoding="utf-8")
    assert main(["templates", "check", str(path)]) == 2
    _, err = capsys.readouterr()
    assert str(path) in err and "missing `topics`" in err
