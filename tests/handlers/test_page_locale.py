"""The page around the chat says its language: the greeting is in it, and the person's
answers still follow the language they write in (only `locale` forces that)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.support import Person

SWEDISH_GREETING = "Hej, jag är supportassistenten"
ENGLISH_GREETING = "Hi, I'm the support assistant"


def texts(answer: dict[str, list[dict[str, str]]]) -> str:
    return " ".join(message["text"] for message in answer["messages"])


async def test_a_swedish_page_is_greeted_in_swedish_and_answered_in_the_persons_language(
    client: TestClient,
) -> None:
    person = Person(client)
    started = await person.start(page_locale="sv-SE")
    assert texts(started).startswith(SWEDISH_GREETING)
    answer = await person.say("I was charged twice for my session last week")
    assert "charged twice" in texts(answer)  # in English, as she wrote

    other = Person(client)
    await other.start(page_locale="sv")
    svar = await other.say("Jag har blivit debiterad två gånger för samma session")
    assert "två gånger" in texts(svar)


async def test_a_page_language_the_bot_does_not_speak_is_greeted_in_english(
    client: TestClient,
) -> None:
    started = await Person(client).start(page_locale="de-DE")
    assert texts(started).startswith(ENGLISH_GREETING)


async def test_a_forced_locale_wins_over_the_pages(client: TestClient) -> None:
    started = await Person(client).start(locale="en", page_locale="sv")
    assert texts(started).startswith(ENGLISH_GREETING)
