"""The crisis reply: a person joins now, the right regional numbers, one safety question,
no method or place words, no confidentiality promise; check-ins and waiting lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.conversation.crisis import CrisisResources
from bot.conversation.rubric import CRISIS_NUMBERS, check_crisis
from bot.datafiles import DataFileError, find_data_file

# Words a crisis reply must never contain (means and places), and promises it cannot keep.
METHOD_WORDS = re.compile(
    r"\b(?:pills?|tablets?|overdose|bridge|jump|rope|gun|knife|blade|height|building|roof|"
    r"hang|poison|cut|tablett\w*|överdos|bro|bron|hoppa|rep|vapen|kniv|höjd|hänga|skära)\b",
    re.IGNORECASE,
)
CONFIDENTIAL = re.compile(
    r"confidential|between us|won't tell|secret|private|nobody will know|"
    r"konfidentiell|mellan oss|hemlig|privat|ingen kommer att få veta",
    re.IGNORECASE,
)
HUMAN_NOW = {
    "en": re.compile(r"\b(?:join|joining)\b[^.?!]*\bnow\b", re.IGNORECASE),
    "sv": re.compile(r"\b(?:ansluter|kommer)\b[^.?!]*\bnu\b", re.IGNORECASE),
}


@pytest.fixture(scope="module")
def crisis() -> CrisisResources:
    return CrisisResources.load()


@pytest.mark.parametrize(
    ("locale", "region", "must_have", "must_not_have"),
    [
        ("en", "US", ["988", "741741", "911"], ["116 123", "999", "90101"]),
        ("en-US", None, ["988", "911"], ["116 123"]),
        ("en-GB", None, ["116 123", "Samaritans", "999"], ["988", "911"]),
        ("en", "UK", ["116 123", "999"], ["988"]),
        ("en-IE", None, ["116 123", "Samaritans", "112"], ["988", "911"]),
        ("sv-SE", None, ["90101", "Självmordslinjen", "mind.se", "112"], ["988", "911"]),
        ("sv", None, ["90101", "112"], ["988"]),
        ("en", "SE", ["90101", "112"], ["988", "911"]),
        ("sv", "US", ["988", "911"], ["90101"]),
        ("en", "DE", ["112"], ["988", "911", "90101"]),
    ],
)
def test_the_reply_gives_the_regional_numbers(
    crisis: CrisisResources,
    locale: str,
    region: str | None,
    must_have: list[str],
    must_not_have: list[str],
) -> None:
    for variant in range(4):
        _, text = crisis.reply(locale=locale, region=region, variant=variant)
        for number in must_have:
            assert number in text
        for number in must_not_have:
            assert number not in text


@pytest.mark.parametrize(
    ("locale", "region", "expected"),
    [
        ("en", None, "US"),
        ("en-GB", None, "GB"),
        ("en_ie", None, "IE"),
        ("sv", None, "SE"),
        ("en", "gb", "GB"),
        ("sv", "UK", "GB"),
        ("en", "FR", "EU"),
        ("en", "JP", "DEFAULT"),
        ("xx", None, "DEFAULT"),
    ],
)
def test_region_for(
    crisis: CrisisResources, locale: str, region: str | None, expected: str
) -> None:
    assert crisis.region_for(locale=locale, region=region) == expected


@pytest.mark.parametrize("locale", ["en", "sv"])
@pytest.mark.parametrize("region", ["US", "GB", "IE", "SE", "CA", "FR", None])
def test_every_reply_keeps_the_crisis_rules(
    crisis: CrisisResources, locale: str, region: str | None
) -> None:
    seen: set[str] = set()
    for variant in range(4):
        template_id, text = crisis.reply(locale=locale, region=region, variant=variant)
        seen.add(template_id)
        assert text.count("?") == 1
        assert text.rstrip().endswith("?")  # the question comes last, after the numbers
        assert HUMAN_NOW[locale].search(text), text
        assert not METHOD_WORDS.search(text), text
        assert not CONFIDENTIAL.search(text), text
        assert "{" not in text
    assert len(seen) == 4  # several variants, none repeated


def test_the_reply_in_swedish_is_swedish(crisis: CrisisResources) -> None:
    _, text = crisis.reply(locale="sv", region="SE", variant=1)
    assert "Tänker du på att ta ditt liv?" in text
    _, text = crisis.reply(locale="en", region="US", variant=1)
    assert "Are you thinking about ending your life?" in text


def test_an_unknown_locale_gets_english(crisis: CrisisResources) -> None:
    template_id, text = crisis.reply(locale="de", region="DE", variant=0)
    assert template_id == "crisis.en.0"
    assert "112" in text


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_check_ins_ask_one_gentle_question(crisis: CrisisResources, locale: str) -> None:
    ids = set()
    for variant in range(4):
        template_id, text = crisis.check_in(locale=locale, variant=variant)
        ids.add(template_id)
        assert "check_in" in template_id
        assert text.count("?") == 1
        assert not METHOD_WORDS.search(text)
        assert not CONFIDENTIAL.search(text)
    assert len(ids) == 4


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_waiting_messages_stay_with_the_person(crisis: CrisisResources, locale: str) -> None:
    lines = [crisis.waiting_message(locale=locale, n=n) for n in range(8)]
    assert len(set(lines)) == 4
    assert lines[:4] == lines[4:]  # they cycle at intervals
    here = "here" if locale == "en" else "här"
    assert all(here in line.lower() or "chat" in line.lower() for line in lines)
    assert all("?" not in line and not METHOD_WORDS.search(line) for line in lines)


def test_all_templates_pass_the_listening_rubric(crisis: CrisisResources) -> None:
    templates = crisis.all_templates()
    path = find_data_file("crisis_resources.yaml")
    assert {locale for _, _, locale, _ in templates} == {"en", "sv"}
    assert all(file == path for file, _, _, _ in templates)
    failures = [f for file, tid, loc, text in templates for f in check_crisis(file, tid, loc, text)]
    assert failures == []
    ids = [tid for _, tid, _, _ in templates]
    assert "crisis.en.0@US" in ids and "crisis.check_in.sv.3" in ids


# --- data validation ----------------------------------------------------------------------


def _shipped() -> str:
    return find_data_file("crisis_resources.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'Are you safe right now?"',
            'Are you safe right now? Really?"',
            "exactly one question; this has 2",
        ),
        ("mind.se. If you are", "mind.se? If you are", "must not contain a question mark"),
        ("{resources} Are you in danger", "Are you in danger", "must include {resources}"),
        ("{resources} Are you in danger", "{numbers} Are you in danger", "unknown placeholder"),
        ("  UK: GB", "  UK: XX", "unknown region 'XX'"),
    ],
)
def test_a_bad_crisis_file_fails_at_load_naming_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = _shipped()
    assert old in text
    changed = text.replace(old, new, 1)
    path = tmp_path / "crisis_resources.yaml"
    path.write_text(changed, encoding="utf-8")
    line = next(n for n, row in enumerate(changed.splitlines(), 1) if new in row)
    with pytest.raises(DataFileError) as caught:
        CrisisResources.load(data_dir=tmp_path)
    assert f"{path}:{line}" in str(caught.value)
    assert message in str(caught.value)


def test_ops_can_add_a_region(tmp_path: Path) -> None:
    text = _shipped().replace(
        "  DEFAULT:\n",
        '  NZ:\n    resources:\n      en: "Call or text 1737 any time. In an emergency, '
        'call 111."\n  DEFAULT:\n',
    )
    (tmp_path / "crisis_resources.yaml").write_text(text, encoding="utf-8")
    crisis = CrisisResources.load(data_dir=tmp_path)
    _, text_en = crisis.reply(locale="en", region="NZ")
    _, text_sv = crisis.reply(locale="sv", region="nz")
    assert "1737" in text_en and "111" in text_en
    assert "1737" in text_sv  # no Swedish text given: the English numbers, not none


# --- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "region", "expected"),
    [
        ("en", "US", [("988", "tel:988"), ("741741", "sms:741741?&body=HOME"), ("911", "tel:911")]),
        ("sv", "US", [("988", "tel:988"), ("741741", "sms:741741?&body=HOME"), ("911", "tel:911")]),
        ("en", "CA", [("988", "tel:988"), ("911", "tel:911")]),
        ("en", "GB", [("116 123", "tel:116123"), ("999", "tel:999")]),
        ("sv", "IE", [("116 123", "tel:116123"), ("112", "tel:112")]),
        ("en", "SE", [("90101", "tel:90101"), ("mind.se", "https://mind.se"), ("112", "tel:112")]),
        ("sv", "SE", [("90101", "tel:90101"), ("mind.se", "https://mind.se"), ("112", "tel:112")]),
        ("en", "FR", [("112", "tel:112"), ("116 123", "tel:116123")]),
        ("sv", "JP", [("112", "tel:112"), ("911", "tel:911")]),
    ],
)
def test_every_reply_knows_its_links(
    crisis: CrisisResources, locale: str, region: str, expected: list[tuple[str, str]]
) -> None:
    for variant in range(4):
        _, text = crisis.reply(locale=locale, region=region, variant=variant)
        links = crisis.links_in(text)
        assert [(link.text, link.href) for link in links] == expected
        # In their order in the text, and the first place each appears is in the numbers.
        at = 0
        for link in links:
            assert text.find(link.text) >= at
            at = text.find(link.text) + len(link.text)


def test_the_shipped_file_links_every_number_it_gives(crisis: CrisisResources) -> None:
    for _, template_id, _, text in crisis.all_templates():
        if "check_in" in template_id:
            continue
        linked = {link.text for link in crisis.links_in(text)}
        numbers = set(CRISIS_NUMBERS.findall(text))
        assert numbers and numbers <= linked, f"{template_id}: {numbers - linked} not linked"


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I'm the support assistant. What can I help you with today?",
        "If you are in immediate danger of losing your session, tell me.",  # anchor only
        "Call 988",
        "",
    ],
)
def test_other_text_has_no_links(crisis: CrisisResources, text: str) -> None:
    assert crisis.links_in(text) == ()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '{text: "741741", href',
            '{text: "741 741 (Crisis Text Line)", href',
            "region US, locale en: link text '741 741 (Crisis Text Line)' does not occur",
        ),
        (
            '{text: "mind.se", href: "https://mind.se"}',
            '{text: "mind.se/chatt", href: "https://mind.se/chatt"}',
            "region SE, locale en: link text 'mind.se/chatt' does not occur",
        ),
        ('href: "tel:911"}', 'href: "javascript:alert(1)"}', "must start with one of tel:"),
        ('href: "https://mind.se"}', 'href: "http://mind.se"}', "must start with one of"),
        ('{text: "988", href: "tel:988"}', '{text: "988", href: "tel:989"}', "another number"),
        ('href: "tel:116123"}', 'href: "tel:116 123"}', "not a phone number link"),
        (
            'href: "sms:741741?&body=HOME"}',
            'href: "sms:741741?&body=<b>"}',
            "not a phone number link",
        ),
        ('{text: "999", href', '{txt: "999", href', "unknown key 'txt' in a link"),
    ],
)
def test_a_bad_link_fails_at_load_naming_region_locale_and_text(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = _shipped()
    assert old in text
    changed = text.replace(old, new, 1)
    path = tmp_path / "crisis_resources.yaml"
    path.write_text(changed, encoding="utf-8")
    line = next(n for n, row in enumerate(changed.splitlines(), 1) if new in row)
    with pytest.raises(DataFileError) as caught:
        CrisisResources.load(data_dir=tmp_path)
    assert f"{path}:{line}: " in str(caught.value)
    assert message in str(caught.value)


def test_a_link_missing_from_one_locale_names_that_locale(tmp_path: Path) -> None:
    old = "chatta med dem på mind.se."
    text = _shipped()
    assert old in text
    path = tmp_path / "crisis_resources.yaml"
    path.write_text(text.replace(old, "chatta med dem på webben."), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        CrisisResources.load(data_dir=tmp_path)
    assert "region SE, locale sv: link text 'mind.se' does not occur" in str(caught.value)


def test_a_reply_may_not_hold_a_link_text_outside_the_numbers(tmp_path: Path) -> None:
    old = '{resources} Are you safe right now?"'
    text = _shipped()
    assert old in text
    path = tmp_path / "crisis_resources.yaml"
    path.write_text(text.replace(old, 'Call 911. {resources} Are you safe right now?"'))
    with pytest.raises(DataFileError) as caught:
        CrisisResources.load(data_dir=tmp_path)
    assert "en variant 1 has the link text '911' outside {resources}" in str(caught.value)
