"""Property tests: whole families of numbers, generated, not just the examples we thought of."""

from __future__ import annotations

import datetime as dt

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.privacy import redact
from bot.privacy.redact import luhn_valid

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

REGIONS = ("US", "GB", "SE", "IE")
NUMBER_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
FORMATS = (
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
)


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("number_type", NUMBER_TYPES, ids=["mobile", "fixed"])
@pytest.mark.parametrize("number_format", FORMATS, ids=["national", "international", "e164"])
def test_example_numbers_of_every_region_type_and_format(
    region: str, number_type: int, number_format: int
) -> None:
    example = phonenumbers.example_number_for_type(region, number_type)
    assert example is not None
    written = phonenumbers.format_number(example, number_format)
    assert redact(f"ring me: {written} thanks") == "ring me: [phone] thanks"


def _card(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


@PROPERTY_SETTINGS
@given(
    prefix=st.sampled_from(["4", "51", "55", "2221", "6011", "35"]),
    rest=st.text("0123456789", min_size=15, max_size=15),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_any_luhn_valid_16_digit_card_in_groups_of_four(
    prefix: str, rest: str, separator: str
) -> None:
    number = _card((prefix + rest)[:15])
    written = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    assert redact(f"card {written} declined") == "card [card] declined"


def _personnummer_check(ten_minus_one: str) -> str:
    return next(d for d in "0123456789" if luhn_valid(ten_minus_one + d))


@PROPERTY_SETTINGS
@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
    coordination=st.booleans(),
    form=st.sampled_from(["short-dash", "long-dash", "short", "long"]),
)
def test_any_valid_personnummer_or_samordningsnummer(
    born: dt.date, serial: int, coordination: bool, form: str
) -> None:
    day = born.day + (60 if coordination else 0)
    short_date = f"{born:%y%m}{day:02d}"
    number = f"{serial:03d}" + _personnummer_check(f"{short_date}{serial:03d}")
    date_part = short_date if form.startswith("short") else f"{born:%Y}{short_date[2:]}"
    written = f"{date_part}-{number}" if form.endswith("dash") else date_part + number
    assert redact(f"pnr {written}.") == "pnr [personnummer]."


@PROPERTY_SETTINGS
@given(
    amount=st.integers(min_value=0, max_value=99_999),
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
    session=st.integers(min_value=1, max_value=999_999),
)
def test_amounts_dates_times_and_short_references_survive(
    amount: int, day: dt.date, hour: int, minute: int, session: int
) -> None:
    text = (
        f"Charged ${amount} and {amount} kr ({amount / 100:.2f} EUR) on {day:%Y-%m-%d} "
        f"({day:%d/%m/%Y}, {day:%m/%d/%Y}, {day:%d.%m.%Y}) at {hour:02d}:{minute:02d}, "
        f"session {session}, case C-{session % 1000:03d}K, year {day.year}."
    )
    assert redact(text) == text


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_redact_is_idempotent_on_arbitrary_text(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@PROPERTY_SETTINGS
@given(
    words=st.lists(
        st.sampled_from(["call", "me", "on", "070-123 45 67", "anna@example.com", "$90", "2024"]),
        max_size=12,
    )
)
@example(words=["$90", "2024", "2024", "2024", "070-123 45 67"])  # a Luhn window ate "070"
def test_redaction_only_ever_removes_the_personal_parts(words: list[str]) -> None:
    redacted = redact(" ".join(words))
    assert "123 45 67" not in redacted and "anna@" not in redacted
    assert redacted.count("$90") == words.count("$90")


@PROPERTY_SETTINGS
@given(st.text(alphabet="0123456789 -+().@ab\u00a0", max_size=120))
def test_redact_is_idempotent_on_digit_heavy_text(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
