"""Themes: BERTopic-based themes anchored in the vision, with staff edits that survive re-fits (issue #5).

Public API for the web app, booklets and CLI. Heavy libraries (torch, BERTopic, UMAP) load only when a fit
or an assignment runs; edits and overviews read the store only.
"""

import os

# huggingface_hub reads this once, when it is first imported (BERTopic imports it too): set it before anything
# here can. Nothing is downloaded unless the user sets HF_HUB_OFFLINE=0 themselves.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from topics.edits import (
    exclude_response,
    mark_quote,
    mark_reviewed,
    merge_themes,
    move_response,
    rename_theme,
    set_follow_up,
    split_theme,
)
from topics.errors import EditError, TopicsError
from topics.fitting import assign_new, fit
from topics.overview import (
    Quote,
    ThemeResponse,
    ThemeSummary,
    non_answer_count,
    theme_map,
    theme_overview,
    theme_responses,
)

__all__ = [
    "EditError",
    "Quote",
    "ThemeResponse",
    "ThemeSummary",
    "TopicsError",
    "assign_new",
    "exclude_response",
    "fit",
    "mark_quote",
    "mark_reviewed",
    "merge_themes",
    "move_response",
    "non_answer_count",
    "rename_theme",
    "set_follow_up",
    "split_theme",
    "theme_map",
    "theme_overview",
    "theme_responses",
]
