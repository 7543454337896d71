"""Errors of topics/. Messages are Dutch: staff see them in the web app and the CLI."""

from __future__ import annotations


class TopicsError(RuntimeError):
    """A theme run cannot be done (no responses, no model, ...)."""


class EditError(ValueError):
    """A staff edit that is impossible (unknown id, merging a theme into itself, ...)."""
