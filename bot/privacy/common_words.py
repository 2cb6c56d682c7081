"""Capitalised words that are not names, for the name patterns of `redact` that guess.

After "I'm", "this is", "Hi, … here" or a closing "Thanks," people write a name, but
also "I'm Sorry", "This is Urgent", "I'm Swedish", "Thanks, Team". A word there counts
as a name only if it is capitalised and neither listed here nor shaped like an
adjective or abstract noun (see `looks_like_a_name`). The lists hold kinds of words,
English and Swedish, not words seen in any one data set; a name that is also a word
("Hope", "Will", "Rose", "June") is left out on purpose, so it is still redacted.
"""

from __future__ import annotations

import re

_FUNCTION_WORDS = """
    a about after again all also always am an and any are as at away back be because been
    both but by can could did do does down each even ever every for from had has have he
    her here him his how i if in into is it its just me mine more most much my myself never
    next no not now of off on once one only or our out over really same she so some still
    such than that the their them then there these they this those to too under until up
    us very was we well were what when where which while who why with without would
    yes yet you your yours anything everything nothing something i'm i've i'd i'll im it's
    alla allt att av bara de dem den denna det detta dig din ditt du efter eller en er ett
    för från ha han har hen hon här i igen ingen inget ingenting inte ja jag ju kan med men
    mig min mina mitt något
    nej ni nog nu och också om oss på sen sig själv så till under upp ut vad var vi vid
    väl vår åt än ännu över
"""

# Greetings, closings and interjections: "Thanks. Bye", "Tack! Hej då".
_COURTESY = """
    amen anyway appreciated best bless bye cheers congrats congratulations dear goodbye
    greetings haha hahaha hello hey hi hiya hugs lol love luck meh nope okay ok omg peace
    please regards sincerely sorry thank thanks thx welcome wow xo xoxo yay yeah yep
    yours
    förlåt hej hejdå hejsan hallå hälsning hälsningar jaha japp kram kramar mvh okej puss
    snälla tack tjena tjenare ursäkta
"""

# Whom a closing addresses, and who the writer says they are, without a name: "Thanks,
# Team", "Thanks for nothing, Scammers", "Mvh Missnöjd Kund".
_PEOPLE = """
    admin agent anonymous anybody anyone babe boss bro buddy champ chief client clowns
    counsellor counselor crooks customer dad doc doctor dude everybody everyone folks
    friend friends guys honey hun human idiots lady liars losers man mate member mom
    morons mother mum nobody pal patient people person sir sis madam maam scammers
    someone staff support sweetie team therapist thieves user woman
    god lord gud herregud
    allihop bedragare folk idioter kompis kund kundtjänst mamma pappa personal
    skurkar supporten teamet terapeut tjuvar
"""

# What follows "I'm" or "this is" as a state, not a name: "I'm Fine", "Det är Bra".
_STATES = """
    absurd afraid alive alone angry awful bad better big bipolar broke busy calm clear
    cool crazy cruel dead deaf depressed desperate different done dumb early easy empty
    enough fair false fine free full glad good gone great happy hard high home ill
    important insane late lost low mad new nice normal old open pregnant private ready
    real right rude sad safe serious sick slow sober sore stuck stupid sure tired true
    unfair unwell upset urgent weak weird whole worse worst wrong young
    ashamed clean illegal legal mental neutral overwhelmed selfish
    akut arg besviken bra borta dålig död ensam fel fint hemma klar klart kass kört
    ledsen lugn lugnt missnöjd nöjd ny nytt rädd sant sjuk sjukt skit slut snabbt svårt
    säker trött tufft utbränd
"""

# What a complaint calls the situation: "This is Fraud!", "Det är Skandal".
_COMPLAINTS = """
    abuse bullshit chaos crap disgrace fraud garbage hell joke nonsense outrage robbery
    rubbish scam shame theft torture trash
    bedrägeri bluff fusk helvete kaos katastrof ocker rån skam skandal skämt stöld trams
"""

# Nationalities, languages and faiths are capitalised in English but are not names.
_PEOPLES_AND_FAITHS = """
    african american arab asian atheist australian austrian belgian black brazilian
    british buddhist canadian catholic chinese danish dutch english european
    filipino finnish french german greek hindu hispanic indian iranian irish italian
    japanese jewish korean kurdish latina latino lutheran mexican mormon muslim native
    nigerian norwegian pakistani persian polish portuguese protestant russian scottish
    sikh somali spanish swede swedish syrian turkish ukrainian vietnamese welsh white
    gay lesbian bi trans transgender queer straight cis enby nonbinary intersex latinx
    vegan vegetarian
"""

# What support messages are about, and where: "Help here!", "- Settings", "This is Sweden".
_SUPPORT_AND_PLACES = """
    account app billing bug card chat error help invoice issue login message password
    email e-mail mail phone mobile cell tel
    mejl telefon mobil
    payment problem profile question refund session settings subscription video
    appen betalning faktura fråga hjälp konto kort lösenord
    betterhelp cerebral headspace kry livi mindler talkspace
    africa america asia australia britain canada denmark england europe finland france
    germany ireland norway scotland spain sweden usa wales
    amerika danmark europa norge sverige tyskland
    amazon android apple bankid chrome facebook firefox google instagram ios ipad iphone
    klarna linux mac mastercard netflix paypal reddit safari skype spotify swish teams
    twitter visa whatsapp windows youtube zoom
"""

# A word that cannot be part of anyone's name, wherever in it: "Sarah And", "Missnöjd Kund".
_NEVER_IN_A_NAME = frozenset((_FUNCTION_WORDS + _PEOPLE).split())
COMMON_WORDS = frozenset(
    " ".join(
        (
            _FUNCTION_WORDS,
            _COURTESY,
            _PEOPLE,
            _STATES,
            _COMPLAINTS,
            _PEOPLES_AND_FAITHS,
            _SUPPORT_AND_PLACES,
        )
    ).split()
)

# Endings of adjectives, participles, adverbs and abstract nouns ("I'm Exhausted", "This
# is Ridiculous", "I'm Literally shaking", "Det är Viktigt"), which first names seldom
# have; the common names that do are listed below. Left out are endings that many names
# share: "-eed", "-med", "-fried" (Saeed, Ahmed, Siegfried), "-vig", "-wig" (Ludvig,
# Hedwig), "-ish" (Hamish), "-ese" (Therese), "-eri" (Petteri), "-al" (Crystal, Donal).
_WORD_ENDING_RE = re.compile(
    r"(?:ous|ful|less|able|ible|ing|(?<![em])(?<!fri)ed|ive|ic|ical|ual|ional|sonal|idal"
    r"|ness|ment|tion|sion|ity|(?:ic|u|t|n|r)ally|ely|sly|tly"
    r"|igt|iskt|isk|(?<![aevw])ig|samt|bart|löst|erad|ssad|nnad|rrad)$"
)
_NAMES_WITH_THOSE_ENDINGS = frozenset(
    """aisling alaric alfred ashling cedric channing charity clement clive dominic erling
    felicity fredric frederic henning henric hilding irving jared javed keely khaled
    ludovic manfred mildred olive padraic pascual patric pauric roderic sterling trinity
    ulric vidal viking winifred zayed""".split()
)


def looks_like_a_name(word: str, *, first: bool = True) -> bool:
    """True for a capitalised word that is not a common one ("Sarah", not "Sorry", "OK").

    Args:
        word: one word, apostrophes and hyphens included ("O'Neil", "Mary-Jane").
        first: the word opens the name. The words after it are surnames, which are often
            words too ("Sarah White", "Neil Young") and may be in capitals ("Anna
            SVENSSON"), so for them only "capitalised, and not a function word or a
            word for a person" counts.
    """
    if len(word) < 2 or word[0].islower():
        return False  # a letter with no case (Arabic, Persian) passes: it has no capital
    folded = word.casefold()
    if not first:
        return folded not in _NEVER_IN_A_NAME
    if word.isupper() or folded in COMMON_WORDS:
        return False  # all capitals is shouting or an acronym: "I'M DONE", "I am OK"
    if any(part[:1].islower() for part in word.split("-")[1:]):
        return False  # "Pro-choice", "Self-employed"; names capitalise each part: "Mary-Jane"
    last_part = folded.rsplit("-", 1)[-1]  # "Hans-Henning" ends like "Henning"
    return (
        len(last_part) < 5
        or _WORD_ENDING_RE.search(last_part) is None
        or last_part in _NAMES_WITH_THOSE_ENDINGS
    )
