"""The crisis reply: a person is joining now, the regional numbers, one safety question.

DESIGN.md "Reflective listening": when safety is urgent this reply goes first, in the same
turn, ahead of anything about the original request. Texts and numbers are data
(`bot/data/crisis_resources.yaml`), checked at load so a bad edit fails at start-up with
the file and line, not in front of a person in danger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.conversation.crisis_links import CrisisLink, LinkIndex, href_problem
from bot.conversation.yamlnodes import Node, compose_file
from bot.datafiles import find_data_file

CRISIS_FILE = "crisis_resources.yaml"
DEFAULT_LOCALE = "en"
# Region used when neither the person's region nor their locale tag says where they are.
FALLBACK_REGION = "DEFAULT"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_REGION_CODE = re.compile(r"^[A-Z]{2,3}$|^EU$|^DEFAULT$")


@dataclass(frozen=True)
class _Texts:
    replies: dict[str, tuple[str, ...]]
    check_ins: dict[str, tuple[str, ...]]
    waiting: dict[str, tuple[str, ...]]


class CrisisResources:
    """Crisis replies, check-in questions and waiting lines, per locale and region."""

    def __init__(
        self,
        *,
        path: Path,
        resources: dict[str, dict[str, str]],
        aliases: dict[str, str],
        eu: frozenset[str],
        locale_regions: dict[str, str],
        texts: _Texts,
        links: LinkIndex | None = None,
    ) -> None:
        self._path = path
        self._resources = resources
        self._aliases = aliases
        self._eu = eu
        self._locale_regions = locale_regions
        self._texts = texts
        self._links = links or LinkIndex({})

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> CrisisResources:
        """Read and validate the crisis resources file.

        Args:
            data_dir: an override folder; its crisis_resources.yaml wins over the packaged one.

        Raises:
            DataFileError: the file is missing or malformed (the message names file and line).
        """
        return _load(find_data_file(CRISIS_FILE, data_dir))

    def region_for(self, *, locale: str, region: str | None) -> str:
        """The region whose numbers to give: the person's own if known, else the locale's.

        A region with no entry of its own gets the EU entry (EU/EEA countries) or DEFAULT.

        Args:
            locale: a locale tag such as "en", "en-GB" or "sv".
            region: the person's region code if known ("US", "uk", "DE", ...).
        """
        if region:
            code = region.strip().upper()
            code = self._aliases.get(code, code)
            if code in self._resources:
                return code
            if code in self._eu:
                return "EU"
            # A known place without its own entry: the locale's country would give
            # numbers that do not work there.
            return FALLBACK_REGION
        tag = (locale or DEFAULT_LOCALE).strip().lower().replace("_", "-")
        for candidate in (tag, tag.split("-")[0]):
            if candidate in self._locale_regions:
                return self._locale_regions[candidate]
        return FALLBACK_REGION

    def reply(self, *, locale: str, region: str | None, variant: int = 0) -> tuple[str, str]:
        """The crisis reply for this person: (template id, text).

        Args:
            locale: the conversation's language ("en", "sv"; others read as English).
            region: the person's region code if known.
            variant: which wording (cycles), so a second reply does not repeat the first.
        """
        lang = self._lang(locale)
        code = self.region_for(locale=locale, region=region)
        templates = self._texts.replies[lang]
        index = variant % len(templates)
        text = templates[index].replace("{resources}", self._resources_text(code, lang))
        return f"crisis.{lang}.{index}", text

    def check_in(self, *, locale: str, variant: int = 0) -> tuple[str, str]:
        """A gentle, direct question for ambiguous distress: (template id, text)."""
        lang = self._lang(locale)
        questions = self._texts.check_ins[lang]
        index = variant % len(questions)
        return f"crisis.check_in.{lang}.{index}", questions[index]

    def waiting_message(self, *, locale: str, n: int) -> str:
        """The n-th "still here with you" line while the person waits for a human."""
        lines = self._texts.waiting[self._lang(locale)]
        return lines[n % len(lines)]

    def links_in(self, text: str) -> tuple[CrisisLink, ...]:
        """The links of the resources sentence that `text` holds (a crisis reply), in order.

        () for any other text (a substring check per sentence: see LinkIndex).
        """
        return self._links.links_in(text)

    def all_templates(self) -> list[tuple[Path, str, str, str]]:
        """Every crisis reply (rendered for each region) and check-in, for the rubric.

        Waiting lines are left out: they are neither a crisis reply nor a question.
        """
        found: list[tuple[Path, str, str, str]] = []
        for lang, templates in self._texts.replies.items():
            for index, template in enumerate(templates):
                for code in self._resources:
                    text = template.replace("{resources}", self._resources_text(code, lang))
                    found.append((self._path, f"crisis.{lang}.{index}@{code}", lang, text))
        for lang, questions in self._texts.check_ins.items():
            for index, question in enumerate(questions):
                found.append((self._path, f"crisis.check_in.{lang}.{index}", lang, question))
        return found

    def _lang(self, locale: str) -> str:
        base = (locale or DEFAULT_LOCALE).lower().replace("_", "-").split("-")[0]
        return base if base in self._texts.replies else DEFAULT_LOCALE

    def _resources_text(self, code: str, lang: str) -> str:
        by_locale = self._resources[code]
        return by_locale.get(lang) or by_locale[DEFAULT_LOCALE]


# --- loading and validation ---------------------------------------------------------------


def _load(path: Path) -> CrisisResources:
    root = compose_file(path)
    allowed = {"regions", "aliases", "eu", "locale_regions", "replies", "check_ins", "waiting"}
    for key, node in root.items():
        if key not in allowed:
            raise node.key_error(f"unknown key {key!r} (expected one of {sorted(allowed)})")
    resources: dict[str, dict[str, str]] = {}
    sentence_links: dict[str, tuple[str, tuple[CrisisLink, ...]]] = {}
    for code, entry in _required(root, "regions").items():
        if not _REGION_CODE.match(code):
            raise entry.key_error(f"region {code!r}: use an upper-case code such as US or SE")
        for key, value in entry.items():
            if key not in ("resources", "links"):
                raise value.key_error(
                    f"unknown key {key!r} in region {code} (expected resources, links)"
                )
        by_locale = {
            lang: _resources_text(text) for lang, text in _required(entry, "resources").items()
        }
        if DEFAULT_LOCALE not in by_locale:
            raise entry.error(f"region {code}: resources need an {DEFAULT_LOCALE!r} text")
        resources[code] = by_locale
        links = _links(entry.get("links"), code, by_locale)
        for lang, sentence in by_locale.items():
            known = sentence_links.setdefault(sentence, (code, links))
            if known[1] != links:
                raise entry.error(
                    f"region {code}, locale {lang}: the same resources text as region "
                    f"{known[0]} but other links; give both the same links"
                )
    if FALLBACK_REGION not in resources:
        raise _required(root, "regions").error(f"regions: add a {FALLBACK_REGION} entry")
    aliases = {
        key.upper(): _region_ref(value, resources) for key, value in _mapping(root, "aliases")
    }
    eu = frozenset(code.upper() for code in _optional_texts(root.get("eu")))
    if eu and "EU" not in resources:
        raise _required(root, "eu").error("eu: countries listed but there is no EU region")
    locale_regions = {
        key.lower(): _region_ref(value, resources)
        for key, value in _mapping(root, "locale_regions")
    }
    texts = _Texts(
        replies=_variants(_required(root, "replies"), kind="reply"),
        check_ins=_variants(_required(root, "check_ins"), kind="check_in"),
        waiting=_variants(_required(root, "waiting"), kind="waiting"),
    )
    if DEFAULT_LOCALE not in texts.replies:
        raise _required(root, "replies").error(f"replies: add {DEFAULT_LOCALE!r} variants")
    for name, group in (("check_ins", texts.check_ins), ("waiting", texts.waiting)):
        missing = set(texts.replies) - set(group)
        if missing:
            raise _required(root, name).error(f"{name}: no variants for {sorted(missing)}")
    _check_replies_leave_links_to_resources(_required(root, "replies"), texts, sentence_links)
    return CrisisResources(
        path=path,
        resources=resources,
        aliases=aliases,
        eu=eu,
        locale_regions=locale_regions,
        texts=texts,
        links=LinkIndex({sentence: links for sentence, (_, links) in sentence_links.items()}),
    )


def _required(node: Node, key: str) -> Node:
    value = node.get(key)
    if value is None:
        raise node.error(f"missing key {key!r}")
    return value


def _mapping(root: Node, key: str) -> list[tuple[str, Node]]:
    node = root.get(key)
    return [] if node is None else list(node.items())


def _optional_texts(node: Node | None) -> list[str]:
    return [] if node is None else node.texts()


def _region_ref(node: Node, resources: dict[str, dict[str, str]]) -> str:
    code = node.text().upper()
    if code not in resources:
        raise node.error(f"unknown region {code!r} (define it under regions:)")
    return code


def _resources_text(node: Node) -> str:
    text = node.text()
    # The reply asks exactly one question; the numbers must not add another.
    if "?" in text:
        raise node.error("resources must not contain a question mark (the reply asks one)")
    if _PLACEHOLDER.search(text):
        raise node.error("resources are plain text: no {placeholders}")
    return text


def _links(node: Node | None, code: str, by_locale: dict[str, str]) -> tuple[CrisisLink, ...]:
    """A region's links: each one's text must be in every locale's sentence, whole."""
    if node is None:
        return ()
    links: list[CrisisLink] = []
    for item in node.sequence():
        for key, value in item.items():
            if key not in ("text", "href"):
                raise value.key_error(f"unknown key {key!r} in a link (expected text, href)")
        text, href = _required(item, "text").text(), _required(item, "href").text()
        problem = href_problem(text, href)
        if problem:
            raise item.error(f"region {code}: {problem}")
        if any(link.text == text for link in links):
            raise item.error(f"region {code}: link text {text!r} is listed twice")
        for lang, sentence in by_locale.items():
            if text not in sentence:
                raise item.error(
                    f"region {code}, locale {lang}: link text {text!r} does not occur in "
                    "the resources text (write it exactly as the sentence has it)"
                )
        links.append(CrisisLink(text=text, href=href))
    # The page links each text where it first appears in the sentence: two that overlap
    # there cannot both be links.
    for lang, sentence in by_locale.items():
        spans = sorted(links, key=lambda link: sentence.index(link.text))
        for first, second in zip(spans, spans[1:], strict=False):
            if sentence.index(first.text) + len(first.text) > sentence.index(second.text):
                raise node.error(
                    f"region {code}, locale {lang}: link texts {first.text!r} and "
                    f"{second.text!r} overlap in the resources text"
                )
    return tuple(links)


def _check_replies_leave_links_to_resources(
    node: Node, texts: _Texts, sentence_links: dict[str, tuple[str, tuple[CrisisLink, ...]]]
) -> None:
    # The page links the first place a link's text appears in the message: a reply's own
    # words must not have it before the resources sentence does.
    link_texts = {link.text for _, links in sentence_links.values() for link in links}
    for lang, templates in texts.replies.items():
        for index, template in enumerate(templates):
            own_words = template.replace("{resources}", "\n")
            for text in sorted(link_texts):
                if text in own_words:
                    raise node.error(
                        f"replies: {lang} variant {index + 1} has the link text {text!r} "
                        "outside {resources}; only the resources sentence may"
                    )


def _variants(node: Node, *, kind: str) -> dict[str, tuple[str, ...]]:
    variants: dict[str, tuple[str, ...]] = {}
    for lang, items in node.items():
        texts: list[str] = []
        for item in items.sequence():
            text = item.text()
            names = set(_PLACEHOLDER.findall(text))
            allowed = {"resources"} if kind == "reply" else set()
            if names - allowed:
                raise item.error(f"unknown placeholder(s) {sorted(names - allowed)} in a {kind}")
            if kind == "reply" and "resources" not in names:
                raise item.error("a crisis reply must include {resources} (the numbers)")
            questions = text.count("?")
            if kind in ("reply", "check_in") and questions != 1:
                raise item.error(f"a {kind} asks exactly one question; this has {questions}")
            texts.append(text)
        if not texts:
            raise items.error(f"{kind}: at least one variant for {lang!r}")
        variants[lang] = tuple(texts)
    return variants
