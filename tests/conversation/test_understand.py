"""Understanding: topic, intents, wants_human, emotions, locale and signals for one message
in its conversation. The phrases here are written for the tests, not taken from the dev
or held-out sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.types import EMOTIONS, INTENTS, TOPICS, Turn
from bot.conversation.understand import Understander
from bot.datafiles import DataFileError

NOW = 1_700_000_000.0


def _load() -> Understander:
    return Understander.load()


@pytest.fixture(scope="module")
def understander() -> Understander:
    return _load()


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("you took two payments from my visa this week", "billing"),
        ("can I get a receipt to send to my insurance company", "billing"),
        ("please stop my plan from renewing next month", "cancellation"),
        ("I want to put my membership on pause over the summer", "cancellation"),
        ("the video call with my counsellor keeps cutting out", "session"),
        ("my therapist didn't turn up to our appointment", "session"),
        ("the login code never arrives on my phone", "account"),
        ("I'd like to change the email on my profile", "account"),
        ("I want to be matched with a therapist who speaks French", "matching"),
        ("can I move my appointment to thursday afternoon", "scheduling"),
        ("who at your company can read what I write to my therapist", "privacy"),
        ("is it ok to skip my antidepressant for a day", "clinical"),
        ("hello, is anybody there", "other"),
        ("ni drog dubbelt för min prenumeration", "billing"),
        ("jag vill avsluta min prenumeration nu", "cancellation"),
        ("ljudet försvinner hela tiden i videosamtalet", "session"),
        ("jag kommer inte in i appen, lösenordet fungerar inte", "account"),
        ("jag vill byta till en annan psykolog", "matching"),
        ("kan jag flytta mitt samtal till nästa vecka", "scheduling"),
        ("vem kan se mina anteckningar", "privacy"),
        ("kan jag sluta med min medicin", "clinical"),
    ],
)
def test_topic(understander: Understander, text: str, topic: str) -> None:
    assert understander.understand(text, now=NOW).topic == topic


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'd like my money back for the session that never happened", "refund_request"),
        ("could you cancel the late fee, my train was stuck", "fee_waiver"),
        ("send me everything you have stored about me", "privacy_export"),
        ("please erase all my data", "privacy_erase"),
        ("somebody else has been logging into my account", "privacy_breach"),
        ("how can I set a new password", "howto_reset_password"),
        ("how do I move my session to another time", "howto_reschedule"),
        ("thank you, it works now", "thanks"),
        ("jag vill ha tillbaka mina pengar", "refund_request"),
        ("hur återställer jag lösenordet", "howto_reset_password"),
    ],
)
def test_intents(understander: Understander, text: str, intent: str) -> None:
    assert intent in understander.understand(text, now=NOW).intents


@pytest.mark.parametrize(
    ("text", "wants_human"),
    [
        ("let me talk to an actual human being", True),
        ("can I speak with someone from your staff", True),
        ("get me a real agent right now", True),
        ("jag vill prata med en riktig människa", True),
        ("koppla mig till någon i kundtjänst", True),
        ("my therapist is lovely but the app is slow", False),
        ("how do I message my counselor", False),
        ("I was charged twice this month", False),
        ("jag vill prata med min terapeut om det", False),
    ],
)
def test_wants_human(understander: Understander, text: str, wants_human: bool) -> None:
    assert understander.understand(text, now=NOW).wants_human is wants_human


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I'm so annoyed, the app logged me out again", "frustrated"),
        ("this is outrageous, you people are thieves", "angry"),
        ("I'm worried my boss will find out I use this", "anxious"),
        ("I'm really sad that my session was lost", "sad"),
        ("I don't understand why I was billed this amount", "confused"),
        ("jag är så arg på er", "angry"),
        ("jag är orolig att någon läser mina meddelanden", "anxious"),
        ("jag förstår inte fakturan", "confused"),
    ],
)
def test_emotion(understander: Understander, text: str, emotion: str) -> None:
    seen = understander.understand(text, now=NOW)
    assert emotion in seen.emotions
    assert 0.0 < seen.intensity <= 1.0


@pytest.mark.parametrize(
    "text",
    ["How do I change my password?", "Can I book a session on Friday?", "Hur bokar jag en tid?"],
)
def test_plain_questions_are_neutral(understander: Understander, text: str) -> None:
    seen = understander.understand(text, now=NOW)
    assert seen.emotions == ()
    assert seen.intensity == 0.0


def test_negated_feeling_does_not_count(understander: Understander) -> None:
    assert "angry" not in understander.understand("I'm not angry, just asking", now=NOW).emotions


def test_shouting_raises_intensity(understander: Understander) -> None:
    calm = understander.understand("I'm annoyed about the charge", now=NOW)
    loud = understander.understand("I'M SO ANNOYED ABOUT THE CHARGE!!!", now=NOW)
    assert "shouting" in loud.signals
    assert loud.intensity > calm.intensity


def test_labels_come_from_the_contract(understander: Understander) -> None:
    seen = understander.understand("I want a refund and my data deleted, I'm furious", now=NOW)
    assert seen.topic in TOPICS
    assert set(seen.emotions) <= set(EMOTIONS)
    assert set(seen.intents) <= set(INTENTS)


@pytest.mark.parametrize(
    ("text", "locale"),
    [("my video session froze", "en"), ("min videosession frös", "sv")],
)
def test_locale_is_detected(understander: Understander, text: str, locale: str) -> None:
    assert understander.understand(text, now=NOW).locale == locale


def test_forced_locale_wins(understander: Understander) -> None:
    assert understander.understand("ok", locale="sv", now=NOW).locale == "sv"


@pytest.mark.parametrize(
    ("forced", "text", "locale"),
    [("sv-SE", "ok", "sv"), ("en_GB", "ok", "en"), ("de-DE", "min terapeut svarar inte", "sv")],
)
def test_forced_locale_is_a_supported_language(
    understander: Understander, forced: str, text: str, locale: str
) -> None:
    assert understander.understand(text, locale=forced, now=NOW).locale == locale


def test_short_reply_keeps_the_conversation_language(understander: Understander) -> None:
    history = [Turn("user", "Jag har blivit debiterad två gånger", NOW - 60)]
    assert understander.understand("ok", history=history, now=NOW).locale == "sv"


def test_follow_up_keeps_the_topic_of_the_conversation(understander: Understander) -> None:
    history = [
        Turn("user", "you charged my card twice for one session", NOW - 120),
        Turn("bot", "You were charged twice for one session.", NOW - 119),
    ]
    seen = understander.understand(
        "still not sorted, can a human look at it", history=history, now=NOW
    )
    assert seen.topic == "billing"
    assert seen.wants_human


def test_repeating_yourself_reads_as_frustration(understander: Understander) -> None:
    history = [
        Turn("user", "my therapist has not replied for a week", NOW - 300),
        Turn("bot", "Your therapist has not replied for a week.", NOW - 299),
    ]
    seen = understander.understand(
        "my therapist has not replied for a week", history=history, now=NOW
    )
    assert "repeat" in seen.signals
    assert "frustrated" in seen.emotions


def test_urgent_messages_are_rated_by_the_safety_model(understander: Understander) -> None:
    seen = understander.understand("I'm going to kill myself tonight", now=NOW)
    assert seen.safety == "urgent"
    assert seen.safety_kind


def test_bad_training_file_names_file_and_line(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    (nlu / "en.yaml").write_text(
        "locale: en\ntopics:\n  billing:\n    - I was charged twice\n  biling:\n    - typo\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"en\.yaml:5: unknown topic 'biling'"):
        Understander.from_data(tmp_path, safety=None)


def test_ops_can_add_training_lines(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    (nlu / "en-local.yaml").write_text(
        "locale: en\ntopics:\n  billing:\n"
        + "".join(f"    - zorbly {i} wibble\n" for i in range(20)),
        encoding="utf-8",
    )
    extended = Understander.from_data(tmp_path, safety=None)
    assert extended.understand("zorbly wibble", now=NOW).topic == "billing"
