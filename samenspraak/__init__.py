"""Samenspraak: conversational consultation for Dutch municipalities."""

__version__ = "0.1.0"
