"""Structured personal data found with patterns and checksums (no language model needed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# (start, end, label)
Match = tuple[int, int, str]

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+(?:@|\s?[(\[{]at[)\]}]\s?)[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w@])",
    re.IGNORECASE,
)
_URL = re.compile(
    r"(?:\bhttps?://|(?<![\w@.])www\.)[^\s<>\"']+"
    r"|(?<![\w@./-])(?:[a-z0-9-]+\.)+(?:nl|com|org|net|eu|be|info|io|app|de|fr|uk|online|site)"
    r"(?::\d+)?(?:/[^\s<>\"']*)?(?![\w@])"
    r"|(?<![\w@.+-])@[a-z_][\w.]*\w",  # social media handle (@anouk_dewit)
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'\""

# Phone numbers: +31/0031 or 0 followed by nine digits, in any grouping with spaces, dashes
# (also " - "), dots or brackets; service numbers 0800/0900; other countries with a + prefix.
# A slash before is allowed: "0612345678/0793456789" holds two numbers (URL paths match earlier).
_PHONE = re.compile(
    r"(?<![\w+-])(?:"
    r"(?:\+|00)31[ \u00a0.-]?(?:\(0\)[ \u00a0.-]?)?[1-9](?:[ \u00a0.-]?\d){8}"
    r"|\(?0(?:[ \u00a0.\-)]{0,2}\d|[ \u00a0][.-][ \u00a0]\d){9}"
    r"|0[89]0[069](?:[ \u00a0.-]?\d){4}(?:(?:[ \u00a0.-]?\d){3})?"
    r"|\+(?!31)[1-9]\d{0,2}(?:[ \u00a0.-]?\(?\d\)?){6,12}"
    r")(?![\w-])"
)
# A date, optionally with an hour or time: "06-05-2024 12", "06-05-24 06.30".
_DATE = re.compile(r"\(?(\d{1,2})[-./](\d{1,2})[-./](?:\d{2}|\d{4})(?: \d{1,2}(?:[.:]\d{2})?)?")
_DATE_FULL_YEAR = re.compile(r"\(?(\d{1,2})[-./](\d{1,2})[-./](?:19|20)\d{2}(?!\d)")

_BSN = re.compile(
    r"(?<![\w.,-])(?:\d{9}|\d{3}[. -]\d{3}[. -]\d{3}|\d{4}[. -]\d{2}[. -]\d{3})(?![\w-]|[.,]\d)"
)
_BSN_KEYWORD = re.compile(
    r"\b(?:bsn|burgerservicenummer|sofinummer)(?:[\s:]|\bis\b|-?nummer)*(\d(?:[. -]?\d){7,8})(?!\d)",
    re.IGNORECASE,
)

_IBAN = re.compile(
    r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w-])", re.IGNORECASE
)
_DUTCH_IBAN = re.compile(r"NL\d{2}[A-Z]{4}\d{10}")

# Dutch licence plates: the sidecodes of three groups with dashes (e.g. 12-ABC-3, GB-123-X).
_PLATE_GROUPS = (
    "LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D",
    "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D",
)


def _sidecode(shape: str, separator: str = "-") -> str:
    """Regex for a sidecode such as "DD-LLL-D" (D digit, L letter)."""
    groups = ("".join("[A-Z]" if c == "L" else r"\d" for c in part) for part in shape.split("-"))
    return separator.join(groups)


_PLATE = re.compile(
    r"(?<![\w-])(?:" + "|".join(_sidecode(s) for s in _PLATE_GROUPS) + r")(?![\w-])", re.IGNORECASE
)
# Without dashes only the current sidecodes 7-14 in capitals (72ZBH4): the older
# two-two-two codes would clash with postcodes (2712AB).
_PLATE_COMPACT = re.compile(
    r"(?<![\w-])(?:" + "|".join(_sidecode(s, "") for s in _PLATE_GROUPS[6:]) + r")(?![\w-])"
)
_PLATE_KEYWORD = re.compile(
    r"\bkenteken(?:nummer)?\b[\s:]*(?:is\s+)?([A-Z0-9]{6}|[A-Z0-9]{1,3}(?:[ -][A-Z0-9]{1,3}){2})\b",
    re.IGNORECASE,
)

# Addresses: a street name with a typical ending plus house number; postcodes.
STREET_SUFFIXES = (
    "straat", "laan", "weg", "wegh", "plein", "singel", "gracht", "kade", "dreef", "hof", "park",
    "pad", "dijk", "steeg", "baan", "plantsoen", "erf", "veld", "ring", "boulevard", "markt",
    "promenade", "wal", "akker", "zoom", "tuin", "hoeve", "oord", "werf", "haven", "dam", "brink",
    "gaarde", "hage", "horst", "kamp", "wetering", "vliet", "vaart", "hoek", "allee", "passage",
    "galerij", "poort", "burcht", "gang", "rode", "donk", "hout", "bos",
)
_LOWER_SUFFIXES = ("straat", "laan", "weg", "plein", "singel", "gracht", "kade", "dreef")
_HOUSE_NUMBER = r"\d{1,5}(?:\s?-\s?\d{1,4}|[ -]?(?:[a-zA-Z]|bis|hs|I{1,3})(?![\w-]))?"
_NAME_WORD = r"[A-Z][\w'’.-]*"
_PARTICLE = r"(?:van|de|der|den|het|'t|ter|ten|aan|op|in|bij)"
_NUMBER_WORD = r"(?:(?:[Hh]uis)?[Nn]ummer[ ]+|[Nn]r\.?[ ]*|[Nn]o\.[ ]*)?"  # Dorpsstraat nr. 12
_STREET = re.compile(
    r"(?<![\w-])(?:(?:" + _NAME_WORD + r"|" + _PARTICLE + r")[ ]){0,4}"
    r"(?:[A-Z][\w'’-]*(?:" + "|".join(STREET_SUFFIXES) + r")|"
    + "|".join(x.capitalize() for x in STREET_SUFFIXES) + r")"
    r"[ ]+" + _NUMBER_WORD + _HOUSE_NUMBER + r"(?![\w,.]\d)"
)
_STREET_LOWER = re.compile(
    r"(?<![\w-])[a-z][a-z'-]{1,30}(?:" + "|".join(_LOWER_SUFFIXES) + r")[ ]+" + _NUMBER_WORD
    + _HOUSE_NUMBER
    + r"(?!\s*(?:%|km|m\b|keer|jaar|minuten|uur|euro|meter|procent))(?![\w,.]\d)"
)
# Letters never used in postcodes, and two-letter words and units that end a sentence after a year or
# amount ("sinds 2040 en", "1500 km."); only needed for "2711 ab", in lower case with a space.
_NOT_POSTCODE_LETTERS = (
    "sa sd ss al af ca cl cm dl dm do en er ex ha ik in is ja je kb kg km ma mb me mg ml mm na nu "
    "of ok om op pk st te tv vs wo za ze zo an as at be by if it my no on or so to up us"
).split()
# "2711 ab" is a postcode only after the word postcode, or where a postcode ends: at the end of a sentence,
# or before a house number or a city. "In 2040 de stad" is a year and a word.
_POSTCODE_END = r"[a-z]{2}(?:[.,;:!?)\n]|$| ?\d|,? [A-Z]|, \d)"
# Postcode, optionally with house number ("2725 NT 14", "2711AB12") and/or city
# ("2712 AB Zoetermeer").
_POSTCODE = re.compile(
    r"(?<![\w-])[1-9]\d{3}(?: ?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2}"
    r"| (?!(?:" + "|".join(_NOT_POSTCODE_LETTERS) + r")\b)(?:(?<=[Pp]ostcode \d{4} )|(?=" + _POSTCODE_END + r"))[a-z]{2})"
    r"(?:(?:,? |(?=\d))" + _HOUSE_NUMBER + r"(?![\w,.]\d)|(?![\w-]))"
    r"(?:,? (?:'s-)?[A-Z][\w'-]+(?: (?:aan|den|de|op|[A-Z][\w'-]+)){0,3}(?![\w-]))?"
)
# Words that may open a sentence in front of a street name but are not part of it.
_STREET_LEADING_WORDS = {
    "Aan", "Op", "In", "Bij", "Naar", "Ik", "Wij", "We", "Mijn", "Ons", "Onze",
    "Woon", "Wonen", "Adres", "Via", "Langs", "Richting", "Tegenover", "Hoek", "Bel", "Kom",
}


def elfproef(digits: str) -> bool:
    """The Dutch 'elfproef' for BSN numbers (8 digits get a leading zero)."""
    digits = digits.zfill(9)
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    iban = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _emails(text: str) -> Iterator[Match]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "E-MAIL"


def _urls(text: str) -> Iterator[Match]:
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in _URL_TRAILING:
            end -= 1
        yield m.start(), end, "URL"


def _is_date(candidate: str) -> bool:
    """06-05-2024 12 is a date and a time; 06.21.98.45.63 and 06-12-34-56-78 are phone numbers. A date with
    a full year is a date whatever follows ("06-05-2024 - 12", "(06-05-2024) 12 mensen")."""
    m = _DATE.fullmatch(candidate) or _DATE_FULL_YEAR.match(candidate)
    return m is not None and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12


def _phones(text: str) -> Iterator[Match]:
    for m in _PHONE.finditer(text):
        if not _is_date(m.group()):
            # an opening bracket belongs to the number only when the area code is closed: (079)
            start = m.start() + (m.group().startswith("(") and ")" not in m.group())
            yield start, m.end(), "TELEFOON"


def _bsns(text: str) -> Iterator[Match]:
    for m in _BSN.finditer(text):
        if elfproef(re.sub(r"\D", "", m.group())):
            yield m.start(), m.end(), "BSN"
    for m in _BSN_KEYWORD.finditer(text):
        yield m.start(1), m.end(1), "BSN"


def _ibans(text: str) -> Iterator[Match]:
    for m in _IBAN.finditer(text):
        compact = m.group().replace(" ", "").upper()
        if iban_checksum_ok(compact) or _DUTCH_IBAN.fullmatch(compact):
            yield m.start(), m.end(), "IBAN"


def _plates(text: str) -> Iterator[Match]:
    for m in _PLATE.finditer(text):
        yield m.start(), m.end(), "KENTEKEN"
    for m in _PLATE_COMPACT.finditer(text):
        yield m.start(), m.end(), "KENTEKEN"
    for m in _PLATE_KEYWORD.finditer(text):
        plate = m.group(1)
        if re.search(r"\d", plate) and re.search(r"[A-Za-z]", plate):
            yield m.start(1), m.end(1), "KENTEKEN"


def _addresses(text: str) -> Iterator[Match]:
    for m in _STREET.finditer(text):
        start = m.start()
        # Drop capitalised words in front that open the sentence rather than name the street.
        words = m.group().split(" ")
        while len(words) > 2 and (words[0] in _STREET_LEADING_WORDS or words[0].islower()):
            start += len(words[0]) + 1
            words = words[1:]
        yield start, m.end(), "ADRES"
    for m in _STREET_LOWER.finditer(text):
        yield m.start(), m.end(), "ADRES"
    for m in _POSTCODE.finditer(text):
        yield m.start(), m.end(), "ADRES"


DETECTORS: tuple[Callable[[str], Iterator[Match]], ...] = (
    _emails, _urls, _ibans, _phones, _bsns, _plates, _addresses,
)
# Earlier labels win when matches overlap (an e-mail address contains a domain, and so on).
PRIORITY = ("E-MAIL", "URL", "IBAN", "TELEFOON", "BSN", "KENTEKEN", "ADRES", "NAAM")


def find_structured(text: str) -> list[Match]:
    """All pattern matches, possibly overlapping; resolved by the caller."""
    return [match for detector in DETECTORS for match in detector(text)]
