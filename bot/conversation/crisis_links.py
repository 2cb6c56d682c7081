"""Which words of a crisis reply are links: the numbers to call or text, the site to open.

On a phone, a person in crisis should tap a number, not copy it by hand. The links are
data, written next to the sentences that hold them (crisis_resources.yaml, a region's
`links:`) and checked at load, so the page never has to guess numbers out of text. The
message JSON carries them (handlers/chat_api.py); messages are stored as plain text, so
they are found again, by `LinkIndex`, whenever a message is serialised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# The schemes a link may use; the widget renders no other (handlers/static/chat.js).
SCHEMES = ("tel:", "sms:", "https:")
_TEL = re.compile(r"tel:(\+?[0-9]+)")
# RFC 5724 puts the body after "?"; iOS (8 and later) reads it only after "&", Android only
# after "?". "sms:741741?&body=HOME" satisfies both (the field before "&" is empty).
_SMS = re.compile(r"sms:(\+?[0-9]+)(?:\?&?body=(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+)?")
_NOT_A_DIGIT = re.compile(r"[^0-9+]")


@dataclass(frozen=True)
class CrisisLink:
    """A link in a crisis reply: `text` exactly as the sentence has it, and where it goes."""

    text: str
    href: str

    def as_json(self) -> dict[str, str]:
        return {"text": self.text, "href": self.href}


def href_problem(text: str, href: str) -> str | None:
    """What is wrong with a link from the data file, or None.

    A number in the link's text must be the number the link dials, so a typo in either is
    caught at load rather than by a person in crisis reaching a wrong number.
    """
    if not href.startswith(SCHEMES):
        return f"href {href!r} must start with one of {', '.join(SCHEMES)}"
    if href.startswith("https:"):
        parts = urlsplit(href)
        if not parts.netloc or not href.startswith("https://") or re.search(r"[\s\"'<>]", href):
            return f"href {href!r} is not a web address such as https://mind.se"
        return None
    match = (_TEL if href.startswith("tel:") else _SMS).fullmatch(href)
    if match is None:
        example = "tel:116123" if href.startswith("tel:") else "sms:741741?&body=HOME"
        return f"href {href!r} is not a phone number link such as {example}"
    shown = _NOT_A_DIGIT.sub("", text)
    if any(c.isdigit() for c in shown) and shown != match.group(1):
        return f"link text {text!r} shows another number than {href!r} dials"
    return None


class LinkIndex:
    """Finds which resources sentence a message holds, and that sentence's links.

    A substring check per sentence with links: with the shipped file, 1.6 µs for a typical
    message that is not a crisis reply, cheap enough for every message serialised.
    """

    def __init__(self, sentences: Mapping[str, Iterable[CrisisLink]]) -> None:
        # Each resources sentence with its links in their order in it (its texts are in
        # it: checked at load).
        self._sentences = tuple(
            (sentence, tuple(sorted(links, key=lambda link: sentence.index(link.text))))
            for sentence, links in sentences.items()
            if links
        )

    def links_in(self, text: str) -> tuple[CrisisLink, ...]:
        """The links of the resources sentence `text` holds, in their order; () if none."""
        for sentence, links in self._sentences:
            if sentence in text:
                return links
        return ()
