"""Generalisation: messages written for this test only (never in bot/data/nlu), scored as
a whole, the way the held-out sets are. A single miss does not fail the test; a drop below
the issue's targets does."""

from __future__ import annotations

import pytest

from bot.conversation.understand import Understander
from tests.conversation.test_understand import _load

NOW = 1_700_000_000.0

# (text, topic, emotion or None)
FRESH = [
    ("Why did my statement show a charge from you on the 3rd?", "billing", "confused"),
    ("I paid for four sessions and only got three", "billing", None),
    ("Your invoice doesn't have the details my insurer asks for", "billing", None),
    ("Is the annual plan cheaper than paying monthly?", "billing", None),
    ("I'm fed up, you took money again after I cancelled", "billing", "frustrated"),
    ("Please make sure I'm not billed again after this month", "cancellation", None),
    ("Can I freeze my subscription while I travel?", "cancellation", None),
    ("I'm ending my plan, money is tight right now", "cancellation", "anxious"),
    ("The picture keeps freezing and my counselor sounds like a robot", "session", "frustrated"),
    # Labelled as the dev set labels waiting and money worries: frustrated, anxious.
    (
        "I sat in the waiting room for half an hour and my therapist never came",
        "session",
        "frustrated",
    ),
    ("My last three messages to my therapist are stuck on 'sending'", "session", None),
    ("The app shut down in the middle of my video appointment", "session", None),
    ("I can't get the verification text so I can't sign in", "account", None),
    ("How do I change the email address I log in with?", "account", None),
    ("I want my account removed for good", "account", None),
    ("I'd like a counselor with experience in grief", "matching", None),
    ("It's been ten days and I still have no therapist assigned", "matching", "frustrated"),
    ("My therapist and I aren't a match, can I try someone else?", "matching", None),
    ("Can I change Monday's appointment to Wednesday?", "scheduling", None),
    ("The booking calendar shows times in the wrong zone", "scheduling", None),
    ("Is there any availability on Saturday mornings?", "scheduling", None),
    ("Could my employer learn that I'm using this service?", "privacy", "anxious"),
    ("Please give me a copy of all the notes stored about me", "privacy", None),
    ("Does my therapist share what I say with anyone?", "privacy", "anxious"),
    ("Can I double my dose of my anxiety medication?", "clinical", None),
    ("What are the signs of burnout?", "clinical", None),
    ("Good morning!", "other", None),
    ("I need to speak to an actual person please", "other", None),
    ("Jag har betalat två gånger för samma månad", "billing", None),
    ("Varför kostar det mer nu än förra månaden?", "billing", "confused"),
    ("Jag vill stoppa mitt abonnemang innan nästa dragning", "cancellation", None),
    ("Kan jag pausa över sommaren?", "cancellation", None),
    ("Terapeuten kom aldrig in i videorummet", "session", None),
    ("Bilden fryser hela tiden under samtalen", "session", "frustrated"),
    ("Jag får ingen inloggningskod", "account", None),
    ("Hur byter jag telefonnummer på kontot?", "account", None),
    ("Jag skulle vilja ha en annan terapeut", "matching", None),
    ("Kan jag ändra tiden på fredagens samtal?", "scheduling", None),
    ("Är det någon annan än min terapeut som kan läsa det jag skriver?", "privacy", "anxious"),
    ("Kan jag ta min medicin på kvällen i stället?", "clinical", None),
    ("Jag är så trött på att ingen svarar här", "other", "frustrated"),
]

# Two more batches, topic only: their feelings are often implicit, which the word lists
# and the few feeling lines do not yet catch reliably (see the report in issue 3).
MORE = [
    ("There's a $65 charge I can't match to any session", "billing"),
    ("Can I get an itemized receipt with my therapist's credentials?", "billing"),
    ("My HSA card was rejected at checkout", "billing"),
    ("You've raised the price without warning, that's not okay", "billing"),
    ("How do I make sure the plan doesn't renew in March?", "cancellation"),
    ("I'd like to stop my membership for a couple of months", "cancellation"),
    ("Cancel everything please, I'm moving abroad", "cancellation"),
    ("The session kept dropping every five minutes, it was impossible", "session"),
    ("My therapist logged off after 20 minutes without saying anything", "session"),
    ("I joined on time but the room said the session had ended", "session"),
    ("My voice notes to my counselor fail to upload", "session"),
    ("I never received the email to confirm my sign-up", "account"),
    ("My 2FA codes go to an old phone number", "account"),
    ("How do I update my billing address on my profile?", "account|billing"),
    ("I'm locked out after too many attempts and I'm panicking", "account"),
    ("I'd prefer someone who has worked with veterans", "matching"),
    ("Is it possible to be matched with a Swedish-speaking therapist?", "matching"),
    ("I don't feel heard by my therapist, I'd like a change", "matching"),
    ("I need to push my session back by an hour", "scheduling"),
    ("My reminder said 3pm but the session was at 2pm", "scheduling"),
    ("Can I set a standing appointment every Tuesday?", "scheduling"),
    ("Are my messages encrypted end to end?", "privacy"),
    ("I'm worried my ex can see my account activity", "privacy"),
    ("I want all my session notes deleted", "privacy"),
    ("Should I keep taking my meds if I feel better?", "clinical"),
    ("How do I handle intrusive thoughts at night?", "clinical"),
    ("Hey there", "other"),
    ("This is the third time I'm asking and nobody answers", "other"),
    ("Varför har jag fått två fakturor den här månaden?", "billing"),
    ("Kan jag betala med Klarna?", "billing"),
    ("Jag vill inte att abonnemanget förnyas", "cancellation"),
    ("Min terapeut lämnade samtalet efter fem minuter", "session"),
    ("Jag kommer inte åt mitt konto efter att jag bytt telefon", "account"),
    ("Jag vill byta psykolog, det funkar inte mellan oss", "matching"),
    ("Kan jag boka en tid på kvällen nästa vecka?", "scheduling"),
    ("Jag är orolig att min arbetsgivare kan se att jag går i terapi", "privacy"),
    ("Kan jag ta sömntabletter med mina antidepressiva?", "clinical"),
    ("Jag är så besviken, sessionen blev inställd igen", "session"),
    ("I was billed for a session I cancelled two days ahead", "billing"),
    ("What does the premium tier cost per week?", "billing"),
    ("Can my receipts show the CPT codes?", "billing"),
    ("I'm confused why my card was charged $0 and then $79", "billing"),
    ("Please switch off the automatic renewal on my account", "cancellation"),
    ("I want to quit the service at the end of this billing cycle", "cancellation"),
    ("My counselor's camera never turned on and we just gave up", "session"),
    ("Half of my messages to my therapist vanished", "session"),
    ("The session page is just blank for me", "session"),
    ("I didn't get the code to reset my login", "account"),
    ("How do I change my display name?", "account"),
    ("I'm nervous my account was opened by someone else", "privacy"),
    ("Can I choose a therapist of color?", "matching"),
    ("I've been waiting two weeks to be matched, this is ridiculous", "matching"),
    ("Please move my Thursday appointment to next week", "scheduling"),
    ("Why did my appointment disappear from the app?", "scheduling"),
    ("Could my health insurer see my chat transcripts?", "privacy"),
    ("Delete my recordings and transcripts", "privacy"),
    ("Is it normal to feel worse after starting sertraline?", "clinical"),
    ("Can you recommend coping strategies for loneliness?", "clinical"),
    ("I need a human, now", "other"),
    ("thank you so much for sorting that", "other"),
    ("Det har dragits pengar trots att min plan är pausad", "billing"),
    ("Vad kostar det att uppgradera?", "billing"),
    ("Hur pausar jag mitt medlemskap?", "cancellation"),
    ("Samtalet bröts tre gånger idag, jag ger upp", "session"),
    ("Jag kan inte logga in med BankID", "account"),
    ("Kan jag få en terapeut som är specialiserad på sorg?", "matching"),
    ("Kan jag byta tid till förmiddagen?", "scheduling"),
    ("Vem har tillgång till mina journalanteckningar?", "privacy"),
    ("Jag vill prata med någon på riktigt", "other"),
    ("Jag är ledsen, min terapeut slutade svara", "session"),
]


@pytest.fixture(scope="module")
def understander() -> Understander:
    return _load()


def test_topic_accuracy_on_fresh_messages(understander: Understander) -> None:
    misses = [
        (text, topic, seen)
        for text, topic, _ in FRESH
        if (seen := understander.understand(text, now=NOW).topic) != topic
    ]
    accuracy = 1 - len(misses) / len(FRESH)
    assert accuracy >= 0.9, misses


def test_labelled_emotion_is_found_on_fresh_messages(understander: Understander) -> None:
    labelled = [(text, emotion) for text, _, emotion in FRESH if emotion]
    misses = [
        (text, emotion)
        for text, emotion in labelled
        if emotion not in understander.understand(text, now=NOW).emotions
    ]
    assert 1 - len(misses) / len(labelled) >= 0.85, misses


def test_neutral_fresh_messages_stay_mostly_neutral(understander: Understander) -> None:
    neutral = [text for text, _, emotion in FRESH if emotion is None]
    felt = [text for text in neutral if understander.understand(text, now=NOW).emotions]
    assert len(felt) / len(neutral) <= 0.2, felt


def test_topic_accuracy_on_more_fresh_messages(understander: Understander) -> None:
    misses = [
        (text, topic, seen)
        for text, topic in MORE
        if (seen := understander.understand(text, now=NOW).topic) not in topic.split("|")
    ]
    assert 1 - len(misses) / len(MORE) >= 0.9, misses
