"""Preprocessing for themes: normalisation, language, non-answers, lemmas, key phrases, duplicates."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder
from sklearn.feature_extraction.text import TfidfVectorizer
from spacy.tokens import Doc, Token

from nlp.redaction import PLACEHOLDER

# --- normalisation -----------------------------------------------------------------------------

_CHARACTER_MAP = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "′": "'",
        "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...",
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ",
        "\u200b": None, "\u2060": None, "\ufeff": None, "\u00ad": None,
    }
)
_SPACES = re.compile(r" {2,}")


def normalize(text: str) -> str:
    """Unicode NFC, straight quotes and dashes, no control or zero-width characters, single
    spaces, no empty lines. Emoji are kept (they carry sentiment; they are not lemmatised)."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_CHARACTER_MAP)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --- non-answers -------------------------------------------------------------------------------

_NON_ANSWER = re.compile(
    r"(?:ik )?(?:weet|weten) (?:het |ik |het ik |ik het )?(?:echt |ook |eigenlijk |nog )?niet"
    r"(?: zo| precies| goed| zo goed)?"
    r"|(?:ik )?(?:heb )?(?:er )?(?:geen|nog geen) (?:idee|mening|antwoord|opmerkingen?|commentaar"
    r"|flauw idee|reactie|aanvulling(?:en)?|toevoeging)(?: over| op)?"
    r"|n ?v ?t|niet van toepassing|n a|na|nee|neen|niks|niets|nope|geen|x+|idk|pass|blanco"
    r"|no idea|no comment|don ?t know|dunno|-+"
)


def is_non_answer(text: str) -> bool:
    """True for answers without content ("weet niet", "geen mening", "nvt", "-", only emoji or
    punctuation): they are counted but not themed."""
    words = re.sub(r"[^\w\s-]|_", " ", normalize(text).lower()).split()
    core = " ".join(words)
    if not any(c.isalpha() for c in core):
        return True
    return _NON_ANSWER.fullmatch(core) is not None


# --- language ----------------------------------------------------------------------------------

# Languages a Zoetermeer resident may write in; a closed set is faster and more accurate.
LANGUAGES = (
    Language.DUTCH, Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH,
    Language.PORTUGUESE, Language.ITALIAN, Language.POLISH, Language.TURKISH, Language.ARABIC,
    Language.ROMANIAN, Language.BULGARIAN, Language.UKRAINIAN, Language.RUSSIAN, Language.SOMALI,
    Language.CHINESE,
)
MIN_LETTERS = 3
MIN_CONFIDENCE = 0.5
DUTCH_PRIOR_RANK = 3  # short, unclear texts count as Dutch when Dutch is among the top 3
DETECTION_CHARS = 2000


@lru_cache(maxsize=1)
def _detector():
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


def detect_language(text: str) -> str:
    """ISO 639-1 code ('nl', 'en', ...) or 'und' when the text has too little to go on."""
    text = PLACEHOLDER.sub(" ", text)[:DETECTION_CHARS]
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return "und"
    ranked = _detector().compute_language_confidence_values(text)
    if not ranked:
        return "und"
    if ranked[0].value >= MIN_CONFIDENCE:
        return ranked[0].language.iso_code_639_1.name.lower()
    if any(c.language == Language.DUTCH for c in ranked[:DUTCH_PRIOR_RANK]):
        return "nl"
    return "und"


# --- lemmas and key phrases --------------------------------------------------------------------

_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV", "X", ""}
_PHRASE_EDGE_POS = {"DET", "PRON", "ADP", "CCONJ", "SCONJ", "PUNCT", "NUM", "AUX", "PART"}


def lemma(token: Token) -> str:
    """Lower-case lemma. UD Dutch splits compounds (klooster_orde, leven_stijl); those are
    rebuilt on the word itself, so "levensstijlen" gives "levensstijl"."""
    value = (token.lemma_ or token.text).lower()
    if "_" not in value:
        return value
    word, head = token.lower_, value.split("_")[-1]
    for size in range(len(head), 2, -1):
        position = word.rfind(head[:size])
        if position >= 0:
            return word[:position] + head
    return word


def _placeholder_tokens(doc: Doc) -> set[int]:
    spans = (doc.char_span(*m.span(), alignment_mode="expand") for m in PLACEHOLDER.finditer(doc.text))
    return {t.i for span in spans if span is not None for t in span}


_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # letters, also e-mail, Zuid-Holland


def _is_content(token: Token, placeholders: set[int]) -> bool:
    return (
        _WORD.fullmatch(token.text) is not None
        and len(token.text) > 1
        and not token.is_stop
        and token.pos_ in _CONTENT_POS
        and token.i not in placeholders
    )


def lemmas(doc: Doc) -> list[str]:
    """Content lemmas in order, without stop words, placeholders, numbers or punctuation."""
    placeholders = _placeholder_tokens(doc)
    return [lemma(t) for t in doc if _is_content(t, placeholders)]


def key_phrases(doc: Doc) -> list[str]:
    """Noun phrases ("nieuwe fietsenstalling"), trimmed of articles and pronouns, without
    duplicates. Pipelines without a parser give their content nouns instead."""
    if doc.has_annotation("DEP"):
        chunks = list(doc.noun_chunks)
    else:
        chunks = [doc[t.i : t.i + 1] for t in doc if t.pos_ in {"NOUN", "PROPN"}]
    placeholders = _placeholder_tokens(doc)
    phrases: list[str] = []
    for chunk in chunks:
        tokens = list(chunk)
        while tokens and (tokens[0].pos_ in _PHRASE_EDGE_POS or tokens[0].is_stop):
            tokens.pop(0)
        while tokens and (tokens[-1].pos_ in _PHRASE_EDGE_POS or tokens[-1].is_stop):
            tokens.pop()
        if any(t.i in placeholders for t in tokens) or not any(_is_content(t, placeholders) for t in tokens):
            continue
        phrase = " ".join(t.lower_ for t in tokens)
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


# --- near duplicates ---------------------------------------------------------------------------

DUPLICATE_THRESHOLD = 0.85
_ROWS_PER_BLOCK = 500  # bounds the memory of one block of similarities


def near_duplicates(texts: list[str], threshold: float = DUPLICATE_THRESHOLD) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, whose character 3-5-gram TF-IDF cosine similarity is >= threshold
    (copy-paste, retyped answers, small edits). Empty and punctuation-only texts are skipped."""
    keys = [" ".join(re.sub(r"[^\w\s]|_", " ", normalize(t).lower()).split()) for t in texts]
    indices = [i for i, key in enumerate(keys) if key]
    if len(indices) < 2:
        return []
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(
        [keys[i] for i in indices]
    )
    pairs = []
    for block_start in range(0, len(indices), _ROWS_PER_BLOCK):
        similarity = (matrix[block_start : block_start + _ROWS_PER_BLOCK] @ matrix.T).tocoo()
        rows = similarity.row + block_start
        keep = (similarity.data >= threshold - 1e-9) & (rows < similarity.col)
        pairs += [(indices[i], indices[j]) for i, j in zip(rows[keep], similarity.col[keep])]
    return sorted(pairs)
