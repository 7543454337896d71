"""Errors of topics/. Messages are Dutch: staff see them in the web app and the CLI."""

from __future__ import annotations

from contextlib import contextmanager

from samenspraak.consultations import DefinitionError


class TopicsError(RuntimeError):
    """A theme run cannot be done (no responses, no model, ...)."""


class EditError(ValueError):
    """A staff edit that is impossible (unknown id, merging a theme into itself, ...)."""


@contextmanager
def definition_errors_as_topics_errors():
    """An unknown consultation or a broken definition file, in the same Dutch words, as a TopicsError."""
    try:
        yield
    except DefinitionError as exc:
        raise TopicsError(str(exc)) from exc
