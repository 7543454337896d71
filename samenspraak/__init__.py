"""Samenspraak: conversational consultation for Dutch municipalities."""

import os

# Before torch loads its OpenMP runtime: idle OpenMP threads sleep instead of spinning. On a shared 2-core
# machine spinning threads take the cores the working ones need (embedding ran 2-3x slower under load).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
