"""Chat latency through Rasa's REST channel, step by step, for whole scripted conversations.

    .venv/bin/python bench/chat_latency.py --conversations 10

Starts Rasa and the action server (bot/services.py) on a throw-away response store and tracker store in a
temporary folder, so no real data is touched, and prints the start-up time and the median, p95 and maximum
round trip per conversation step. With --url it measures an assistant that is already running instead (that
one writes into its own store). Needs a trained model: make bot-train.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samenspraak import config  # noqa: E402


def script(theme_key: str) -> list[tuple[str, str]]:
    """(step, message): one full contribution, from greeting to goodbye with the personal code."""
    return [
        ("greet (asks consent)", "hallo"),
        ("consent (theme buttons)", "/affirm"),
        ("theme button (explanation)", '/choose_theme{"theme": "%s"}' % theme_key),
        ("opinion (free text)", "Ik vind dat er meer bankjes en bomen in mijn buurt moeten komen."),
        ("reason (free text)", "Omdat ouderen dan vaker naar buiten gaan en elkaar ontmoeten."),
        ("own idea (free text)", "Ik wil wel helpen met planten als de gemeente de bomen regelt."),
        ("wijk button", '/inform_wijk{"wijk": "Dorp"}'),
        ("age group button (summary)", '/inform_age_group{"age_group": "35-54"}'),
        ("confirm (redact + store)", "/affirm"),
        ("no other theme (code)", "/deny"),
    ]


def measure(url: str, conversations: int, show: bool) -> dict[str, list[float]]:
    from samenspraak.consultations import load_consultation

    theme_key = load_consultation(config.get_settings().consultation).themes[0].key
    timings: dict[str, list[float]] = {}
    with httpx.Client(timeout=60.0) as client:
        for number in range(conversations):
            sender = f"bench-{uuid.uuid4().hex}"
            for step, message in script(theme_key):
                started = time.perf_counter()
                reply = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
                elapsed = (time.perf_counter() - started) * 1000
                reply.raise_for_status()
                timings.setdefault(step, []).append(elapsed)
                if show and number == 0:
                    print(f"> {message}")
                    for item in reply.json():
                        print(f"  < {item.get('text', '')}")
    return timings


def report(timings: dict[str, list[float]]) -> None:
    print(f"{'step':<30} {'n':>3} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for step, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{step:<30} {len(values):>3} {statistics.median(values):>10.0f} {p95:>8.0f} {max(values):>8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--url", help="measure an assistant that already runs at this URL")
    parser.add_argument("--show", action="store_true", help="print the first conversation")
    args = parser.parse_args()
    if args.url:
        report(measure(args.url.rstrip("/"), args.conversations, args.show))
        return 0

    with tempfile.TemporaryDirectory(prefix="chat-bench-") as folder:
        model = config.get_settings().var_dir / "rasa" / "models" / "samenspraak.tar.gz"
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ["SAMENSPRAAK_TRACKER_URL"] = f"sqlite:///{folder}/tracker.db"
        config.get_settings.cache_clear()
        from bot.services import BotStartError, start
        from samenspraak.store import get_store

        get_store().migrate()
        started = time.perf_counter()
        try:
            bot = start(model)
        except BotStartError as exc:
            print(f"chat-latency: {exc}", file=sys.stderr)
            return 1
        try:
            print(f"Rasa and action server ready after {time.perf_counter() - started:.0f} s")
            report(measure(bot.rasa_url, args.conversations, args.show))
        finally:
            bot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
