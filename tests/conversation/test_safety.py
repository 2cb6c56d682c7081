"""Safety detection measured on the shared sets, long posts, conversations and bad data.

Targets (GitHub issue 4): recall 1.0 on urgent rows; idioms and past context rated urgent
at most 1 in 10; false urgent on ordinary support messages at most 0.5 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.safety import SafetyAssessment, SafetyModel
from bot.datafiles import DataFileError

SHARED_DATA = Path(__file__).parents[3] / "shared/data"
SUPPORT_SETS = (
    "dev_support.jsonl",
    "external/bitext_support_dev.jsonl",
    "external/banking77_billing_account_dev.jsonl",
    "external/goemotions_dev.jsonl",
)


def _rows(name: str) -> list[dict[str, str]]:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (shared/ sits beside the repository)")
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def model() -> SafetyModel:
    return SafetyModel.load()


def test_every_urgent_dev_row_is_urgent(model: SafetyModel) -> None:
    rows = [row for row in _rows("dev_safety.jsonl") if row["safety"] == "urgent"]
    missed = [
        row["text"]
        for row in rows
        if model.assess(row["text"], locale=row["locale"]).level != "urgent"
    ]
    assert len(rows) >= 20
    assert missed == []


def test_idioms_and_past_context_are_rarely_urgent(model: SafetyModel) -> None:
    rows = [row for row in _rows("dev_safety.jsonl") if row["safety"] == "not_urgent"]
    urgent = [
        row["text"]
        for row in rows
        if model.assess(row["text"], locale=row["locale"]).level == "urgent"
    ]
    assert rows
    assert len(urgent) / len(rows) <= 0.1, urgent


def test_ordinary_support_messages_are_almost_never_urgent(model: SafetyModel) -> None:
    urgent_by_set: dict[str, list[str]] = {}
    total = 0
    for name in SUPPORT_SETS:
        rows = _rows(name)
        total += len(rows)
        urgent_by_set[name] = [
            row["text"]
            for row in rows
            if model.assess(row["text"], locale=row.get("locale", "en")).level == "urgent"
        ]
        # Each set on its own, so a large clean set cannot hide a bad small one.
        assert len(urgent_by_set[name]) / len(rows) <= 0.005, (name, urgent_by_set[name])
    assert total > 4000
    all_urgent = [text for texts in urgent_by_set.values() for text in texts]
    assert len(all_urgent) / total <= 0.005, all_urgent


LONG_POSTS = [
    (
        "en",
        "I don't really know why I'm writing this here, maybe because it's 3am and nobody "
        "else is awake. My week has been the same as every other week. I got up, I went to "
        "work, I sat at my desk and answered emails, I came home and ate cereal standing up "
        "because cooking felt like too much. My sister called and I let it ring out. I used "
        "to love painting but the brushes have been dry in a jar for months now. At work my "
        "manager asked if everything was ok and I said yes, of course, because what else do "
        "you say. I've been sleeping maybe four hours a night and the rest of the time I "
        "just lie there and stare at the ceiling and go over every stupid thing I ever said. "
        "My therapist is lovely but she's on leave and the new one doesn't know me. Tonight "
        "I sat in the car in the parking lot for an hour before I could make myself go "
        "inside. I keep thinking that I just don't want to be here anymore. I'm not sure "
        "why I'm telling a support chat this. Anyway, my last invoice looked wrong too.",
    ),
    (
        "en",
        "Long story, sorry. Things started going downhill last spring when I lost my job and "
        "then my partner moved out. I moved back in with my parents, which has been its own "
        "kind of hell, they mean well but they don't get it. I've been on this platform for "
        "six months and honestly the sessions help a bit. But the last few weeks have been "
        "bad again. I stopped going to the gym, stopped seeing friends, stopped answering "
        "texts. I spend most of the day in bed scrolling. Last Tuesday I took a whole bunch "
        "of my sleeping pills and just hoped it would be over, I woke up in the afternoon "
        "with a headache and nobody even noticed. I haven't told anyone. I'm scared of "
        "what I might do next time. I don't even know what I want from writing this.",
    ),
    (
        "en",
        "Honestly I'm exhausted. Every day feels the same and I can't see a way out of any "
        "of it. I feel like such a burden on my family, they keep having to help me with "
        "money and I can't even hold down a part-time job. I've been crying every night. "
        "Nothing matters anymore and I can't do this anymore. I keep the blinds closed and "
        "barely eat. I know I should reach out but I don't know how, so here I am.",
    ),
    (
        "sv",
        "Jag vet inte riktigt varför jag skriver här, det är mitt i natten och ingen annan "
        "är vaken. Veckan har varit som alla andra veckor. Jag går till jobbet, sitter vid "
        "skrivbordet, kommer hem och äter något stående i köket. Min syster ringde men jag "
        "svarade inte. Jag sover knappt längre och ligger mest och stirrar i taket. Min "
        "terapeut är föräldraledig och den nya känner mig inte. Ikväll satt jag i bilen i "
        "en timme innan jag orkade gå in. Jag tänker hela tiden att jag inte vill leva "
        "längre. Jag vet inte varför jag berättar det för en kundtjänst. Fakturan var fel "
        "också förresten.",
    ),
]


MORE_LONG_POSTS = [
    (
        "en",
        (
            "I don't even know why I'm posting this. I've been in therapy for two years and on "
            "three different meds and nothing changes. Every morning I wake up and the first "
            "feeling is dread. I go to work, I come home, I lie in bed. My friends stopped "
            "inviting me places because I always cancel. My mom calls and I pretend I'm fine. I "
            "don't know how much longer I can keep doing this. I'm so tired of pretending. "
            "Sometimes when I'm driving I think about how easy it would be to just turn the "
            "wheel."
        ),
    ),
    (
        "en",
        (
            "Last night was really bad. I sat in the bathroom for hours with a razor in my hand. "
            "I didn't use it but I wanted to so badly. I haven't hurt myself in almost a year and"
            " I feel like I'm going to lose that streak. My partner is asleep in the next room "
            "and has no idea. I can't tell my therapist because she'll want to increase my "
            "sessions and I can't afford it. Everything feels heavy. I'm writing here because I "
            "don't know where else to go."
        ),
    ),
    (
        "en",
        (
            "Two weeks ago I took an overdose. I spent three days in the hospital and now "
            "everyone is walking on eggshells around me. My parents keep checking on me every "
            "hour. The doctors said I was lucky. I don't feel lucky. I feel embarrassed and angry"
            " that it didn't work. I'm back at work like nothing happened and nobody there knows."
            " I keep thinking about next time and doing it properly."
        ),
    ),
    (
        "en",
        (
            "My whole life has been a series of failures. I dropped out of college, I lost my job"
            " in March, my girlfriend left me for my best friend. I live in my car now most "
            "nights. I've started giving my stuff away to people who can use it. I wrote a letter"
            " to my sister explaining everything. I don't think anyone will be surprised. I just "
            "want to be at peace finally."
        ),
    ),
    (
        "en",
        (
            "I've been having these thoughts for months now. They started small, like wishing I "
            "could just not exist for a while. Now it's every day. I look up methods at night and"
            " then delete my history. I know which pills would work and I know where my mom keeps"
            " hers. I haven't done anything yet. I'm scared of myself. I don't want to worry my "
            "therapist but I think I need to tell someone."
        ),
    ),
    (
        "en",
        (
            "Hi. I'm 16 and I don't know who else to talk to. My stepdad drinks every night and "
            "when he's drunk he hits my mom and sometimes me. Last night he pushed me into the "
            "wall and I have a bruise on my back. My mom says not to tell anyone or we'll lose "
            "the house. I'm scared to go home after school. I'm sorry if this is the wrong place."
        ),
    ),
    (
        "en",
        (
            "Honestly I feel like I'm drowning. Work is crushing me, my relationship is falling "
            "apart and I haven't slept properly in weeks. I cry in the shower every morning so no"
            " one hears. I keep thinking everyone would be fine without me, maybe even better. I "
            "don't have a plan or anything. I just feel like a burden to everyone who loves me."
        ),
    ),
    (
        "en",
        (
            "It's 4am and I'm standing on my balcony. I'm on the 14th floor. I've been out here "
            "for an hour. I keep looking down. I texted my brother goodbye but he's asleep. I "
            "don't know why I'm writing to a support chat of all places. Maybe I just want "
            "someone to know."
        ),
    ),
    (
        "sv",
        (
            "Jag vet inte ens varför jag skriver här. Jag har gått i terapi i två år och provat "
            "tre olika mediciner och ingenting blir bättre. Varje morgon vaknar jag med en klump "
            "i magen. Jag jobbar, kommer hem, ligger i sängen. Mina vänner har slutat höra av "
            "sig. Mamma ringer och jag låtsas att allt är bra. Jag vet inte hur länge till jag "
            "orkar hålla på så här. Ibland när jag kör bil tänker jag på hur lätt det vore att "
            "bara svänga av vägen."
        ),
    ),
    (
        "sv",
        (
            "För två veckor sedan tog jag en massa tabletter. Jag låg på sjukhus i tre dagar och "
            "nu går alla som på äggskal runt mig. Läkarna sa att jag hade tur. Jag känner mig "
            "inte lyckligt lottad. Jag skäms och är arg att det inte fungerade. Jag tänker på "
            "nästa gång."
        ),
    ),
    (
        "sv",
        (
            "Jag har haft de här tankarna i månader. De började smått, som att önska att jag inte"
            " fanns ett tag. Nu är det varje dag. Jag letar efter sätt på nätterna och raderar "
            "sedan historiken. Jag vet vilka tabletter som skulle fungera. Jag har inte gjort "
            "något än. Jag är rädd för mig själv."
        ),
    ),
    (
        "sv",
        (
            "Jag mår så dåligt. Jobbet krossar mig, mitt förhållande håller på att ta slut och "
            "jag har inte sovit ordentligt på veckor. Jag gråter i duschen varje morgon. Jag "
            "tänker hela tiden att alla skulle klara sig bättre utan mig. Jag känner mig som en "
            "börda för alla som bryr sig om mig."
        ),
    ),
]

LONG_ORDINARY_POSTS = [
    (
        "en",
        (
            "I've been a member since January and I really like my therapist, but the billing has"
            " been a nightmare. I was charged twice in March, then the refund went to an old card"
            " that I cancelled, and now your system says I owe $90. I've called three times and "
            "each time the hold music was killing me. I'm dead tired of explaining the same "
            "thing. I'm not going to cancel, I just want someone to actually fix it. Please look "
            "at my account and call me back."
        ),
    ),
    (
        "en",
        (
            "My therapist has been great helping me process my grandfather's death last year. "
            "We've talked a lot about grief and about my anxiety at work. The only problem is the"
            " app keeps crashing when I open the video room, and yesterday the session link was "
            "dead. I had to jump on a call from my laptop instead. Can someone look into the "
            "crash? I'm on Android 14."
        ),
    ),
    (
        "en",
        (
            "I used to struggle with self-harm when I was a teenager but I've been doing well for"
            " years, partly thanks to this platform. I'm writing because I'm moving to Sweden "
            "next month and want to know whether I can keep my therapist, and whether my records,"
            " including my history of self-harm, will be transferred or deleted. I'm not in any "
            "danger, I just want to understand the privacy policy."
        ),
    ),
    (
        "en",
        (
            "Ugh, this week. My landlord raised the rent, my car died on the motorway and my boss"
            " keeps piling on work. I'm exhausted and honestly I could cry. On top of that your "
            "app charged me for a session my therapist cancelled. I'd like a refund for that one "
            "and maybe to pause for a month while I sort things out. Thanks."
        ),
    ),
    (
        "sv",
        (
            "Jag har varit medlem sedan januari och gillar min terapeut, men faktureringen har "
            "varit en mardröm. Jag blev dubbeldebiterad i mars och återbetalningen gick till ett "
            "gammalt kort. Jag har ringt tre gånger och är dödstrött på att förklara samma sak. "
            "Jag vill inte säga upp mig, jag vill bara att någon fixar det. Ring mig gärna."
        ),
    ),
]


@pytest.mark.parametrize(("locale", "post"), LONG_POSTS + MORE_LONG_POSTS)
def test_a_long_post_is_read_sentence_by_sentence(
    model: SafetyModel, locale: str, post: str
) -> None:
    assert len(post.split()) > 40 and len(post) > 250
    assert model.assess(post, locale=locale).level == "urgent"


# Forum-style posts: no capitals, little punctuation, the danger said in passing.
RAW_POSTS = [
    (
        "idk why im even posting this but i just feel like theres no way out anymore. ive "
        "been struggling for years and every time things get a little better something else "
        "goes wrong. my parents dont talk to me, i lost my job last month and my girlfriend "
        "left. i keep thinking everyone would be happier if i just disappeared. i dont really"
        " have anyone to talk to so here i am"
    ),
    (
        "so last night i tried to hang myself but the rope broke. i havent told anyone. my "
        "mom thinks i fell and thats why i have marks on my neck. i dont know what to do now "
        "honestly i kind of wish it had worked"
    ),
    (
        "every day i wake up and wish i hadnt. i go through the motions at school and come "
        "home and lie in bed. i used to love drawing but now i cant even pick up a pencil. i "
        "think about death constantly. not in a dramatic way just like a constant background "
        "thought that it would be nice to not exist"
    ),
    (
        "i have a bottle of pills on my desk and ive been staring at it for an hour. i "
        "counted them twice. i keep thinking about my little brother and thats the only "
        "reason i havent taken them yet"
    ),
    (
        "3 years clean from cutting and i relapsed tonight. i feel so stupid. the cuts are "
        "deeper than they used to be and i dont know if i should go to the er. i dont want to"
        " explain it to anyone"
    ),
    (
        "i dont want to die exactly i just want everything to stop. i want to sleep for a "
        "really long time and not have to deal with anything. is that normal? i feel like a "
        "ghost in my own life"
    ),
    (
        "my anxiety has been through the roof and i barely eat. im tired all the time and i "
        "feel worthless. nobody at work would notice if i just stopped showing up. i dont see"
        " the point in any of it anymore"
    ),
    (
        "i took 20 of my sleeping pills about an hour ago and now im scared. i feel really "
        "dizzy. i dont know why im typing this"
    ),
]


@pytest.mark.parametrize("post", RAW_POSTS)
def test_raw_forum_posts_are_urgent(model: SafetyModel, post: str) -> None:
    assert model.assess(post, locale="en").level == "urgent"


RAW_POSTS_SV = [
    (
        "vet inte varför jag skriver detta men jag ser ingen väg ut längre. har kämpat i "
        "flera år och varje gång det blir lite bättre händer något nytt. mina föräldrar "
        "pratar inte med mig, jag förlorade jobbet och flickvännen lämnade mig. jag tänker "
        "hela tiden att alla skulle må bättre om jag bara försvann"
    ),
    (
        "igår försökte jag hänga mig men repet gick sönder. har inte berättat för någon. "
        "mamma tror att jag ramlade"
    ),
    (
        "varje morgon vaknar jag och önskar att jag inte gjort det. jag tänker på döden hela "
        "tiden, inte dramatiskt men som en tanke i bakgrunden att det vore skönt att inte "
        "finnas"
    ),
    (
        "jag har en burk tabletter på skrivbordet och har stirrat på den i en timme. har "
        "räknat dem två gånger. det enda som håller mig tillbaka är min lillebror"
    ),
    (
        "tre år utan att skära mig och ikväll fick jag återfall. såren är djupare än förut "
        "och jag vet inte om jag ska åka till akuten"
    ),
    ("jag tog 20 sömntabletter för en timme sen och nu är jag rädd. jag är jätteyr"),
    ("jag vill inte dö exakt men jag vill att allt ska sluta. jag vill sova länge och slippa allt"),
    (
        "ångesten är hemsk och jag äter knappt. jag är trött hela tiden och känner mig "
        "värdelös. ingen på jobbet skulle märka om jag slutade komma. jag ser ingen mening "
        "med något längre"
    ),
]


@pytest.mark.parametrize("post", RAW_POSTS_SV)
def test_raw_swedish_forum_posts_are_urgent(model: SafetyModel, post: str) -> None:
    assert model.assess(post, locale="sv").level == "urgent"


@pytest.mark.parametrize(
    "text",
    ["my cat is the only thing keeping me here", "the only reason im still alive is my kids"],
)
def test_the_only_thing_keeping_me_here(model: SafetyModel, text: str) -> None:
    assert model.assess(text, locale="en").level == "urgent"


@pytest.mark.parametrize(("locale", "post"), LONG_ORDINARY_POSTS)
def test_long_ordinary_posts_with_heavy_words_are_not_urgent(
    model: SafetyModel, locale: str, post: str
) -> None:
    assert model.assess(post, locale=locale).level != "urgent"


def test_a_long_ordinary_complaint_is_not_urgent(model: SafetyModel) -> None:
    post = (
        "I have been a member for almost a year and until now everything has been fine. "
        "Last month I was charged twice for my subscription, once on the 3rd and again on "
        "the 4th. I wrote to support and was told it would be fixed within five days. It "
        "has now been three weeks. My bank says the charge is pending, your app says it is "
        "paid, and my therapist's calendar says my next session is cancelled because of a "
        "payment problem. I am honestly exhausted by this. I had to jump on a call with my "
        "bank twice and the hold music was killing me. Please refund the second charge and "
        "restore my booking, I don't want to lose my slot."
    )
    assert model.assess(post, locale="en").level != "urgent"


def test_distress_that_builds_up_over_a_conversation_becomes_urgent(
    model: SafetyModel,
) -> None:
    history = ["I feel so hopeless lately", "everything is falling apart"]
    alone = model.assess("I can't do this anymore", locale="en")
    built_up = model.assess("I can't do this anymore", locale="en", history=history)
    assert alone.level == "check_in"
    assert built_up == SafetyAssessment("urgent", "cumulative_distress")


def test_an_earlier_crisis_makes_a_later_doubtful_message_urgent(model: SafetyModel) -> None:
    history = ["I took a lot of my pills"]
    assert model.assess("I feel so alone", locale="en", history=history).level == "urgent"


def test_ordinary_history_does_not_raise_an_ordinary_message(model: SafetyModel) -> None:
    history = ["I was charged twice", "the app keeps crashing", "this is the third time"]
    assert model.assess("can I get a refund please", locale="en", history=history).level == ("none")


def test_nobody_would_notice_needs_the_person_gone(model: SafetyModel) -> None:
    assert model.assess("no one would notice if I left", locale="en").level == "urgent"
    cancelled = "Nobody would notice if I cancelled my subscription"
    assert model.assess(cancelled, locale="en").level != "urgent"


def test_frustration_with_the_service_does_not_build_up_to_a_crisis(
    model: SafetyModel,
) -> None:
    history = ["I'm so tired of this app", "I give up on your billing team"]
    assert model.assess("I can't take it anymore", locale="en", history=history).level == (
        "check_in"
    )
    charged = "I can't take it anymore, this is the third time I've been charged"
    assert model.assess(charged, locale="en", history=history).level == "none"
    assert model.assess("jag orkar inte mer med den här appen", locale="sv").level == "none"


def test_swedish_distress_builds_up_too(model: SafetyModel) -> None:
    history = ["jag känner mig så hopplös", "allt rasar ihop"]
    assert model.assess("orkar inte med någonting", locale="sv").level == "check_in"
    assert model.assess("orkar inte med någonting", locale="sv", history=history).level == (
        "urgent"
    )


def test_the_kind_says_why(model: SafetyModel) -> None:
    assert model.assess("I want to kill myself", locale="en").kind == "ideation_direct"
    assert model.assess("I took a whole bottle of pills", locale="en").kind == "overdose"
    assert model.assess("my husband hits me", locale="en").kind == "abuse"
    assert model.assess("how do I reset my password", locale="en") == SafetyAssessment("none")


def test_unknown_locales_and_odd_input_are_read_as_english(model: SafetyModel) -> None:
    assert model.assess("I want to die", locale="fr-FR").level == "urgent"
    assert model.assess("", locale="en") == SafetyAssessment("none")
    assert model.assess("   \n  ", locale="sv") == SafetyAssessment("none")
    assert model.assess("I WANT TO END MY LIFE", locale="EN").level == "urgent"
    assert model.assess("I don’t want to be alive anymore", locale="en").level == "urgent"


# --- data validation ----------------------------------------------------------------------


def _write_lexicon(tmp_path: Path, body: str, locale: str = "en") -> Path:
    folder = tmp_path / "safety"
    folder.mkdir(exist_ok=True)
    path = folder / f"{locale}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_TAIL = "cumulative:\n  threshold: 3\n  window: 6\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "locale: en\nmasks: []\nrules:\n  - kind: x\n    level: urgent\n"
            "    patterns:\n      - 'fine'\n      - '(unclosed'\n" + GOOD_TAIL,
            8,
            "not a valid regex",
        ),
        (
            "locale: en\nmasks: []\nrules:\n  - kind: x\n    level: maybe\n"
            "    patterns: ['a']\n" + GOOD_TAIL,
            5,
            "level must be one of",
        ),
        (
            "locale: en\nmasks: []\nrules:\n  - kind: x\n    level: urgent\n"
            "    patterns:\n      - 'a {nothing} b'\n" + GOOD_TAIL,
            7,
            "unknown macro {nothing}",
        ),
        (
            "locale: en\nmasks: []\nrules:\n  - kind: x\n    level: urgent\n"
            "    pattern: ['a']\n" + GOOD_TAIL,
            6,
            "unknown key 'pattern'",
        ),
        (
            "locale: en\nmasks: []\nrules:\n  - kind: x\n    level: urgent\n"
            "    patterns:\n      - 'I want'\n" + GOOD_TAIL,
            7,
            "lower case",
        ),
        ("locale: en\nmasks: []\nrules: [\n", 4, ""),
    ],
)
def test_a_bad_lexicon_fails_at_load_naming_file_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = _write_lexicon(tmp_path, body)
    with pytest.raises(DataFileError) as caught:
        SafetyModel.load(data_dir=tmp_path)
    assert f"{path}:{line}" in str(caught.value)
    assert message in str(caught.value)


def test_an_override_lexicon_replaces_the_shipped_one(tmp_path: Path) -> None:
    _write_lexicon(
        tmp_path,
        "locale: en\nmacros:\n  word: 'zebra|okapi'\nmasks: []\nrules:\n"
        "  - kind: test_kind\n    level: urgent\n    patterns:\n      - '\\b(?:{word})\\b'\n"
        + GOOD_TAIL,
    )
    model = SafetyModel.load(data_dir=tmp_path)
    assert model.assess("an okapi", locale="en") == SafetyAssessment("urgent", "test_kind")
    # Swedish still comes from the shipped file.
    assert model.assess("jag vill ta livet av mig", locale="sv").level == "urgent"


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def test_the_speed_ups_change_no_answer(
    model: SafetyModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trigger strings only skip patterns that cannot match: with every pattern run on
    # every text, each answer must be the same.
    from tests.conversation.test_safety_cases import EN, SV

    texts = [(text, "en") for _, text, _ in EN] + [(text, "sv") for _, text, _ in SV]
    texts += [(row["text"], "en") for row in _rows("external/goemotions_dev.jsonl")[:200]]
    texts += [(post, locale) for locale, post in LONG_POSTS]
    fast = [model.assess(text, locale=locale) for text, locale in texts]
    monkeypatch.setattr(
        "bot.conversation.safety._TriggerIndex.active", lambda self, text: _Everything()
    )
    slow = [model.assess(text, locale=locale) for text, locale in texts]
    assert fast == slow


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400), locale=st.sampled_from(["en", "sv", "xx", ""]))
def test_any_text_gets_a_rating_and_a_crisis_sentence_is_never_drowned_out(
    model: SafetyModel, text: str, locale: str
) -> None:
    rating = model.assess(text, locale=locale)
    assert rating.level in ("none", "check_in", "urgent")
    assert model.assess(text, locale=locale) == rating  # pure: same text, same answer
    # Whatever comes before it, a plain statement of intent is still heard.
    assert model.assess(f"{text}\nI want to kill myself.", locale=locale).level == "urgent"
    assert model.assess(f"{text}\nJag vill ta livet av mig.", locale=locale).level == "urgent"
