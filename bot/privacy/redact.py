"""Redaction of personal data from free text before it leaves the case store.

Slack cards, thread copies and log lines get text that went through `redact`; the
design rule is "minimum necessary": no name, email, phone, card number or national id
number outside the store. Over-redaction costs readability; under-redaction leaks
health-adjacent data, so ambiguous long digit runs lean towards redaction, while short
everyday numbers (amounts, dates, times, case refs, years) are left alone.

Passes run from the most specific pattern to the least, and every placeholder is free
of digits, so a later pass never re-reads what an earlier one replaced.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import phonenumbers

from bot.privacy.common_words import looks_like_a_name

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
SSN = "[ssn]"
PERSONNUMMER = "[personnummer]"
IBAN = "[iban]"
NAME = "[name]"

DEFAULT_REGIONS: tuple[str, ...] = ("US", "GB", "SE", "IE")

_UNICODE_SPACES = {code: " " for code in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)}
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_NEAR_DIGIT_RE = re.compile(
    rf"(?<=[\d \-.])[{_ZERO_WIDTH}]+|[{_ZERO_WIDTH}]+(?=[\d \-.])"
)
_NON_ASCII_DIGIT_RE = re.compile(r"(?![0-9])\d")  # \d is every Unicode decimal digit

# Deliberately looser than RFC 5322: anything shaped like local@domain.tld goes.
_EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# Swedish personnummer / samordningsnummer (Skatteverket, SKV 704 and SKV 707):
# [CC]YYMMDD, then "-" (or "+" once the holder turns 100, or nothing), then three serial
# digits and a Luhn check digit computed over the ten digits YYMMDDNNN.
# A samordningsnummer adds 60 to the day.
_PERSONNUMMER_RE = re.compile(
    r"(?<![\w+-])(?P<century>(?:18|19|20))?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"(?:[-+ ])?(?P<serial>\d{3})(?P<check>\d)(?![\w-])"
)

# US SSN (SSA, "Social Security Number Randomization"): area 001-899 except 666,
# group 01-99, serial 0001-9999. Only the separated form is matched: nine bare digits
# are just as often an order or account number.
_SSN_RE = re.compile(
    r"(?<![\w-])(?P<area>\d{3})(?P<sep>[- ])(?P<group>\d{2})(?P=sep)(?P<serial>\d{4})(?![\w-])"
)

# Payment card numbers are 13-19 digits (ISO/IEC 7812) with a Luhn check digit, usually
# written in groups separated by spaces or dashes. A run of digit groups is matched whole,
# then searched for a Luhn-valid window, so a card followed by another number still goes.
_DIGIT_GROUPS_RE = re.compile(r"(?<![\w-])\d+(?:(?: {1,2}| ?[-.] ?)\d+)*(?![\w])")
_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19

# "+" then a country code: E.164 allows at most 15 digits. A number phonenumbers does not
# know to be valid (a fictional exchange, a new range) is still someone's number when
# written in international form, so it is redacted on shape alone.
_INTERNATIONAL_RE = re.compile(r"(?<![\w+])\+\d[\d ().-]{5,20}\d(?![\w])")
_E164_MIN_DIGITS = 8
_E164_MAX_DIGITS = 15

# Digit groups as people write phone numbers: "+46 70-123 45 67", "(415) 555-2671",
# "415.555.2671". A run of them may hold several numbers, or a number and a year.
_PHONE_GROUP_RE = re.compile(r"\+?\(?\d+\)?")
_PHONE_RUN_RE = re.compile(r"(?<![\w+/.-])\+?\(?\d+\)?(?:(?: ?[-.\u2013] ?| )?\(?\d+\)?)*(?![\w/])")
_PHONE_MIN_DIGITS = 7  # Irish and Swedish area numbers can be 5-6 digits after the code
_PHONE_MAX_GROUPS = 7
# d.m.yyyy, dd/mm/yy, yyyy-mm-dd: a date is never a phone number, whatever it parses as.
_DATE_RE = re.compile(r"(?<!\d)\d{1,4}([./-])\d{1,2}\1\d{1,4}(?!\d)")
_GLUED_BEFORE_RE = re.compile(r"(?:\w|[^\W\d_][-/#])$")
_GLUED_AFTER_RE = re.compile(r"^(?:\w|[-/][^\W\d_])")
_EDGE_PUNCTUATION_RE = re.compile(r"^\W+|\W+$")

# Nine bare digits are redacted as an SSN only when the words around them say so.
_SSN_BARE_RE = re.compile(
    r"(?P<lead>\b(?:ssn|social\s+security(?:\s+number)?|socsec)\b\W{0,3}(?:\w+\W{1,3}){0,3}?)"
    r"(?P<area>\d{3})(?P<group>\d{2})(?P<serial>\d{4})(?!\w)",
    re.IGNORECASE,
)

# IBAN (ISO 13616): country letters, two check digits, 11-30 more letters or digits,
# usually printed in groups of four; valid when the mod-97 of the rearranged number is 1.
_IBAN_START_RE = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}")
_IBAN_MIN_CHARS = 15
_IBAN_MAX_CHARS = 34


def redact(
    text: str,
    *,
    known_names: Iterable[str] = (),
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> str:
    """Replace personal data in `text` with placeholders.

    Emails become "[email]", Swedish personnummer and samordningsnummer "[personnummer]",
    US SSNs "[ssn]", Luhn-valid card numbers "[card]", IBANs "[iban]", phone numbers valid
    in any of `regions` (or written with a "+" country code) "[phone]", and each of
    `known_names` (whole name and its parts, any case, whole words only) "[name]", as is
    a name the person gives for themselves ("my name is …", "call me …", "jag heter …"),
    introduces themselves with ("I'm Sarah", "this is Sarah from …", "Hi, Sarah here",
    "det är Åsa") or signs off with at the end ("Thanks, Sarah", "Mvh Åsa", "- Sarah",
    "/Erik"). After those looser phrases only capitalised words that are not common ones
    count as a name, so "I'm Sorry", "This is Urgent" and "Thanks, Team" are kept.

    Pure CPU work: about 0.5-3 ms for a typical message, up to ~0.25 s for 4 KB of
    nothing but digit groups; callers with large untrusted text should cap its size.

    Args:
        text: free text, e.g. a message or the bot's reflected summary.
        known_names: the person's names as known to the platform (display name, first
            and last name). Empty strings are ignored.
        regions: ISO 3166 region codes whose national phone formats are recognised.
    """
    if not text:
        return text
    text = _normalise(text)
    if "@" in text:
        text = _EMAIL_RE.sub(EMAIL, text)
    # Every other pass needs a digit; most log lines and many messages have none.
    if any(char.isdigit() for char in text):
        text = _redact_ibans(text)
        text = _PERSONNUMMER_RE.sub(_personnummer_or_keep, text)
        text = _SSN_RE.sub(_ssn_or_keep, text)
        text = _SSN_BARE_RE.sub(_bare_ssn_or_keep, text)
        text = _DIGIT_GROUPS_RE.sub(_redact_cards_in_run, text)
        text = _redact_phones(text, regions)
    return _redact_names(text, known_names)


def _normalise(text: str) -> str:
    """Undo the ways pasted text hides digits from the patterns below.

    Numbers copied from banking apps and PDFs arrive with no-break or thin spaces, with
    zero-width characters between digits, or in fullwidth digits.
    """
    if text.isascii():
        return text
    text = text.translate(_UNICODE_SPACES)
    text = _ZERO_WIDTH_NEAR_DIGIT_RE.sub("", text)
    if _NON_ASCII_DIGIT_RE.search(text):
        text = _NON_ASCII_DIGIT_RE.sub(lambda m: str(unicodedata.decimal(m[0])), text)
    return text


def escape_slack(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack mrkdwn requires.

    Slack reads `<!channel>`, `<@U123>` and `<https://x|label>` as control sequences;
    once escaped, user text can neither ping anyone nor disguise a link. Not idempotent:
    escape exactly once, right before the text goes into a Slack payload.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_for_slack(text: str, *, known_names: Iterable[str] = ()) -> str:
    """Redact personal data, then escape for Slack mrkdwn.

    Args:
        text: user-derived text headed for a Slack card or thread.
        known_names: the person's known names, see `redact`.
    """
    return escape_slack(redact(text, known_names=known_names))


def luhn_valid(digits: str) -> bool:
    """True if the string of ASCII digits passes the Luhn (mod 10) check."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _personnummer_or_keep(match: re.Match[str]) -> str:
    month = int(match["mm"])
    day = int(match["dd"])
    if day > 60:  # samordningsnummer
        day -= 60
    if not 1 <= month <= 12 or day < 1:
        return match[0]
    century = match["century"]
    # Without a century the year is ambiguous; a leap year keeps 29 February possible.
    year = int(century + match["yy"]) if century else 2000
    if day > calendar.monthrange(year, month)[1]:
        return match[0]
    ten_digits = match["yy"] + match["mm"] + match["dd"] + match["serial"] + match["check"]
    if not luhn_valid(ten_digits):
        return match[0]
    return PERSONNUMMER


def _ssn_or_keep(match: re.Match[str]) -> str:
    area, group, serial = match["area"], match["group"], match["serial"]
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return match[0]
    return SSN


def _bare_ssn_or_keep(match: re.Match[str]) -> str:
    if _ssn_or_keep(match) == SSN:
        return match["lead"] + SSN
    return match[0]


def _redact_ibans(text: str) -> str:
    spans = []
    for start_match in _IBAN_START_RE.finditer(text):
        end = _longest_iban_end(text, start_match.start())
        if end is not None:
            spans.append((start_match.start(), end))
    return _replace_spans(text, spans, IBAN)


def _longest_iban_end(text: str, start: int) -> int | None:
    """End of the longest valid IBAN at `start`, allowing single spaces between groups."""
    chars: list[str] = []
    best: int | None = None
    index = start
    while index < len(text) and len(chars) < _IBAN_MAX_CHARS:
        char = text[index]
        if char.isascii() and char.isalnum():
            chars.append(char.upper())
            index += 1
            at_boundary = index == len(text) or not text[index].isalnum()
            if at_boundary and len(chars) >= _IBAN_MIN_CHARS and _iban_valid("".join(chars)):
                best = index
        elif char == " " and index + 1 < len(text) and text[index + 1].isalnum():
            index += 1
        else:
            break
    return best


def _iban_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _redact_cards_in_run(match: re.Match[str]) -> str:
    run = match[0]
    groups = list(re.finditer(r"\d+", run))
    if sum(len(g[0]) for g in groups) < _CARD_MIN_DIGITS:
        return run
    pieces: list[str] = []
    cursor = 0  # index into `run` up to which text has been copied or replaced
    start = 0
    while start < len(groups):
        end = _longest_card_window(run, groups, start)
        if end is None:
            start += 1
            continue
        pieces.append(run[cursor : groups[start].start()])
        pieces.append(CARD)
        cursor = groups[end - 1].end()
        start = end
    pieces.append(run[cursor:])
    return "".join(pieces)


def _longest_card_window(run: str, groups: list[re.Match[str]], start: int) -> int | None:
    """End index (exclusive) of the longest Luhn-valid card number starting at `start`.

    A window may not end where the next group is joined to its last one by a bare dash or
    dot ("… 070-123 45 67"): that group belongs to another number (a phone, which the
    phone pass then redacts whole), and cutting it would leave part of it readable.
    """
    best: int | None = None
    digits = ""
    for end in range(start, len(groups)):
        digits += groups[end][0]
        if len(digits) > _CARD_MAX_DIGITS:
            break
        joined = end + 1 < len(groups) and run[groups[end].end() : groups[end + 1].start()] in (
            "-",
            ".",
        )
        if len(digits) >= _CARD_MIN_DIGITS and not joined and luhn_valid(digits):
            best = end + 1
    return best


def _redact_phones(text: str, regions: Sequence[str]) -> str:
    spans: list[tuple[int, int]] = []
    for region in regions:
        # Leniency.VALID (the default) keeps most dates, times, amounts and short
        # references out: the digits must form a number the region's plan allows.
        for found in phonenumbers.PhoneNumberMatcher(text, region):
            if not _glued_to_a_word(text, found.start, found.end) and not _DATE_RE.search(
                found.raw_string
            ):
                spans.append((found.start, found.end))
    spans.extend(_phones_in_digit_runs(text, tuple(regions), found=spans))
    for found in _INTERNATIONAL_RE.finditer(text):
        digit_count = sum(char.isdigit() for char in found[0])
        if _E164_MIN_DIGITS <= digit_count <= _E164_MAX_DIGITS:
            spans.append(found.span())
    return _replace_spans(text, spans, PHONE)


def _phones_in_digit_runs(
    text: str, regions: tuple[str, ...], *, found: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Phone numbers that touch other digits ("070-123 45 67 070-123 45 67").

    PhoneNumberMatcher reads such a run as one over-long candidate and gives up, which
    would leak both numbers. Here each run is cut at group boundaries, and every window
    the matcher accepts whole, on its own and in its region's grouping, is a number.
    """
    spans: list[tuple[int, int]] = []
    for run in _PHONE_RUN_RE.finditer(text):
        if any(start <= run.start() and run.end() <= end for start, end in found):
            continue  # the whole run is one number the matcher already found
        groups = list(_PHONE_GROUP_RE.finditer(run[0]))
        if len(groups) < 2 or sum(char.isdigit() for char in run[0]) < _PHONE_MIN_DIGITS:
            continue  # a lone group was seen whole by the matcher; too few digits for a phone
        start = 0
        while start < len(groups):
            end = _longest_phone_window(run[0], groups, start, regions)
            if end is None:
                start += 1
                continue
            spans.append((run.start() + groups[start].start(), run.start() + groups[end - 1].end()))
            start = end
    return spans


def _longest_phone_window(
    run: str, groups: list[re.Match[str]], start: int, regions: tuple[str, ...]
) -> int | None:
    best: int | None = None
    digits = 0
    last = min(len(groups), start + _PHONE_MAX_GROUPS)
    for end in range(start, last):
        group_digits = sum(char.isdigit() for char in groups[end][0])
        if end > start and group_digits < 2:
            break  # "1 2 3 4 5 6 7" is a list; phone numbers only start with a 1-digit group
        digits += group_digits
        if digits > _E164_MAX_DIGITS:
            break
        if digits < _PHONE_MIN_DIGITS:
            continue
        window = run[groups[start].start() : groups[end].end()]
        if not _DATE_RE.search(window) and _is_whole_phone(window, regions):
            best = end + 1
    return best


@functools.lru_cache(maxsize=4096)
def _is_whole_phone(window: str, regions: tuple[str, ...]) -> bool:
    # A window is cut out of a longer run, so it must also be grouped the way the region
    # writes its numbers: "070-123 45 67" is a number, "90 070-123 45" is not.
    return any(
        found.start == 0 and found.end == len(window)
        for region in regions
        for found in phonenumbers.PhoneNumberMatcher(
            window, region, leniency=phonenumbers.Leniency.STRICT_GROUPING
        )
    )


def _glued_to_a_word(text: str, start: int, end: int) -> bool:
    """True for digits that are the tail or head of a reference like "INV-2024-000123"."""
    before = text[start - 2 : start]
    after = text[end : end + 2]
    return bool(_GLUED_BEFORE_RE.search(before) or _GLUED_AFTER_RE.match(after))


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    cursor = 0
    for start, end in merged:
        pieces.append(text[cursor:start])
        pieces.append(placeholder)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _redact_names(text: str, known_names: Iterable[str]) -> str:
    regex = _name_regex(tuple(known_names))
    if regex:
        text = regex.sub(NAME, text)
    text = _SELF_INTRODUCED_RE.sub(_self_introduced_name, text)
    if text.islower():
        return text  # the names below are capitalised; all-lower-case text has none
    return _replace_spans(text, [*_introduced_names(text), *_signed_names(text)], NAME)


# A person who introduces themselves: the platform does not pass people's names, so these
# phrases are where a name is known to follow. Looser phrases ("I'm", "this is", a
# sign-off) are handled further down, where a name must be capitalised.
_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
_SELF_INTRODUCED_RE = re.compile(
    r"(?P<intro>\b(?:my\s+name\s+is|my\s+name['’]s|i\s+am\s+called|i['’]m\s+called|"
    r"call\s+me|jag\s+heter|mitt\s+namn\s+är|jag\s+kallas)\s+)"
    rf"(?P<first>{_NAME_WORD})(?P<rest>(?:\s+{_NAME_WORD}){{0,3}})",
    re.IGNORECASE,
)
_REST_WORD_RE = re.compile(rf"\s+({_NAME_WORD})")
# Words that follow those phrases without being a name: "my name is on the invoice",
# "call me back", "jag heter inte så".
_NOT_A_NAME = frozenset(
    """a also already an and at back but by changed correct different displayed fine here
    hidden in incorrect listed missing misspelled misspelt not now on or please public
    right same shown showing soon spelled spelt still the there today tomorrow tonight
    under visible when written wrong alltid fel inte nu också på redan rätt samma stavat
    synligt ändrat""".split()
)


def _self_introduced_name(match: re.Match[str]) -> str:
    """The name after a self-introduction: its first word, and the capitalised words
    after it ("my name is Sarah Connor and" keeps "and")."""
    first = match["first"]
    if first.casefold() in _NOT_A_NAME:
        return match[0]
    if match["intro"].strip().casefold().startswith("call") and not first[0].isupper():
        return match[0]  # "call me crazy": only a capitalised word is taken for a name
    end = 0  # where the name ends in the words after the first
    for word in _REST_WORD_RE.finditer(match["rest"]):
        if not word[1][0].isupper() or word[1].casefold() in _NOT_A_NAME:
            break
        end = word.end()
    kept = match["rest"][end:]
    return f"{match['intro']}{NAME}{kept}"


# "I'm Sarah", "this is Sarah from …", "Hi, Sarah here", "det är Åsa", "Hej, Åsa här".
# These phrases are far more often followed by a state than a name ("I'm Sorry", "This is
# Urgent", "I'm Swedish"), so the name must be 1-3 capitalised words that are not common
# ones (`looks_like_a_name`) and end a clause ("I'm Tired of this" keeps "Tired"). Text
# in capitals or title case ("I AM SORRY", "This Is Ridiculous") capitalises every word,
# so the phrase must be written in lower case. "this is" and "X here" only count where
# they open the message or a line, after an optional greeting: mid-message they are
# about something else ("and this is Unacceptable").
_OPENING = (
    r"(?:^|\n)[ \t]*(?:(?i:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|hej|hejsan"
    r"|hallå|tjena|god\s+(?:morgon|dag|kväll))"
    r"(?:(?:[ \t]+[^\W\d_]+){0,3}[ \t]*[,.!:–—-]+\s*|\s+))?"
)
_INTRODUCTION_RE = re.compile(
    rf"(?:\b(?:[Ii]['’]?m|[Ii] am|[Jj]ag är)|{_OPENING}(?:[Tt]his is|[Dd]et är))[ \t]+(?=\w)"
)
_NAME_HERE_RE = re.compile(
    rf"{_OPENING}(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})[ \t]+(?:here|här)"
    r"(?=[ \t]*(?:\Z|[\n,.!:;–—-]|(?:from|with|again|från|med|igen)\b))"
)
_WORD_AT_RE = re.compile(rf"[ \t]*({_NAME_WORD})")
# What the passes before the names leave of an email address or a number: after a name it
# ends the name as a comma would ("I'm Sarah [phone]", "Sarah Johnson\n[email]").
_PLACEHOLDER = "|".join(re.escape(p) for p in (EMAIL, PHONE, CARD, SSN, PERSONNUMMER, IBAN))
_CLAUSE_END_RE = re.compile(
    rf"[ \t]*(?:\Z|[\n,.!;:()–—-]|{_PLACEHOLDER}|(?:from|here|and|från|här|och)\b)",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 3


def _introduced_names(text: str) -> list[tuple[int, int]]:
    spans = []
    for found in _INTRODUCTION_RE.finditer(text):
        start = found.end()
        # The longest run of name-like words after which the clause ends.
        for end in reversed(_name_word_ends(text, start)):
            if _CLAUSE_END_RE.match(text, end):
                spans.append((start, end))
                break
    for found in _NAME_HERE_RE.finditer(text):
        if _is_a_name(found["name"]):
            spans.append(found.span("name"))
    return spans


def _name_word_ends(text: str, start: int) -> list[int]:
    """Where each of the name-like words (at most three) from `start` on ends."""
    ends: list[int] = []
    while len(ends) < _MAX_NAME_WORDS:
        word = _WORD_AT_RE.match(text, ends[-1] if ends else start)
        if not word or not looks_like_a_name(word[1], first=not ends):
            break
        ends.append(word.end())
    return ends


def _is_a_name(words: str) -> bool:
    return all(
        looks_like_a_name(word, first=index == 0) for index, word in enumerate(words.split())
    )


# A sign-off: "Thanks, Sarah", "Best regards,\nJo", "Mvh Åsa Öberg", "Tack på förhand,
# Anna", "Tack! /Erik", or a name alone after a dash or slash: "- Sarah", "/Erik". Only
# the last words of the message count. A closing that is also an everyday word ("best",
# "love", "cheers") must open a line or follow a sentence; one that is not ("thanks",
# "regards", "mvh", "tack") may follow anything, and a few lower-case words may follow
# it ("thanks for your help, Sarah"). The name stands on its own line or after a comma,
# dash or slash: as a new sentence on the same line it is capitalised anyway ("thanks
# for nothing. Unsubscribe"). A dash line after a colon or another bullet is a list
# item ("Tried:\n- Restart"), not a signature.
_CLOSING = (
    r"(?:\b(?i:thanks|thank\s+you|thx|regards|mvh|hälsningar|hälsning|hälsar|tack)"
    r"|(?:^|(?<=[\n.!?,;:)]))[ \t]*"
    r"(?i:best|best\s+wishes|all\s+the\s+best|cheers|love|sincerely|yours(?:\s+\w+)?"
    r"|take\s+care|bye|br|kram|kramar|vh|allt\s+gott|ha\s+det\s+(?:bra|gott)))\b"
    r"(?:[ \t]+[a-zåäö'’]+){0,6}"
)
_AFTER_CLOSING = r"(?:[\s,.!:;]+(?:[-–—~/]{1,2}[ \t]*)?|[ \t]*[-–—~/]{1,2}[ \t]*)"
_DASH_LINE = r"(?:^|\n)[ \t]*[-–—~]{1,2}[ \t]*"
_SLASH = r"(?:^|(?<=\s))/{1,2}[ \t]*"
# After the name only full stops, "!", a smiley or emoji, or the contact details a
# signature gives under or beside a name, already redacted ("Sarah Johnson\n[email]",
# "Sarah ([phone])"): "- Conversations: 12" is no name.
_CONTACT = rf"(?:[,|(/:–—-][ \t]*)?(?:{_PLACEHOLDER})\)?"
_SIGN_OFF_END = (
    rf"(?:[\s.!]|[:;]-?[)D]|<3|[\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]|{_CONTACT})*\Z"
)
_SIGN_OFF_RE = re.compile(
    rf"(?:(?P<closing>{_CLOSING})(?P<gap>{_AFTER_CLOSING})|(?P<dash>{_DASH_LINE})|{_SLASH})"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}}){_SIGN_OFF_END}"
)
_NEW_SENTENCE_RE = re.compile(r"[ \t]*[.!]+[ \t]+")
_BULLET_LINE_RE = re.compile(r"(?:^|\n)[ \t]*(?:[-–—*•]|\d+[.)])")
# A sign-off is short; looking only at the end keeps long messages cheap.
_SIGN_OFF_MAX_CHARS = 160
_LAST_WORD_RE = re.compile(rf"(?<![^\W\d_'’-])({_NAME_WORD}){_SIGN_OFF_END}")
_LAST_WORD_MAX_CHARS = 48


def _signed_names(text: str) -> list[tuple[int, int]]:
    # Most messages do not end in a capitalised word; that is quicker to see than a closing.
    last = _LAST_WORD_RE.search(text, max(0, len(text) - _LAST_WORD_MAX_CHARS))
    if not last or last[1][0].islower():
        return []
    found = _SIGN_OFF_RE.search(text, max(0, len(text) - _SIGN_OFF_MAX_CHARS))
    if not found or not _is_a_name(found["name"]):
        return []
    if found["gap"] is not None and _NEW_SENTENCE_RE.fullmatch(found["gap"]):
        return []
    if found["dash"] is not None:
        before = text[: found.start("dash")].rstrip()
        if before.endswith(":") or _BULLET_LINE_RE.search(before):
            return []
    return [found.span("name")]


def _name_regex(known_names: tuple[str, ...]) -> re.Pattern[str] | None:
    variants: set[str] = set()
    for name in known_names:
        words = name.split()
        if not words:
            continue
        variants.add(" ".join(words))
        parts = (_EDGE_PUNCTUATION_RE.sub("", word) for word in words)
        # A single letter ("J.") is too often an ordinary word or initial to redact alone.
        variants.update(part for part in parts if len(part) >= 2)
    # People often type "Asa Oberg" for "Åsa Öberg" on a keyboard without the letters.
    variants |= {_fold_accents(variant) for variant in variants}
    if not variants:
        return None
    # Longest first, so "Anna Svensson" goes as one placeholder rather than two.
    alternatives = sorted(variants, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(part) for part in v.split(" ")) for v in alternatives)
    # The optional "s" is the Swedish genitive, written without an apostrophe ("Annas konto").
    return re.compile(rf"(?<!\w)(?:{body})(?:s)?(?!\w)", re.IGNORECASE)


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
