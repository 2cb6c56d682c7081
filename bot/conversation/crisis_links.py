"""Which words of a crisis reply are links: the numbers to call or text, the site to open.

On a phone, a person in crisis should tap a number, not copy it by hand. The links are
data, written next to the sentences that hold them (crisis_resources.yaml, a region's
`links:`) and checked at load, so the page never has to guess numbers out of text. The
message JSON carries them (handlers/chat_api.py); messages are stored as plain text, so
they are found again, by `LinkIndex`, whenever a message is serialised.
"""

from __future__ import annotations

import re
from collections import Counter
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
# How long a stretch of a sentence `LinkIndex` looks for first. Long enough to be rare in
# ordinary replies, short enough that one stretch is shared by many sentences.
ANCHOR_CHARS = 16


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

    Most messages are not crisis replies, so they must cost next to nothing: at load the
    sentences are grouped under a few short stretches of text (`ANCHOR_CHARS`) that each
    sentence of a group contains (a piece of "If you are in immediate danger" for the
    English ones, of "Om du är i akut fara" for the Swedish ones). A
    message without any of those stretches (one substring check per group: two for the
    shipped file) has no links; only one with a stretch is compared with whole sentences.
    """

    def __init__(self, sentences: Mapping[str, Iterable[CrisisLink]]) -> None:
        # Each resources sentence and its links, whose texts it holds (checked at load).
        in_order = {
            sentence: tuple(sorted(links, key=lambda link: sentence.index(link.text)))
            for sentence, links in sentences.items()
        }
        self._groups = tuple(
            (anchor, tuple((sentence, in_order[sentence]) for sentence in members))
            for anchor, members in _anchor_groups([s for s, links in in_order.items() if links])
        )

    def links_in(self, text: str) -> tuple[CrisisLink, ...]:
        """The links of the resources sentence `text` holds, in their order; () if none."""
        for anchor, members in self._groups:
            if anchor in text:
                for sentence, links in members:
                    if sentence in text:
                        return links
        return ()


def _windows(sentence: str) -> set[str]:
    width = min(ANCHOR_CHARS, len(sentence))
    return {sentence[i : i + width] for i in range(len(sentence) - width + 1)}


def _anchor_groups(sentences: list[str]) -> list[tuple[str, list[str]]]:
    """Greedy: the stretch shared by most sentences left, until every one is covered."""
    remaining = sorted(set(sentences), key=lambda s: (-len(s), s))
    groups: list[tuple[str, list[str]]] = []
    while remaining:
        shared = Counter(window for sentence in remaining for window in _windows(sentence))
        anchor = max(sorted(_windows(remaining[0])), key=lambda window: shared[window])
        groups.append((anchor, [s for s in remaining if anchor in s]))
        remaining = [s for s in remaining if anchor not in s]
    return groups
