from __future__ import annotations

import pytest

from bot.conversation.signals import frustration_signals
from bot.conversation.types import Turn

NOW = 1_700_000_000.0


def user(text: str, ago: float) -> Turn:
    return Turn("user", text, NOW - ago)


def bot(text: str, ago: float) -> Turn:
    return Turn("bot", text, NOW - ago)


def test_a_first_calm_message_has_no_signals() -> None:
    assert frustration_signals("I was charged twice this month", [], now=NOW) == ()


def test_near_identical_message_is_a_repeat() -> None:
    history = [user("My video session keeps freezing", 300), bot("Sorry about that.", 299)]
    signals = frustration_signals("my video session keeps freezing!", history, now=NOW)
    assert "repeat" in signals


def test_a_different_message_is_not_a_repeat() -> None:
    history = [user("My video session keeps freezing", 300)]
    assert "repeat" not in frustration_signals("How do I get a receipt?", history, now=NOW)


def test_short_replies_are_not_repeats() -> None:
    history = [user("yes", 300), bot("Did that help?", 200)]
    assert "repeat" not in frustration_signals("yes", history, now=NOW)


@pytest.mark.parametrize("text", ["WHY HAS NOBODY ANSWERED ME", "answer me!!!"])
def test_shouting(text: str) -> None:
    assert "shouting" in frustration_signals(text, [], now=NOW)


def test_one_capitalised_word_is_not_shouting() -> None:
    assert "shouting" not in frustration_signals("I use the NHS voucher", [], now=NOW)


@pytest.mark.parametrize(
    "text",
    [
        "This is the third time I write about this",
        "how many times do I have to ask",
        "I've asked you 4 times now",
        "det här är tredje gången jag hör av mig",
        "jag har redan frågat om det här",
    ],
)
def test_saying_it_again(text: str) -> None:
    assert "nth_time" in frustration_signals(text, [], now=NOW)


def test_burst_of_messages() -> None:
    history = [user("hello?", 12), user("anyone??", 5)]
    assert "burst" in frustration_signals("please answer", history, now=NOW)


def test_messages_minutes_apart_are_not_a_burst() -> None:
    history = [user("hello?", 600), user("anyone??", 300)]
    assert "burst" not in frustration_signals("please answer", history, now=NOW)


def test_steps_that_did_not_help_are_no_progress() -> None:
    history = [user("I can't log in", 120), bot("Here is how to reset your password: ...", 110)]
    assert "no_progress" in frustration_signals("that didn't help at all", history, now=NOW)


def test_many_bot_turns_are_no_progress() -> None:
    history = []
    for i in range(3):
        history += [user(f"question {i}", 100 - i * 20), bot(f"answer {i}", 95 - i * 20)]
    assert "no_progress" in frustration_signals("and now?", history, now=NOW)


def test_an_agent_resets_no_progress() -> None:
    history = [bot("a", 50), bot("b", 40), bot("c", 30), Turn("agent", "Hi, I'm Sam", NOW - 20)]
    assert "no_progress" not in frustration_signals("thanks Sam", history, now=NOW)


@pytest.mark.parametrize("text", ["forget it, bye", "glöm det"])
def test_abrupt_leave_mid_conversation(text: str) -> None:
    history = [user("my refund?", 200), bot("A billing specialist will join here.", 199)]
    assert "abrupt_leave" in frustration_signals(text, history, now=NOW)


def test_signals_come_in_a_fixed_order() -> None:
    history = [user("WHERE IS MY REFUND", 10), user("WHERE IS MY REFUND", 5)]
    signals = frustration_signals("WHERE IS MY REFUND", history, now=NOW)
    assert signals == ("repeat", "shouting", "burst")
