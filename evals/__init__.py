"""Evaluations against labelled data (run from the repository root: python -m evals.<name>)."""
