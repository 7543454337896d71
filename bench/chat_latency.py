"""Chat latency of whole scripted conversations, straight to Rasa's REST channel and through the web app.

    .venv/bin/python bench/chat_latency.py --conversations 10
    .venv/bin/python bench/chat_latency.py --conversations 5 --via rasa,app --concurrency 1,20

Starts Rasa and the action server on a throw-away response store and tracker store in a temporary folder
(bench/_services.py), so no real data is touched. For --via app it also serves the web application
(`samenspraak.web.app:create_app`, rate limits off) with uvicorn in a subprocess on a free loopback port, and
sends the same conversations to its POST /api/chat, which forwards them to Rasa. The conversations are sent
back to back, without a think time: this measures the servers at full stretch (bench/load.py measures
residents who read and type). Each concurrency level runs
max(--conversations, level) conversations, that many at once. Prints the start-up time, the median, p95 and
maximum round trip per conversation step for every mode, and a summary of p50/p95 per mode with the ratio
app / bare Rasa. With --url (Rasa) and --app-url (web app) it measures servers that already run instead
(those write into their own store). Needs a trained model: make bot-train.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._services import percentile, running_stack  # noqa: E402

from samenspraak import config  # noqa: E402

VIAS = ("rasa", "app")


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


async def converse(
    client: httpx.AsyncClient, via: str, url: str, theme_key: str, show: bool
) -> list[tuple[str, float]]:
    """One scripted conversation; returns (step, milliseconds) per message."""
    sender = f"bench-{uuid.uuid4().hex}"  # Rasa sender; the app hands out its own session id
    session_id = None
    timings = []
    for step, message in script(theme_key):
        started = time.perf_counter()
        if via == "rasa":
            reply = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        else:
            reply = await client.post(f"{url}/api/chat", json={"message": message, "session_id": session_id})
        elapsed = (time.perf_counter() - started) * 1000
        reply.raise_for_status()
        body = reply.json()
        if via == "app":
            session_id, items = body["session_id"], body["messages"]
        else:
            items = body
        if not items:
            raise RuntimeError(f"{via}: no reply to {message!r} at step {step!r}")
        timings.append((step, elapsed))
        if show:
            print(f"> {message}")
            for item in items:
                print(f"  < {item.get('text', '')}")
    return timings


async def measure_async(via: str, url: str, conversations: int, concurrency: int, show: bool) -> dict[str, list[float]]:
    from samenspraak.consultations import load_consultation

    theme_key = load_consultation(config.get_settings().consultation).themes[0].key
    timings: dict[str, list[float]] = {}
    queue = list(range(conversations))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:

        async def worker() -> None:
            while queue:
                number = queue.pop()
                for step, elapsed in await converse(client, via, url, theme_key, show and number == 0):
                    timings.setdefault(step, []).append(elapsed)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


def measure(
    url: str, conversations: int, show: bool, via: str = "rasa", concurrency: int = 1
) -> dict[str, list[float]]:
    return asyncio.run(measure_async(via, url, conversations, concurrency, show))


def report(timings: dict[str, list[float]]) -> None:
    print(f"{'step':<30} {'n':>3} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for step, values in timings.items():
        print(
            f"{step:<30} {len(values):>3} {statistics.median(values):>10.0f} "
            f"{percentile(values, 0.95):>8.0f} {max(values):>8.0f}"
        )


def summary(results: dict[tuple[str, int], dict[str, list[float]]]) -> None:
    """p50/p95 over all replies per mode, and app / bare Rasa at the same concurrency."""
    print(f"\n{'mode':<18} {'replies':>7} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10} {'p95 ratio':>10}")
    overall = {mode: [v for values in timings.values() for v in values] for mode, timings in results.items()}
    for (via, concurrency), values in overall.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        line = f"{via + ' x' + str(concurrency):<18} {len(values):>7} {p50:>8.0f} {p95:>8.0f}"
        bare = overall.get(("rasa", concurrency))
        if via == "app" and bare:
            line += f" {p50 / statistics.median(bare):>10.2f} {p95 / percentile(bare, 0.95):>10.2f}"
        print(line)


def run_modes(urls: dict[str, str], levels: list[int], conversations: int, show: bool) -> None:
    results = {}
    for concurrency in levels:
        for via, url in urls.items():
            count = max(conversations, concurrency)
            print(f"\n{via} at concurrency {concurrency}: {count} conversations")
            started = time.perf_counter()
            timings = measure(url, count, show, via, concurrency)
            print(f"done in {time.perf_counter() - started:.1f} s")
            report(timings)
            results[(via, concurrency)] = timings
            show = False
    summary(results)


def csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--conversations", type=int, default=10, help="conversations per concurrency level (at least the level)"
    )
    parser.add_argument("--concurrency", default="1", help="comma-separated levels, e.g. 1,20")
    parser.add_argument("--via", default="rasa", help="comma-separated: rasa (REST webhook), app (web app /api/chat)")
    parser.add_argument("--url", help="measure a Rasa that already runs at this URL")
    parser.add_argument("--app-url", help="measure a web app that already runs at this URL")
    parser.add_argument("--show", action="store_true", help="print the first conversation")
    args = parser.parse_args()
    vias = csv_list(args.via)
    if not vias or set(vias) - set(VIAS):
        parser.error(f"--via takes {', '.join(VIAS)}")
    try:
        levels = [int(level) for level in csv_list(args.concurrency)]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        parser.error("--concurrency takes whole numbers from 1, e.g. 1,20")

    if args.url or args.app_url:
        given = {"rasa": args.url, "app": args.app_url}
        urls = {via: given[via].rstrip("/") for via in vias if given[via]}
        if not urls:
            parser.error("give --url for --via rasa, --app-url for --via app")
        run_modes(urls, levels, args.conversations, args.show)
        return 0

    from bot.services import BotStartError

    started = time.perf_counter()
    try:
        with running_stack(web="app" in vias) as stack:
            print(f"servers ready after {time.perf_counter() - started:.0f} s")
            urls = {"rasa": stack.rasa_url, "app": stack.app_url}
            run_modes({via: urls[via] for via in vias}, levels, args.conversations, args.show)
    except BotStartError as exc:
        print(f"chat-latency: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
