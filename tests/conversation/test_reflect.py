"""Pronoun reflection: what the person reads back is their own words, persons swapped."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.reflect import MAX_REFLECTION_WORDS, Reflector
from bot.conversation.templates import TemplateLibrary

# shared/ sits beside the repository (DESIGN.md); a fresh clone elsewhere has no copy.
SHARED_EXTERNAL = Path(__file__).parents[2].parent / "shared/data/external"
ELIZA_TSV = SHARED_EXTERNAL / "eliza_1966_conversation.tsv"
DOCTOR_SCRIPT = SHARED_EXTERNAL / "eliza_doctor_script_1966.txt"

# The sample conversation in Weizenbaum, "ELIZA", CACM 9(1), 1966 (CC0, via anthay/ELIZA),
# person -> ELIZA, as in shared/data/external/eliza_1966_conversation.tsv.
ELIZA_1966: tuple[tuple[str, str], ...] = (
    ("Men are all alike.", "IN WHAT WAY"),
    ("They're always bugging us about something or other.", "CAN YOU THINK OF A SPECIFIC EXAMPLE"),
    ("Well, my boyfriend made me come here.", "YOUR BOYFRIEND MADE YOU COME HERE"),
    ("He says I'm depressed much of the time.", "I AM SORRY TO HEAR YOU ARE DEPRESSED"),
    ("It's true. I am unhappy.", "DO YOU THINK COMING HERE WILL HELP YOU NOT TO BE UNHAPPY"),
    (
        "I need some help, that much seems certain.",
        "WHAT WOULD IT MEAN TO YOU IF YOU GOT SOME HELP",
    ),
    ("Perhaps I could learn to get along with my mother.", "TELL ME MORE ABOUT YOUR FAMILY"),
    ("My mother takes care of me.", "WHO ELSE IN YOUR FAMILY TAKES CARE OF YOU"),
    ("My father.", "YOUR FATHER"),
    ("You are like my father in some ways.", "WHAT RESEMBLANCE DO YOU SEE"),
    (
        "You are not very aggressive but I think you don't want me to notice that.",
        "WHAT MAKES YOU THINK I AM NOT VERY AGGRESSIVE",
    ),
    ("You don't argue with me.", "WHY DO YOU THINK I DON'T ARGUE WITH YOU"),
    ("You are afraid of me.", "DOES IT PLEASE YOU TO BELIEVE I AM AFRAID OF YOU"),
    ("My father is afraid of everybody.", "WHAT ELSE COMES TO MIND WHEN YOU THINK OF YOUR FATHER"),
    (
        "Bullies.",
        "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE",
    ),
)

# ELIZA's answers that reflect the person's words, and the reflected words in each. The
# other answers ("IN WHAT WAY", "TELL ME MORE ABOUT YOUR FAMILY") are canned, and the last
# one recalls an earlier message: none reflects the words it answers.
ELIZA_REFLECTIONS: dict[str, str] = {
    "Well, my boyfriend made me come here.": "YOUR BOYFRIEND MADE YOU COME HERE",
    "He says I'm depressed much of the time.": "YOU ARE DEPRESSED",
    "It's true. I am unhappy.": "UNHAPPY",
    "I need some help, that much seems certain.": "SOME HELP",
    "My mother takes care of me.": "TAKES CARE OF YOU",
    "My father.": "YOUR FATHER",
    "You are not very aggressive but I think you don't want me to notice that.": (
        "I AM NOT VERY AGGRESSIVE"
    ),
    "You don't argue with me.": "I DON'T ARGUE WITH YOU",
    "You are afraid of me.": "I AM AFRAID OF YOU",
    "My father is afraid of everybody.": "YOUR FATHER",
}


@functools.cache
def _library() -> TemplateLibrary:
    return TemplateLibrary.load()


def _english() -> Reflector:
    return _library().for_locale("en").reflector


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return _library()


@pytest.fixture(scope="module")
def en(library: TemplateLibrary) -> Reflector:
    return library.for_locale("en").reflector


@pytest.fixture(scope="module")
def sv(library: TemplateLibrary) -> Reflector:
    return library.for_locale("sv").reflector


def _expand(text: str) -> str:
    """Compare like ELIZA: upper case, contractions spelled out."""
    text = text.upper().replace("’", "'")
    for short, full in (("YOU'RE", "YOU ARE"), ("I'M", "I AM"), ("WE'RE", "WE ARE")):
        text = text.replace(short, full)
    return text


def test_the_copy_of_the_1966_conversation_matches_the_shared_file() -> None:
    if not ELIZA_TSV.is_file():
        pytest.skip(f"{ELIZA_TSV} is not here (shared/ sits beside the repository)")
    lines = ELIZA_TSV.read_text(encoding="utf-8").splitlines()[1:]
    assert tuple(tuple(line.split("\t")) for line in lines if "\t" in line) == ELIZA_1966


def test_every_eliza_reflection_in_the_1966_conversation_comes_out_right(en: Reflector) -> None:
    checked = 0
    for person, eliza in ELIZA_1966:
        if person not in ELIZA_REFLECTIONS:
            continue
        expected = ELIZA_REFLECTIONS[person]
        assert expected in eliza, "the table must quote ELIZA's own answer"
        ours = _expand(en.reflect_issue(person).text)
        assert expected in ours, f"{person!r} -> {ours!r}, ELIZA said {eliza!r}"
        checked += 1
    assert checked == len(ELIZA_REFLECTIONS)


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("my boyfriend made me come here", "your boyfriend made you come here"),
        ("I'm upset that you charged me", "you're upset that we charged you"),
        # The 1966 program said "YOU WASN'T"; the verb follows the new subject.
        (
            "i wasn't confused until i started talking with you",
            "you weren't confused until you started talking with me",
        ),
        ("I was charged twice", "you were charged twice"),
        (
            "I've emailed you three times and you never answered",
            "you've emailed us three times and we never answered",
        ),
        ("YOU CHARGED ME TWICE FOR ONE SESSION", "we charged you twice for one session"),
        ("I paid you $90 and got nothing", "you paid us $90 and got nothing"),
        ("Your app logged me out again", "our app logged you out again"),
        (
            "Am I being charged for this?",
            "you'd like to know whether you are being charged for this",
        ),
    ],
)
def test_english_reflection(en: Reflector, said: str, reflected: str) -> None:
    assert en.reflect_issue(said).text == reflected


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("How do I reset my password?", "you'd like to know how to reset your password"),
        (
            "Does my plan renew automatically?",
            "you'd like to know whether your plan renews automatically",
        ),
        (
            "Why was my session cancelled automatically?",
            "you'd like to know why your session was cancelled automatically",
        ),
        (
            "Do you sell my information to anyone?",
            "you'd like to know whether we sell your information to anyone",
        ),
        ("Are my sessions recorded?", "you'd like to know whether your sessions are recorded"),
        (
            "what's included in the premium plan?",
            "you'd like to know what's included in the premium plan",
        ),
        ("Can you refund me?", "you'd like us to refund you"),
        (
            "Erase my chat history and personal information please",
            "you'd like us to erase your chat history and personal information",
        ),
    ],
)
def test_questions_and_requests_are_said_back_as_statements(
    en: Reflector, said: str, reflected: str
) -> None:
    result = en.reflect_issue(said)
    assert result.text == reflected
    assert "?" not in result.text


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        (
            "Jag har dragits pengar trots att jag sagt upp mitt konto.",
            "du har dragits pengar trots att du sagt upp ditt konto",
        ),
        (
            "Jag ringde er tre gånger och ni svarade aldrig",
            "du ringde oss tre gånger och vi svarade aldrig",
        ),
        ("Er app loggar ut mig hela tiden", "vår app loggar ut dig hela tiden"),
        ("Mina kvitton saknas i appen", "dina kvitton saknas i appen"),
        ("Jag vill prata med dig om min faktura", "du vill prata med mig om din faktura"),
        ("Hur säger jag upp min prenumeration?", "du undrar hur du säger upp din prenumeration"),
        ("Kan jag få en ny terapeut?", "du undrar om du kan få en ny terapeut"),
        (
            "Säljer ni mina uppgifter till annonsörer?",
            "du undrar om vi säljer dina uppgifter till annonsörer",
        ),
    ],
)
def test_swedish_reflection(sv: Reflector, said: str, reflected: str) -> None:
    assert sv.reflect_issue(said).text == reflected


@pytest.mark.parametrize(
    "message",
    [
        "Hi there! I was charged twice",
        "Hello, good morning. I was charged twice.",
        "hey team, well, I was charged twice",
    ],
)
def test_greetings_are_stripped(en: Reflector, message: str) -> None:
    assert en.reflect_issue(message).text == "you were charged twice"


def test_hej_is_stripped_in_swedish(sv: Reflector) -> None:
    assert sv.reflect_issue("Hej! Jag har glömt mitt lösenord.").text == (
        "du har glömt ditt lösenord"
    )


def test_the_clause_with_the_issue_is_picked_not_the_feeling_or_filler(en: Reflector) -> None:
    said = (
        "My session froze and I couldn't reconnect. I'm really upset, that was my only "
        "free hour this week."
    )
    topic_words = ("session", "froze", "reconnect")
    assert en.reflect_issue(said, topic_words=topic_words).text == (
        "your session froze and you couldn't reconnect"
    )
    assert en.reflect_issue("It's true. I am unhappy.").text == "you are unhappy"


def test_a_wall_of_text_is_never_echoed(en: Reflector) -> None:
    wall = (
        "so basically what happened is that I logged in on Monday and the app said my "
        "card was declined even though I have money and then I tried again and it charged "
        "me twice and then it logged me out and I could not get back in for an hour"
    )
    said = en.reflect_issue(wall).text
    assert 0 < len(re.findall(r"\w+", said)) <= MAX_REFLECTION_WORDS
    assert said.startswith("you logged in on Monday")


def test_a_question_that_cannot_be_restated_gives_way_to_a_statement(en: Reflector) -> None:
    said = en.reflect_issue("I think I have depression, what are the signs?").text
    assert said == "you think you have depression"


@pytest.mark.parametrize("said", ["thanks!", "hello", "you", "I I I I", "🙂🙂", "a" * 5000])
def test_nothing_to_reflect_gives_empty_text(en: Reflector, said: str) -> None:
    assert en.reflect_issue(said).text == ""


def test_a_long_message_is_cut_at_a_space(en: Reflector) -> None:
    said = en.reflect_issue("my receipt link is https://example.com/" + "x" * 300).text
    assert said == "your receipt link is"


# The DOCTOR script's substitutions (Weizenbaum 1966, appendix), each in a sentence.
DOCTOR_SUBSTITUTIONS = [
    ("(DONT = DON'T)", "i dont get it", "you don't get it"),
    ("(CANT = CAN'T)", "i cant log in", "you can't log in"),
    ("(AM = ARE", "I am worried", "you are worried"),
    ("(WERE = WAS", "you were rude to me", "I was rude to you"),
    ("(ME = YOU)", "it logged me out", "it logged you out"),
    ("(YOU'RE = I'M", "you're not listening", "I'm not listening"),
    ("(I'M = YOU'RE", "I'm stuck", "you're stuck"),
    ("(MYSELF = YOURSELF)", "I fixed it myself", "you fixed it yourself"),
    ("(YOURSELF = MYSELF)", "you keep repeating yourself", "I keep repeating myself"),
    ("(I = YOU", "I need help with billing", "you need help with billing"),
    ("(YOU = I", "you don't listen", "I don't listen"),
    ("(MY = YOUR", "my card was declined", "your card was declined"),
]


@pytest.mark.parametrize(("rule", "said", "reflected"), DOCTOR_SUBSTITUTIONS)
def test_the_doctor_scripts_substitutions(
    en: Reflector, rule: str, said: str, reflected: str
) -> None:
    if DOCTOR_SCRIPT.is_file():
        assert rule in DOCTOR_SCRIPT.read_text(encoding="utf-8")
    assert en.reflect_issue(said).text == reflected


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("you guys charged me twice", "we charged you twice"),
        ("Why do you keep charging me?", "you'd like to know why we keep charging you"),
        ("Why did you cancel my session?", "you'd like to know why we cancelled your session"),
        (
            "Did you take money from my card?",
            "you'd like to know whether we took money from your card",
        ),
        ("Why does the app crash?", "you'd like to know why the app crashes"),
    ],
)
def test_company_you_and_tenses(en: Reflector, said: str, reflected: str) -> None:
    assert en.reflect_issue(said).text == reflected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_reflects_to_a_short_statement(text: str) -> None:
    said = _english().reflect_issue(text).text
    assert "?" not in said
    assert len(re.findall(r"\w+", said)) <= MAX_REFLECTION_WORDS + 6
    assert len(said) <= 200
