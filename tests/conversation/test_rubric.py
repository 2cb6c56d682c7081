"""The listening rubric: the shipped library passes, and each rule catches what it should."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.conversation.crisis import CrisisResources
from bot.conversation.engine import Engine
from bot.conversation.rubric import (
    RUBRICS,
    check_crisis,
    check_library,
    check_replies,
    check_template,
)
from bot.conversation.templates import Template, TemplateLibrary

FILE = Path("/ops/templates/en.yaml")


def _template(group: str, text: str, locale: str = "en") -> Template:
    return Template(f"{locale}:{group}.1", text, group, locale, FILE, 7)


def _rules(group: str, text: str, locale: str = "en") -> set[str]:
    failures = check_template(_template(group, text, locale), RUBRICS[locale], ["you were charged"])
    return {f.rule for f in failures}


def test_the_shipped_library_passes_the_rubric() -> None:
    crisis = CrisisResources.load().all_templates()
    report = check_library(TemplateLibrary.load(), crisis)
    assert report.ok, "\n".join(str(f) for f in report.failures)
    assert report.checked > 500 + len(crisis) and len(crisis) > 10


@pytest.mark.parametrize(
    ("group", "text", "rule"),
    [
        ("billing.own.upset", "I understand, and this is on us.", "banned-phrase"),
        ("billing.own.upset", "Please calm down; we'll fix it.", "banned-phrase"),
        ("billing.own.upset", "Sorry for the inconvenience, we will look.", "banned-phrase"),
        ("other.own.neutral", "As I said, our team handles this.", "banned-phrase"),
        ("other.own.neutral", "Per our policy we look at this.", "banned-phrase"),
        ("other.own.neutral", "You should check your card; we can help.", "banned-phrase"),
        ("other.own.neutral", "At least we caught it.", "banned-phrase"),
        ("clinical.own.worried", "Our team says your dose sounds fine.", "clinical-content"),
        ("clinical.own.worried", "Try to relax; our team will reply.", "clinical-content"),
        ("clinical.own.worried", "Our team can diagnose this.", "clinical-content"),
        # Apologies: name the impact, own it, never conditional or blaming.
        ("billing.own.upset", "I'm sorry if we charged you twice.", "apology"),
        ("billing.own.upset", "I'm sorry you feel that way about our billing.", "apology"),
        ("billing.own.upset", "We're sorry.", "apology"),
        ("billing.own.upset", "Sorry, but you didn't cancel in time.", "apology"),
        ("billing.own.neutral", "The charge will be looked at.", "owns-the-issue"),
        ("billing.reflect.upset", "That sounds frustrating.", "declarative-reflection"),
        ("billing.reflect.upset", "{Reflection}, is that right?", "one-question"),
        ("billing.offer", "Someone can look at it.", "next-step"),
        ("billing.next", "{Who} will join here and look at the charge with you.", "next-step"),
        ("question.confirm", "Did I get that right? Or not?", "one-question"),
        ("billing.reflect.neutral", "So {reflection}  .", "slots"),
    ],
)
def test_each_rule_catches_its_failure(group: str, text: str, rule: str) -> None:
    assert rule in _rules(group, text)


@pytest.mark.parametrize(
    ("group", "text", "rule"),
    [
        ("billing.own.upset", "Jag förstår, och det är vårt ansvar.", "banned-phrase"),
        ("billing.own.upset", "Förlåt för besväret, vi tittar på det.", "banned-phrase"),
        ("billing.own.upset", "Du borde kolla ditt kort; vi hjälper till.", "banned-phrase"),
        ("billing.own.upset", "Förlåt om vi drog pengar två gånger.", "apology"),
        ("clinical.own.worried", "Vårt team säger att din medicin är rätt.", "clinical-content"),
        ("billing.offer", "Någon tittar på det.", "next-step"),
    ],
)
def test_swedish_rules(group: str, text: str, rule: str) -> None:
    assert rule in _rules(group, text, "sv")


@pytest.mark.parametrize(
    ("group", "text"),
    [
        ("billing.own.upset", "I'm sorry we charged you twice for one session; that's on us."),
        ("billing.reflect.upset", "{Reflection}, and that's maddening."),
        ("billing.next", "{Who} will join here, usually within {wait} minutes."),
        ("account.own.sad", "You shouldn't have to struggle with this; it's on us."),
        ("question.confirm", "Did I get that right?"),
        (
            "selfserve.howto_reset_password",
            'Tap "Forgot password?"; the link comes within 5 minutes.',
        ),
    ],
)
def test_good_lines_pass(group: str, text: str) -> None:
    assert _rules(group, text) == set()


def test_a_failure_names_file_line_template_and_rule() -> None:
    failures = check_template(
        _template("billing.own.upset", "I understand. We will fix it."), RUBRICS["en"]
    )
    assert [str(f) for f in failures] == [
        "/ops/templates/en.yaml:7: en:billing.own.upset.1: banned-phrase: says 'i understand'"
    ]


def test_the_persons_own_words_are_not_held_against_the_template() -> None:
    # The person may say "at least" or "dose"; reflecting it back is listening, not advice.
    template = _template("clinical.reflect.worried", "{Reflection}, and that's worrying.")
    rendered_for = ["you'd like to know whether to increase your dose at least a bit"]
    assert check_template(template, RUBRICS["en"], rendered_for) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "A member of our crisis team is joining you now. Are you safe right now?",
            "crisis-regional-number",
        ),
        ("If you are in danger call 988. Are you safe right now?", "crisis-human-now"),
        (
            "Someone from our crisis team is joining you now; call 988 if you are in danger.",
            "crisis-safety-question",
        ),
        ("Someone is joining you now; call 988. Are you near a bridge?", "crisis-no-method-words"),
        (
            "This stays between us. Someone is joining you now; call 988. Are you safe?",
            "crisis-no-confidentiality-promise",
        ),
    ],
)
def test_crisis_rules(text: str, rule: str) -> None:
    rules = {f.rule for f in check_crisis(FILE, "en:crisis.reply.1", "en", text)}
    assert rule in rules


def test_a_good_crisis_reply_passes() -> None:
    text = (
        "Thank you for telling me. A member of our crisis team is joining you here now. "
        "If you are in danger right now, call or text 988, or 911. Are you safe right now?"
    )
    assert check_crisis(FILE, "en:crisis.reply.1", "en", text) == []
    swedish = (
        "Tack för att du berättar. Någon i vårt kristeam kommer hit nu. Ring Mind "
        "Självmordslinjen på 90101, eller 112 vid fara. Är du i säkerhet just nu?"
    )
    assert check_crisis(FILE, "sv:crisis.reply.1", "sv", swedish) == []


def test_composed_replies_pass_and_a_broken_step_is_caught() -> None:
    engine = Engine.load()
    report = check_replies(engine)
    assert report.ok, "\n".join(str(f) for f in report.failures)
    assert report.checked >= 10

    # A library whose hand-off lines forget the wait: the whole reply no longer says when.
    broken = TemplateLibrary.load()
    en = broken.for_locale("en")
    en.groups["billing.next"] = tuple(
        replace(t, text="{Who} will join here to look at the charge with you.")
        for t in en.groups["billing.next"]
    )
    speaking_broken = Engine(
        understander=engine.understander,
        templates=broken,
        routing=engine.routing,
        crisis=engine.crisis,
    )
    failures = check_replies(speaking_broken, {"en": ("I want my money back",)}).failures
    assert len(failures) == 1
    assert failures[0].rule == "reply"
    assert "en:billing.next." in failures[0].template_id
    assert "a hand-off must say who (a billing specialist) and when (10)" in failures[0].detail
