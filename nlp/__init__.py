"""Samenspraak's Dutch language layer: the only package that uses spaCy directly.

    import nlp
    nlp.redact("Ik ben Jan, bel 06-12345678")   # 'Ik ben [NAAM], bel [TELEFOON]'
    nlp.analyse(["Meer groen in Meerzicht!"])    # [Analysis(redacted=..., lemmas=[...], ...)]
"""

from nlp.analysis import Analysis, analyse
from nlp.loader import PipelineNotFound, load_pipeline
from nlp.preprocess import detect_language, is_non_answer, near_duplicates, normalize
from nlp.redaction import LABELS, Span, find_personal_data, redact

__all__ = [
    "LABELS",
    "Analysis",
    "PipelineNotFound",
    "Span",
    "analyse",
    "detect_language",
    "find_personal_data",
    "is_non_answer",
    "load_pipeline",
    "near_duplicates",
    "normalize",
    "redact",
]
