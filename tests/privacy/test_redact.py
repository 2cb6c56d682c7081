"""What personal data `redact` removes, and what ordinary text it must leave alone."""

from __future__ import annotations

import pytest

from bot.privacy import redact
from bot.privacy.redact import luhn_valid

PHONES = [
    pytest.param("+1 415 555 2671", id="us-international"),
    pytest.param("(415) 555-2671", id="us-parentheses"),
    pytest.param("415.555.2671", id="us-dots"),
    pytest.param("4155552671", id="us-bare"),
    pytest.param("020 7946 0958", id="gb-national"),
    pytest.param("+44 20 7946 0958", id="gb-international"),
    pytest.param("070-123 45 67", id="se-mobile-national"),
    pytest.param("+46 70 123 45 67", id="se-mobile-international"),
    pytest.param("08-123 456 78", id="se-stockholm"),
    pytest.param("087 123 4567", id="ie-mobile-national"),
    pytest.param("+353 87 123 4567", id="ie-international"),
    pytest.param("0049 30 901820", id="de-with-00-prefix"),
    pytest.param("+49 30 901820", id="de-international"),
    pytest.param("+1 555 123 4567", id="international-shape-not-in-numbering-plan"),
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_redacted_in_a_sentence(phone: str) -> None:
    assert redact(f"Call me on {phone}, any time.") == "Call me on [phone], any time."


CARDS = [
    pytest.param("4111 1111 1111 1111", id="visa-spaces"),
    pytest.param("4111111111111111", id="visa-bare"),
    pytest.param("5555-5555-5555-4444", id="mastercard-dashes"),
    pytest.param("3782 822463 10005", id="amex-4-6-5"),
    pytest.param("378282246310005", id="amex-bare"),
]


@pytest.mark.parametrize("card", CARDS)
def test_luhn_valid_card_numbers_are_redacted(card: str) -> None:
    assert redact(f"I paid with {card} yesterday") == "I paid with [card] yesterday"


@pytest.mark.parametrize(
    "digits",
    ["4111 1111 1111 1112", "5555-5555-5555-4445", "1234567812345678"],
)
def test_sixteen_digits_failing_luhn_are_not_cards(digits: str) -> None:
    assert redact(f"reference {digits}") == f"reference {digits}"


def test_card_followed_by_more_digits_is_still_found() -> None:
    text = "card 4111 1111 1111 1111 2024 and 070-123 45 67"
    assert redact(text) == "card [card] 2024 and [phone]"


@pytest.mark.parametrize(
    "ssn",
    [pytest.param("123-45-6789", id="dashes"), pytest.param("123 45 6789", id="spaces")],
)
def test_us_ssn_is_redacted(ssn: str) -> None:
    assert redact(f"my SSN is {ssn}.") == "my SSN is [ssn]."


@pytest.mark.parametrize(
    "not_ssn",
    [
        pytest.param("000-12-3456", id="area-000"),
        pytest.param("666-12-3456", id="area-666"),
        pytest.param("900-12-3456", id="area-9xx"),
        pytest.param("123-00-4567", id="group-00"),
        pytest.param("123-45-0000", id="serial-0000"),
        pytest.param("123-45 6789", id="mixed-separators"),
    ],
)
def test_numbers_the_ssa_never_issues_are_not_ssns(not_ssn: str) -> None:
    assert "[ssn]" not in redact(f"number {not_ssn}")


PERSONNUMMER = [
    pytest.param("811228-9874", id="yymmdd-dash"),
    pytest.param("19811228-9874", id="yyyymmdd-dash"),
    pytest.param("8112289874", id="ten-digits"),
    pytest.param("198112289874", id="twelve-digits"),
    pytest.param("811228+9874", id="plus-over-100"),
    pytest.param("811288-0003", id="samordningsnummer"),
    pytest.param("19811288-0003", id="samordningsnummer-long"),
]


@pytest.mark.parametrize("pnr", PERSONNUMMER)
def test_swedish_personnummer_is_redacted(pnr: str) -> None:
    assert redact(f"Mitt personnummer är {pnr}.") == "Mitt personnummer är [personnummer]."


@pytest.mark.parametrize(
    "not_pnr",
    [
        pytest.param("811228-9875", id="bad-check-digit"),
        pytest.param("811328-9874", id="month-13"),
        pytest.param("810230-1234", id="30-february"),
        pytest.param("811292-0003", id="samordning-day-32"),
    ],
)
def test_personnummer_shapes_failing_checks_are_kept(not_pnr: str) -> None:
    assert "[personnummer]" not in redact(f"nummer {not_pnr}")


@pytest.mark.parametrize(
    "email",
    ["anna@example.com", "anna.s+therapy@mail.example.co.uk", "åsa.ek@exempel.se", "A_B-9@x-y.io"],
)
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"write to {email}.") == "write to [email]."


@pytest.mark.parametrize("text", ["x@y", "user@localhost", "@channel", "5 @ 10 kr"])
def test_at_signs_without_an_address_are_kept(text: str) -> None:
    assert redact(text) == text


ORDINARY = [
    "I was charged $90 twice",
    "It cost 90 kr, then 1 299 kr",
    "Refund of $1,299.00 please",
    "on 2024-03-15 at 14:30",
    "on 15/03/2024 and 03/15/2024",
    "between 10:00-11:30 or at 14.30",
    "2026-11-21T16:21:47Z",
    "session 3 did not start",
    "my therapist missed 2 sessions",
    "case C-7K3Q is still open",
    "since 2019, and again in 2024",
    "order #123456",
    "order 9876543",
    "I'm 34 and paid 450 SEK",
    "version 8.13.0",
    "+5 stars",
    "room 1204, floor 12",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, I'm Anna", "Hi, I'm [name]"),
        ("ANNA here", "[name] here"),
        ("anna svensson wrote", "[name] wrote"),
        ("Anna  Svensson wrote", "[name] wrote"),
        ("Svensson's account", "[name]'s account"),
        ("my friend Annabelle", "my friend Annabelle"),
        ("Hannah and Joanna", "Hannah and Joanna"),
        ("Anna-Karin", "[name]-Karin"),
        ("Annas konto", "[name] konto"),
        ("Svenssons faktura", "[name] faktura"),
        ("Annika and Annastasia", "Annika and Annastasia"),
    ],
)
def test_known_names_are_whole_words_any_case(text: str, expected: str) -> None:
    assert redact(text, known_names=["Anna Svensson"]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi, my name is Sarah Connor and I was charged twice",
            "Hi, my name is [name] and I was charged twice",
        ),
        ("my name is sarah, my card failed", "my name is [name], my card failed"),
        ("My name's Tom O'Neil.", "My name's [name]."),
        ("I am called Mary-Jane", "I am called [name]"),
        ("please call me Jo", "please call me [name]"),
        ("Hej, jag heter Åsa Öberg och", "Hej, jag heter [name] och"),
        ("Mitt namn är Anna Maria Berg Svensson.", "Mitt namn är [name]."),
        ("jag kallas Kalle", "jag kallas [name]"),
    ],
)
def test_a_name_people_give_for_themselves_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "My name is on the invoice twice",
        "my name is wrong on my receipt",
        "my name is spelled wrong",
        "Call me back please",
        "call me crazy, but I paid",
        "can you call me tomorrow",
        "Jag heter inte det",
        "my name is missing from the receipt",
    ],
)
def test_words_after_those_phrases_that_are_not_names_are_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks, Sarah", "Thanks, [name]"),
        ("Thank you!\nSarah Connor", "Thank you!\n[name]"),
        ("Best regards, Sarah", "Best regards, [name]"),
        ("Kind regards,\nJo", "Kind regards,\n[name]"),
        ("Warm regards, Sarah White", "Warm regards, [name]"),
        ("thanks for your help, Tom O'Neil :)", "thanks for your help, [name] :)"),
        ("The video froze again.\n- Sarah", "The video froze again.\n- [name]"),
        ("I was charged twice.\n/Sarah", "I was charged twice.\n/[name]"),
        ("Mvh Åsa", "Mvh [name]"),
        ("Mvh, Åsa Öberg", "Mvh, [name]"),
        ("Med vänliga hälsningar\nÅsa", "Med vänliga hälsningar\n[name]"),
        ("Hälsningar Erik", "Hälsningar [name]"),
        ("Tack! /Erik", "Tack! /[name]"),
        ("Tack på förhand, Anna", "Tack på förhand, [name]"),
        ("Jag har betalat två gånger /Erik", "Jag har betalat två gånger /[name]"),
    ],
)
def test_a_name_signing_off_a_message_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Best regards,\nSarah Johnson\nsarah.johnson@example.com",
            "Best regards,\n[name]\n[email]",
        ),
        ("Thanks,\nSarah Johnson\n+1 415 555 0132", "Thanks,\n[name]\n[phone]"),
        ("Thanks, Sarah (sarah@example.com)", "Thanks, [name] ([email])"),
        ("Mvh\nÅsa Öberg\n070-123 45 67", "Mvh\n[name]\n[phone]"),
        (
            "Thanks,\nSarah | 070-123 45 67 | sarah@example.com",
            "Thanks,\n[name] | [phone] | [email]",
        ),
        ("Hi, I'm Sarah 070-1234567, please call", "Hi, I'm [name] [phone], please call"),
        # Labels of contact details are no names.
        ("Thanks,\nEmail: sarah@example.com", "Thanks,\nEmail: [email]"),
        ("Thanks, Support\nsupport@example.com", "Thanks, Support\n[email]"),
    ],
)
def test_a_name_above_or_beside_its_contact_details_is_redacted(text: str, expected: str) -> None:
    """A signature gives the name and then how to reach its owner: the name is still the
    sign-off once the email address or number after it has been redacted."""
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, Team",
        "Thank you. Bye!",
        "Thanks in advance!",
        "thanks for nothing. Unsubscribe",
        "I want a refund. Thanks, Support Team",
        "Thank God.",
        "Things I tried:\n- Restart",
        "- Sound\n- Picture",
        "Tack så mycket!",
        "Tack! Hej då",
        "Tack för hjälpen. Mvh",
    ],
)
def test_closings_and_lists_without_a_name_are_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm Sarah", "I'm [name]"),
        ("Hi! I'm Sarah and I was charged twice", "Hi! I'm [name] and I was charged twice"),
        ("I am Sarah Connor, a client since 2021", "I am [name], a client since 2021"),
        ("i'm Ahmed.", "i'm [name]."),
        ("Hi, this is Sarah from Malmö", "Hi, this is [name] from Malmö"),
        ("Hi, Sarah here", "Hi, [name] here"),
        ("Sarah here. My card was charged twice", "[name] here. My card was charged twice"),
        ("Hej! Det är Åsa från Göteborg.", "Hej! Det är [name] från Göteborg."),
        ("det är Åsa", "det är [name]"),
        ("Hej, Åsa här", "Hej, [name] här"),
        ("Hej, jag är Ludvig och", "Hej, jag är [name] och"),
    ],
)
def test_a_name_in_an_introduction_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm Swedish and my therapist is not",
        "I'm Sorry, I missed it",
        "I am OK",
        "I'm Not sure",
        "I'm Exhausted.",
        "I'm Tired of this",
        "I'm\nSorry about that",
        "I AM SORRY",
        "This is Urgent!",
        "This Is Ridiculous",
        "and this is Unacceptable.",
        "Still here.",
        "Hej, det är Viktigt",
        "Det är Bra.",
        "Jag är Ledsen.",
    ],
)
def test_states_and_words_after_those_phrases_are_kept(text: str) -> None:
    assert redact(text) == text


def test_names_with_regex_characters_and_non_ascii_letters() -> None:
    names = ["Åsa Öberg", "J. (Jo) Smith", "  "]
    text = "åsa ÖBERG and Jo Smith and J. wrote; Jonas too"
    assert redact(text, known_names=names) == "[name] and [name] [name] and J. wrote; Jonas too"


def test_names_typed_without_their_accents_are_redacted() -> None:
    text = "Asa Oberg, also written ÅSA, and Oberg"
    assert redact(text, known_names=["Åsa Öberg"]) == "[name], also written [name], and [name]"


def test_several_kinds_in_one_message() -> None:
    text = (
        "I'm Anna Svensson (811228-9874), card 4111 1111 1111 1111 was charged $90 on "
        "2024-03-15; call +46 70 123 45 67 or anna@example.com about case C-7K3Q."
    )
    assert redact(text, known_names=["Anna Svensson"]) == (
        "I'm [name] ([personnummer]), card [card] was charged $90 on "
        "2024-03-15; call [phone] or [email] about case C-7K3Q."
    )


def test_regions_limit_national_formats_but_not_international_ones() -> None:
    assert redact("020 7946 0958", regions=("US",)) == "020 7946 0958"
    assert redact("+44 20 7946 0958", regions=("US",)) == "[phone]"


def test_empty_text() -> None:
    assert redact("") == ""


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("79927398713", True), ("79927398710", False), ("", False)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("070-123 45 67 070-123 45 67", "[phone] [phone]"),
        ("415 555 2671 415 555 2671", "[phone] [phone]"),
        ("(415) 555-2671 2 times", "[phone] 2 times"),
        ("020 7946 0958 2", "[phone] 2"),
        ("$90 070-123 45 67", "$90 [phone]"),
        ("+46 70 123 45 67 +46 70 123 45 67", "[phone] [phone]"),
    ],
)
def test_phone_numbers_touching_other_digits_are_still_found(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["invoice INV-2024-000123", "ref#4155552671", "on 02.01.2000 and 2 02.01.2000 3"],
)
def test_digits_inside_references_and_dotted_dates_are_not_phones(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN SE45 5000 0000 0583 9825 7466 thanks", "IBAN [iban] thanks"),
        ("iban se4550000000058398257466.", "iban [iban]."),
        ("GB82 WEST 1234 5698 7654 32", "[iban]"),
        ("IE29 AIBK 9311 5212 3456 78", "[iban]"),
        ("GB82 WEST 1234 5698 7654 33", "GB82 WEST 1234 5698 7654 33"),  # mod-97 fails
    ],
)
def test_ibans_with_a_valid_checksum_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my SSN is 123456789", "my SSN is [ssn]"),
        ("ssn: 123456789", "ssn: [ssn]"),
        ("social security number is 078051120", "social security number is [ssn]"),
        ("order 123456789", "order 123456789"),
        ("SSN 666123456", "SSN 666123456"),
    ],
)
def test_nine_bare_digits_are_an_ssn_only_when_called_one(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_crisis_line_numbers_in_bot_replies_are_kept() -> None:
    text = "Call 988, Samaritans on 116 123, Självmordslinjen 90101, or 911/999/112."
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("4111\u00a01111\u00a01111\u00a01111", "[card]", id="card-nbsp"),
        pytest.param("4111\u200b1111\u200b1111\u200b1111", "[card]", id="card-zero-width"),
        pytest.param("４１１１ １１１１ １１１１ １１１１", "[card]", id="card-fullwidth"),
        pytest.param("4111 - 1111 - 1111 - 1111", "[card]", id="card-spaced-dashes"),
        pytest.param("4111.1111.1111.1111", "[card]", id="card-dots"),
        pytest.param("4111  1111  1111  1111", "[card]", id="card-double-spaces"),
        pytest.param("811228\u00a09874", "[personnummer]", id="pnr-nbsp"),
        pytest.param("123\u00a045\u00a06789", "[ssn]", id="ssn-nbsp"),
        pytest.param("+46\u202f70\u202f123\u202f45\u202f67", "[phone]", id="phone-narrow-nbsp"),
        pytest.param("０７０-１２３ ４５ ６７", "[phone]", id="phone-fullwidth"),
    ],
)
def test_numbers_pasted_with_unicode_spacing_or_digits(text: str, expected: str) -> None:
    assert redact(f"nr {text} ok") == f"nr {expected} ok"


def test_zero_width_joiners_in_emoji_are_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert redact(f"my {family} and I") == f"my {family} and I"
