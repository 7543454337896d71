"""Person names in Dutch text without NER training data.

Evidence: introductions ("ik heet ...", "mijn naam is ...", "groeten, ..."), titles and
relations ("mevrouw ...", "buurman ..."), PROPN tags from the pipeline (or PERSON entities when
the configured pipeline has them), a list of common first names and surnames, Dutch surname
prefixes (van, de, van der, ter ...) and capitalisation. Places, organisations and the city's
own names (gazetteer) are never taken for names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.lang.nl.stop_words import STOP_WORDS
from spacy.tokens import Doc, Token

from nlp.lexicon import Lexicon, fold

# Introductions after which any word that is not a stop word is a name, even in lower case.
STRONG_TRIGGERS = (
    ("ik", "heet"), ("mijn", "naam", "is"), ("mijn", "naam", ":"), ("naam", ":"), ("naam", "is"),
    ("genaamd",), ("noem", "me"), ("noem", "mij"), ("heet", "ik"),
)
# Introductions, closings, titles and relations: a capitalised or known name follows.
WEAK_TRIGGERS = (
    ("ik", "ben"), ("dit", "is"), ("groeten",), ("groet",), ("groetjes",), ("mvg",), ("m.v.g.",),
    ("gr",), ("gr.",), ("liefs",), ("namens",), ("vriendelijke", "groet"), ("hartelijke", "groet"),
    ("t.n.v.",), ("t.n.v", "."), ("tnv",), ("ten", "name", "van"),  # account holder after an IBAN
)
TITLES = frozenset(
    "meneer mijnheer mevrouw mevr mevr. mw mw. dhr dhr. heer juffrouw juf meester dokter dr dr. "
    "drs drs. ir ir. mr mr. prof prof. wethouder burgemeester raadslid buurman buurvrouw collega "
    "oom tante opa oma familie fam fam. zoon dochter broer zus vriend vriendin man vrouw partner "
    "moeder vader neef nicht kleinzoon kleindochter wijkagent huisarts voorzitter".split()
)
SURNAME_PREFIXES = frozenset(
    "van de der den het 't ter ten te in op uit da di du le la el al von zu d' o'".split()
)
# First names that are also ordinary words in lower case ("ik ben", "een ton", "de roos").
AMBIGUOUS_LOWER = frozenset(
    "ben mark bas max rob ton frank floor iris rosa lieve mo ed els kim will trees joke bob".split()
)
# Words that make the capitalised words after them an organisation (Stichting Jeugd en Sport).
ORGANISATION_WORDS = frozenset(
    "stichting vereniging club voetbalclub sportclub gemeente café restaurant bakkerij kapsalon "
    "school basisschool bibliotheek kerk moskee praktijk huisartsenpraktijk winkel bedrijf "
    "theater stadstheater museum ziekenhuis buurthuis wijkcentrum".split()
)
ARTICLES = frozenset("de het een 't die deze dit dat onze ons".split())
# Words of introductions and closings that are never names themselves (Groetjes, Namens).
TRIGGER_WORDS = frozenset(
    "groeten groet groetjes mvg m.v.g. gr gr. liefs namens vriendelijke hartelijke genaamd naam".split()
)
LEFT_STOP_PREFIXES = frozenset({"in", "op", "uit", "te"})  # also ordinary prepositions
NAME_PARTICLES = SURNAME_PREFIXES - LEFT_STOP_PREFIXES
# Words before a capitalised word that make it a place, unless the word is a known name.
LOCATIVE = frozenset("in naar uit vanuit richting te rond nabij".split())
# Endings of places, streets and organisations, never of people (Dorpsstraat, Westerpark,
# Stadshart, Buurtvereniging, Voedselbank ...).
PLACE_ENDINGS = (
    "straat", "laan", "weg", "wegh", "plein", "singel", "gracht", "kade", "dreef", "plantsoen",
    "park", "markt", "station", "polder", "centrum", "brug", "tunnel", "plas", "school", "kerk",
    "hal", "bad", "plaza", "hart", "vereniging", "stichting", "club", "bank", "fonds",
)
SENTENCE_OPENERS = frozenset(":-–—(\"'“‘•*.!?;")
INITIALS = re.compile(r"^(?:[A-Z]\.){1,4}$")
PERSON_LABELS = frozenset({"PERSON", "PER"})
MAX_NAME_TOKENS = 6
MAX_SIGNATURE_WORDS = 3
SIGNATURE_AFTER = frozenset(".!?,")  # what ends the line before a signature
DUTCH_WORD_SHARE = 0.5


def _name_shaped(text: str) -> bool:
    """Capitalised letters-only word, any script: Jansen, Ayşe, Yılmaz, Anne-Marie, D'Souza."""
    parts = text.replace("'", "").replace("’", "").split("-")
    return (
        text[:1].isupper()
        and any(c.islower() for c in text)
        and all(part.isalpha() for part in parts)
        # no capitals inside a part (VvE, DigiD, RandstadRail), except McKenzie
        and all(part.startswith("Mc") or part[1:] == part[1:].lower() for part in parts)
    )


class _Tokens:
    """Per-token facts for one doc, computed once."""

    def __init__(
        self, doc: Doc, lexicon: Lexicon, blocked: list[tuple[int, int]], words: frozenset[str]
    ):
        self.doc = doc
        self.lexicon = lexicon
        self.words = words
        self.lower = [t.lower_ for t in doc]  # plain strings: slicing a Doc is slow
        alphabetic = [t.lower_ for t in doc if t.is_alpha]
        # Too few Dutch words (English, Polish ...): capitalisation and tags say little there.
        dutch_words = sum(w in words or w in STOP_WORDS for w in alphabetic)
        self.dutch = not words or not alphabetic or dutch_words >= DUTCH_WORD_SHARE * len(alphabetic)
        place_chars = set()
        for start, end in lexicon.place_spans(doc.text) + blocked:
            place_chars.update(range(start, end))
        self.blocked = [
            any(i in place_chars for i in range(t.idx, t.idx + len(t.text))) for t in doc
        ]
        for t in doc:
            if self.blocked[t.i] and self._surname_from_place(t):
                self.blocked[t.i] = False

    def _surname_from_place(self, t: Token) -> bool:
        """A place name used as a surname: "Anna Stein", "Anja de Rijk", "Jan van Delft",
        "mevr. Van Ommen"; after a title or "ik heet" only a known surname ("mevrouw Maas",
        not "wijkagent Meerzicht")."""
        if not t.is_alpha:
            return False
        j = t.i
        while j > 0 and self.doc[j - 1].lower_ in NAME_PARTICLES:
            j -= 1
        starts_with_van = j < t.i and self.doc[j].lower_ == "van"
        known_surname = fold(t.text) in self.lexicon.surnames
        if j > 0 and self._first_name(self.doc[j - 1]):
            return True
        if self.after_title(self.doc[j]) and (starts_with_van or known_surname):
            return True
        if known_surname and self.follows(self.doc[j], STRONG_TRIGGERS):
            return True
        return starts_with_van and self.doc[j].text == "Van" and not self.sentence_initial(self.doc[j])

    def _first_name(self, t: Token) -> bool:
        """A known first name (not "ben" in "ik ben van Delft"), or any capitalised word after
        "ik heet"."""
        if _name_shaped(t.text):
            return self.is_known_first(t) or (not self.blocked[t.i] and self.follows(t, STRONG_TRIGGERS))
        return self.is_known_first(t) and t.lower_ not in AMBIGUOUS_LOWER

    def is_capitalised(self, t: Token) -> bool:
        """A capitalised word that may be (part of) a name: not a title, place or stop word."""
        return (
            _name_shaped(t.text)
            and not self.blocked[t.i]
            and t.lower_ not in TITLES
            and t.lower_ not in STOP_WORDS
            and t.lower_ not in TRIGGER_WORDS
        )

    def is_known_first(self, t: Token) -> bool:
        return fold(t.text) in self.lexicon.first_names and not self.blocked[t.i]

    def is_known_surname(self, t: Token) -> bool:
        return fold(t.text) in self.lexicon.surnames and not self.blocked[t.i]

    def is_lower_word(self, t: Token) -> bool:
        return t.text.isalpha() and t.text.islower() and not self.blocked[t.i]

    def sentence_initial(self, t: Token) -> bool:
        if t.i == 0:
            return True
        previous = self.doc[t.i - 1]
        if previous.lower_ in SURNAME_PREFIXES:  # "mevr. Van Ommen": the name goes on
            return False
        if t.is_sent_start:
            return True
        return previous.text in SENTENCE_OPENERS or self.starts_line(t)

    def starts_line(self, t: Token) -> bool:
        if t.i == 0:
            return False
        previous = self.doc[t.i - 1]
        return "\n" in previous.text or "\n" in previous.whitespace_

    def is_ordinary_word(self, t: Token) -> bool:
        """A Dutch word that is not also a common name (Sport, Docent; not Bakker or Piet)."""
        return t.lower_ in self.words and not (self.is_known_first(t) or self.is_known_surname(t))

    def is_place_like(self, t: Token) -> bool:
        lower = t.lower_
        return any(lower.endswith(e) and len(lower) > len(e) + 2 for e in PLACE_ENDINGS)

    def follows(self, t: Token, phrases: tuple[tuple[str, ...], ...]) -> bool:
        """Whether one of the phrases (lower case) ends right before t, or before a comma before t."""
        ends = [t.i]
        if t.i > 0 and self.lower[t.i - 1] in {",", ":"}:
            ends.append(t.i - 1)
        return any(
            end >= len(phrase) and tuple(self.lower[end - len(phrase) : end]) == phrase
            for end in ends
            for phrase in phrases
        )

    def after_title(self, t: Token) -> bool:
        return t.i > 0 and self.lower[t.i - 1] in TITLES or (
            t.i > 1 and self.lower[t.i - 1] == "." and self.lower[t.i - 2] + "." in TITLES
        )


def _seed_kind(facts: _Tokens, t: Token) -> str | None:
    """How a name may start here: 'strong' (after "ik heet"), 'cap' (capitalised) or 'lower'
    (a known first name in lower case); None when no name starts here."""
    if facts.blocked[t.i] or t.is_space or t.is_punct or t.like_num or t.lower_ in TRIGGER_WORDS:
        return None
    doc = facts.doc
    previous = doc[t.i - 1] if t.i > 0 else None
    if INITIALS.match(t.text):  # "J. de Boer", "A.B. Jansen"
        return "cap" if _continues_name(facts, t) else None
    if facts.follows(t, STRONG_TRIGGERS):
        if facts.is_capitalised(t) or (
            facts.is_lower_word(t)
            and t.lower_ not in STOP_WORDS
            and (t.pos_ in {"PROPN", "NOUN", "X", "ADJ"} or facts.is_known_first(t))
        ):
            return "strong"
    if t.ent_type_ in PERSON_LABELS and facts.is_capitalised(t):
        return "cap"
    if facts.after_title(t) and _name_shaped(t.text):  # also "mijn vrouw Wil Groen"
        return "cap"
    if facts.is_capitalised(t):
        if facts.is_place_like(t) or (previous is not None and facts.blocked[previous.i]):
            return None
        known_first = facts.is_known_first(t)
        if facts.follows(t, WEAK_TRIGGERS) or _together_with_me(facts, t):
            return "cap"
        if previous is not None and _after_article_or_adjective(facts, t, previous):
            return None
        if known_first:
            return "cap"
        if previous is not None and previous.lower_ in LOCATIVE:
            return None
        if facts.is_ordinary_word(t) or not facts.dutch:
            return None
        if _signs_off(facts, t):
            return "cap"
        initial = facts.sentence_initial(t)
        if facts.is_known_surname(t) and not initial:
            return "cap"
        if not initial and (t.pos_ in {"PROPN", "X"} or _continues_name(facts, t)):
            return "cap"  # also two capitalised words mid-sentence the tagger missed (Kwame Mensah)
        if t.pos_ == "PROPN" and initial and (
            _continues_name(facts, t) or _next_words(facts, t, 1) == ["hier"]  # "Dewi hier, ..."
        ):
            return "cap"
        return None
    if facts.is_lower_word(t) and t.lower_ not in STOP_WORDS:
        if facts.follows(t, WEAK_TRIGGERS) or facts.after_title(t):
            if facts.is_known_first(t) or t.pos_ in {"PROPN", "X"}:
                return "lower"
        elif facts.is_known_first(t) and t.lower_ not in AMBIGUOUS_LOWER:
            return "lower"
    return None


def _after_article_or_adjective(facts: _Tokens, t: Token, previous: Token) -> bool:
    """"de Dirk", "het Stadstheater", "een grijze Golf": shops, places and things. Known surnames
    keep their article ("de Vries"), and so does a name after a title ("mevrouw de Wit")."""
    if not (previous.lower_ in ARTICLES or (previous.pos_ == "ADJ" and previous.text.islower())):
        return False
    if previous.lower_ in SURNAME_PREFIXES and facts.is_known_surname(t):
        return False
    before = facts.doc[previous.i - 1] if previous.i > 0 else None
    return not (before is not None and (before.lower_ in TITLES or facts.is_known_first(before)))


def _signs_off(facts: _Tokens, t: Token) -> bool:
    """"...\nSandra" or "...\nXiomara de Souza": a last line of one to three capitalised words
    that are not Dutch words, the first tagged as a proper noun, is a signature. The line before
    must have ended ("Vooral voor\nJongeren" goes on: phones capitalise after Enter)."""
    if t.pos_ not in {"PROPN", "X"} or not facts.starts_line(t):
        return False
    before = next((u for u in reversed(facts.doc[: t.i]) if not u.is_space), None)
    if before is None or before.text not in SIGNATURE_AFTER:
        return False
    words = [
        u for u in facts.doc[t.i :] if not (u.is_space or u.is_punct or u.lower_ in NAME_PARTICLES)
    ]
    return len(words) <= MAX_SIGNATURE_WORDS and all(
        facts.is_capitalised(u) and not facts.is_ordinary_word(u) and not facts.is_place_like(u)
        for u in words
    )


def _next_words(facts: _Tokens, t: Token, n: int) -> list[str]:
    return facts.lower[t.i + 1 : t.i + 1 + n]


def _together_with_me(facts: _Tokens, t: Token) -> bool:
    """"Roos en ik ...", "Piet en mijn zoon ...": a person, not a thing."""
    return _next_words(facts, t, 2) in (["en", "ik"], ["en", "mijn"])


def _continues_name(facts: _Tokens, t: Token) -> bool:
    """A capitalised name part follows, possibly after surname prefixes."""
    doc, j = facts.doc, t.i + 1
    while j < len(doc) and doc[j].lower_ in SURNAME_PREFIXES and j - t.i <= 3:
        j += 1
    return j < len(doc) and facts.is_capitalised(doc[j]) and not facts.is_place_like(doc[j])


def _grow(facts: _Tokens, seed: Token, kind: str) -> tuple[int, int]:
    """Token range [start, end) of the full name around a seed."""
    doc = facts.doc

    def part_of_name(t: Token) -> bool:
        if facts.is_capitalised(t) and not facts.is_place_like(t):
            return True
        if not facts.is_lower_word(t) or t.lower_ in STOP_WORDS:
            return False
        # after "ik heet" any word may be a name; otherwise only known surnames
        return kind == "strong" or facts.is_known_surname(t)

    end = seed.i + 1
    while end < len(doc) and end - seed.i < MAX_NAME_TOKENS:
        t = doc[end]
        if t.text == "-" and not doc[end - 1].whitespace_ and not t.whitespace_ and end + 1 < len(doc):
            if part_of_name(doc[end + 1]):  # Anne-Marie, Smit-Jansen
                end += 2
                continue
            break
        if part_of_name(t):
            end += 1
            continue
        j = end  # surname prefixes count only when a name part follows (van der Berg)
        while j < len(doc) and j - end < 3 and doc[j].lower_ in SURNAME_PREFIXES:
            j += 1
        if end < j < len(doc) and part_of_name(doc[j]):
            end = j + 1
            continue
        break

    start = seed.i
    while start > 0:
        j = start  # prefixes to the left: "De Vries", "mevrouw van Dam", "J. de Vries"
        while j > 0 and doc[j - 1].lower_ in SURNAME_PREFIXES - LEFT_STOP_PREFIXES:
            j -= 1
        before = doc[j - 1] if j > 0 else None
        if j < start:
            surname = doc[start]
            capitalised_prefix = doc[j].text[0].isupper() and (
                not facts.sentence_initial(doc[j]) or facts.is_known_surname(surname)
            )
            if facts.blocked[j] or (facts.is_known_first(surname) and not facts.is_known_surname(surname)):
                break
            after_title = before is not None and (before.lower_ in TITLES or INITIALS.match(before.text))
            introduced = facts.follows(doc[j], STRONG_TRIGGERS)  # "naam is de Jong", not "groeten van"
            if not (capitalised_prefix or after_title or introduced):
                break
            start = j
        if before is not None and not facts.blocked[before.i] and (
            INITIALS.match(before.text)
            or (facts.is_capitalised(before) and (facts.is_known_first(before) or before.pos_ == "PROPN"))
        ):
            start -= 1
            continue
        break
    return start, end


def find_names(
    doc: Doc, lexicon: Lexicon, blocked: list[tuple[int, int]], words: frozenset[str] = frozenset()
) -> Iterator[tuple[int, int]]:
    """Character spans of person names. `blocked` are spans already taken (placeholders,
    e-mail addresses); `words` are ordinary Dutch words, lower case (may be empty)."""
    facts = _Tokens(doc, lexicon, blocked, words)
    covered_until = -1
    for t in doc:
        if t.i < covered_until:
            continue
        if t.lower_ in ORGANISATION_WORDS and t.text[:1].isupper():
            covered_until = _capitalised_run_end(facts, t.i + 1)
            continue
        kind = _seed_kind(facts, t)
        if kind is None:
            continue
        start, end = _grow(facts, t, kind)
        covered_until = end
        if _names_a_street(facts, end):  # Willem Dreeslaan, Pieter de Hoochstraat
            covered_until = end + 1
            continue
        yield doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _capitalised_run_end(facts: _Tokens, i: int) -> int:
    """End of the capitalised words from i on, "en"/"&" between them included (Jeugd en Sport)."""
    doc = facts.doc

    def capitalised(j: int) -> bool:
        return j < len(doc) and doc[j].text[:1].isupper()

    while capitalised(i) or (i < len(doc) and doc[i].lower_ in {"en", "&"} and capitalised(i + 1)):
        i += 1
    return i


def _names_a_street(facts: _Tokens, end: int) -> bool:
    """The name goes on into a street or place name (Willem Dreeslaan, Pieter de Hoochstraat);
    not "Henk uit de Dorpsstraat"."""
    doc, j = facts.doc, end
    while j < len(doc) and doc[j].lower_ in NAME_PARTICLES:
        j += 1
    return j < len(doc) and doc[j].text[:1].isupper() and facts.is_place_like(doc[j])
