"""Load: residents chatting, reporters sending street interviews and staff browsing themes, all at once.

    .venv/bin/python bench/load.py                       # 20 residents, 3 reporters, 1 staff user, 10 minutes
    .venv/bin/python bench/load.py --minutes 1 --residents 4 --bare-minutes 0

Starts the action server, Rasa and the web application on a throw-away store (bench/_services.py; the web app
without its per-address rate limits, since every client here is 127.0.0.1). Then, for --minutes:
- residents: each runs whole conversations through POST /api/chat, one after another, answering what the
  assistant asks (consent, theme, opinion, why, own idea, wijk, age group, confirm, no other theme), with a
  seeded random think time of --think seconds (default 3-8) before every message, as a person reading and
  typing; a failed message is sent again after a think time, as the widget lets a resident do;
- reporters: log in, fetch the CSRF token, send an interview of 1-3 statements with its own idempotency key
  every 10-20 s, and re-send one in five (the offline queue re-syncing after a lost answer);
- staff: logs in and reads the dashboard, the themes page and a theme page every 2-5 s.
A second phase of --bare-minutes (default: the same) sends the residents straight to Rasa's REST channel,
with the reporters and staff still on the web app, so the machine is as busy: the ratio app / bare Rasa is
the cost of the web app in front of Rasa.
Prints per route: requests, requests/s, p50/p95/p99/max and errors; the peak memory of each server; and
"confirmed N, found N, duplicates N": every contribution a client was told was saved must be in the store once.
A warm-up (one conversation and one interview, so the pipelines are loaded) is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._services import (  # noqa: E402
    PASSWORD, PeakMemory, Stack, cpu_seconds, percentile, running_stack, server_pids,
)

CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}\b")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
THEME_LINK = re.compile(r'href="/beheer/themas/(\d+)"')
ERROR_PAGE = re.compile(r"<(?:h1|p)>(.*?)</(?:h1|p)>", re.S)
REQUEST_TIMEOUT = 60.0
# uvicorn closes a connection after 5 s idle, httpx keeps one for 5 s: a request sent on it at that moment
# fails (a browser would silently retry). Dropping idle connections earlier avoids that race.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)
# A reply slower than the app's own Rasa timeout counts as a hang, not as an answer.
HANG_SECONDS = 35.0
MAX_MESSAGES = 30  # answers; a conversation that has not reached its code by then has lost its way

CHAT_REPLY = "chat reply"
CHAT_CONFIRM = "chat confirm (redact + store)"
OPINIONS = [
    "Ik vind dat er meer bankjes en bomen in mijn buurt moeten komen.",
    "Er moeten meer betaalbare woningen komen voor jongeren en starters.",
    "De bus rijdt 's avonds te weinig, daardoor blijf ik vaak thuis.",
    "Ik mis een plek in de wijk waar buren elkaar ontmoeten, ik ben Jan de Vries van nummer 12.",
]
REASONS = [
    "Omdat ouderen dan vaker naar buiten gaan en elkaar ontmoeten.",
    "Omdat mijn kinderen anders de stad uit moeten.",
    "Omdat het in de zomer veel te heet wordt tussen de flats.",
]
IDEAS = [
    "Ik wil wel helpen met planten als de gemeente de bomen regelt.",
    "Een buurtapp waarin je samen dingen kunt regelen, mail me op piet@example.nl.",
    "Ik zou een middag per maand willen meedoen met opruimen.",
]
STATEMENTS = [
    "Het park is mooi maar er liggen te veel zwerfafval en hondenpoep.",
    "Meer sportveldjes voor de jeugd in de wijk graag.",
    "Fietspaden zijn slecht verlicht bij het station.",
    "De winkels in het centrum staan leeg, maak er woningen van.",
]


@dataclass
class Results:
    started: float = field(default_factory=time.monotonic)
    deadline: float = float("inf")  # no new messages after this; the fault bench moves it
    ended: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=dict)
    # (route, kind, detail, monotonic time): kind is a status code, "connect", "hang" or "empty"
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)
    chat_codes: dict[str, str] = field(default_factory=dict)  # session id → personal code the resident got
    reporter_keys: set[str] = field(default_factory=set)  # idempotency keys of statements answered with 2xx
    conversations: Counter = field(default_factory=Counter)  # finished / lost
    save_failed: int = 0  # replies "Het opslaan lukt nu niet…": the resident is asked to confirm again

    def time(self, route: str, milliseconds: float) -> None:
        self.timings.setdefault(route, []).append(milliseconds)

    def error(self, route: str, kind: str, detail: str) -> None:
        self.errors.append((route, kind, detail[:200], time.monotonic()))


class Failed(Exception):
    """A request that did not get a usable answer; recorded in Results.errors."""


async def call(
    client: httpx.AsyncClient, results: Results, route: str, method: str, url: str, **kwargs
) -> httpx.Response:
    """One timed request; any failure is recorded and raised as Failed."""
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        results.error(route, "hang", exc.__class__.__name__)
        raise Failed from exc
    except httpx.TransportError as exc:
        results.error(route, "connect", exc.__class__.__name__)
        raise Failed from exc
    elapsed = time.perf_counter() - started
    if elapsed > HANG_SECONDS:
        results.error(route, "hang", f"{elapsed:.0f} s")
        raise Failed
    if response.status_code >= 400:
        if response.headers.get("content-type", "").startswith("application/json"):
            detail = str(response.json().get("detail", ""))
        else:  # an error page: its title and message
            detail = " ".join(html.unescape(text) for text in ERROR_PAGE.findall(response.text)[:2])
        results.error(route, str(response.status_code), detail)
        raise Failed
    results.time(route, elapsed * 1000)
    return response


# ------------------------------------------------------------------------------------------------ residents


@dataclass
class Resident:
    """Answers whatever the assistant asks, as a resident who wants to give one contribution."""

    rng: random.Random
    code: str | None = None
    opinion: str = ""

    def __post_init__(self) -> None:
        self.opinion = self.rng.choice(OPINIONS)

    def answer(self, replies: list[dict]) -> tuple[str, str] | None:
        """(route, message) to send next, or None when the conversation is over."""
        text = " ".join(reply.get("text") or "" for reply in replies)
        payloads = [button["payload"] for reply in replies for button in reply.get("buttons") or []]
        if "opgeslagen" in text and (match := CODE.search(text)):
            self.code = match.group()
        if self.code and "Bedankt voor je tijd" in text:
            return None
        if "Klopt dit?" in text or "Het opslaan lukt nu niet" in text:
            return CHAT_CONFIRM, "/affirm"
        for prefix in ("/inform_age_group", "/inform_wijk"):
            choices = [payload for payload in payloads if payload.startswith(prefix)]
            if choices:
                return CHAT_REPLY, self.rng.choice(choices)
        themes = [payload for payload in payloads if payload.startswith("/choose_theme")]
        if themes:
            return CHAT_REPLY, "/deny" if self.code else self.rng.choice(themes)
        if "Ja, ik doe mee" in text or "Zeg 'ja' als je wilt meedoen" in text:
            return CHAT_REPLY, "/affirm"
        if "Waarom vind je dat" in text:
            return CHAT_REPLY, self.rng.choice(REASONS)
        if "Wat zou jij zelf" in text:
            return CHAT_REPLY, self.rng.choice(IDEAS)
        if self.code:
            return CHAT_REPLY, "/deny"
        # The theme's question, "tell me more", or anything unexpected: say what you think.
        return CHAT_REPLY, self.opinion


async def converse(
    client: httpx.AsyncClient, results: Results, via: str, url: str, rng: random.Random, think: tuple[float, float]
) -> None:
    resident = Resident(rng)
    interrupted = False
    session_id = None if via == "app" else f"bench-{uuid.uuid4().hex}"
    step: tuple[str, str] | None = (CHAT_REPLY, "/greet")  # what the widget sends when it opens
    answered = 0
    while answered < MAX_MESSAGES:
        await asyncio.sleep(rng.uniform(*think))
        if time.monotonic() > results.deadline:
            results.conversations["unfinished at the end"] += 1
            return
        route, message = step
        try:
            if via == "app":
                body = {"message": message, "session_id": session_id}
                reply = (await call(client, results, route, "POST", f"{url}/api/chat", json=body)).json()
                session_id, replies = reply["session_id"], reply["messages"]
            else:
                body = {"sender": session_id, "message": message}
                replies = (await call(client, results, route, "POST", f"{url}/webhooks/rest/webhook", json=body)).json()
        except Failed:
            interrupted = True
            continue  # the resident reads the message and sends the same text again
        if not replies:
            results.error(route, "empty", message)
            interrupted = True
            continue
        answered += 1
        results.save_failed += any("Het opslaan lukt nu niet" in (reply.get("text") or "") for reply in replies)
        step = resident.answer(replies)
        if resident.code and session_id not in results.chat_codes:
            results.chat_codes[session_id] = resident.code
        if step is None:
            results.conversations["finished after an error" if interrupted else "finished"] += 1
            return
    results.conversations["lost its way"] += 1


async def resident_loop(results: Results, via: str, url: str, seed: int, think: tuple[float, float]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=CLIENT_LIMITS) as client:
        while time.monotonic() < results.deadline:
            await converse(client, results, via, url, rng, think)


# ------------------------------------------------------------------------------------- reporters and staff


async def log_in(client: httpx.AsyncClient, results: Results, url: str, username: str) -> None:
    while True:
        try:
            page = await call(client, results, "login", "GET", f"{url}/inloggen")
            token = CSRF_INPUT.search(page.text).group(1)
            form = {"username": username, "password": PASSWORD, "csrf_token": token}
            await call(client, results, "login", "POST", f"{url}/inloggen", data=form)
            return
        except Failed:
            await asyncio.sleep(2.0)


def interview(rng: random.Random, number: int) -> dict:
    statements = [
        {"text": f"{rng.choice(STATEMENTS)} (interview {number}, uitspraak {index + 1})", "theme": None}
        for index in range(rng.randint(1, 3))
    ]
    return {
        "id": str(uuid.uuid4()),
        "place": "Stadhuisplein",
        "held_at": datetime.now(timezone.utc).isoformat(),
        "wijk": rng.choice(["Dorp", "Meerzicht", "Oosterheem", None]),
        "age_group": rng.choice(["18-34", "35-54", None]),
        "statements": statements,
    }


async def send_interview(client: httpx.AsyncClient, results: Results, url: str, entry: dict) -> None:
    """Send until a 2xx answer, with the same idempotency key each time: the reporter page's offline queue."""
    while time.monotonic() < results.deadline:
        try:
            session = await call(client, results, "reporter session", "GET", f"{url}/api/reporter/session")
            headers = {"X-CSRF-Token": session.json()["csrf_token"]}
            post = f"{url}/api/reporter/interviews"
            await call(client, results, "reporter interview", "POST", post, json=entry, headers=headers)
        except Failed:
            await asyncio.sleep(3.0)
            continue
        results.reporter_keys.update(f"reporter:{entry['id']}:{index}" for index in range(len(entry["statements"])))
        return


async def reporter_loop(results: Results, url: str, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=CLIENT_LIMITS) as client:
        await log_in(client, results, url, "bench-reporter")
        number = 0
        while time.monotonic() < results.deadline:
            number += 1
            entry = interview(rng, number)
            await send_interview(client, results, url, entry)
            if rng.random() < 0.2:
                await send_interview(client, results, url, entry)
            await asyncio.sleep(rng.uniform(10.0, 20.0))


async def staff_loop(results: Results, url: str, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=CLIENT_LIMITS) as client:
        await log_in(client, results, url, "bench-staff")
        while time.monotonic() < results.deadline:
            try:
                await call(client, results, "staff dashboard", "GET", f"{url}/beheer")
                themes = await call(client, results, "staff themes", "GET", f"{url}/beheer/themas")
                ids = THEME_LINK.findall(themes.text)
                if ids:
                    await call(client, results, "staff theme page", "GET", f"{url}/beheer/themas/{rng.choice(ids)}")
            except Failed:
                pass
            await asyncio.sleep(rng.uniform(2.0, 5.0))


# ----------------------------------------------------------------------------------------------- one phase


@dataclass
class Load:
    minutes: float = 10.0
    residents: int = 20
    reporters: int = 3
    staff: int = 1
    think: tuple[float, float] = (3.0, 8.0)
    seed: int = 1


async def run_phase(stack: Stack, load: Load, via: str = "app", results: Results | None = None) -> Results:
    """Everyone at once for load.minutes (or until results.deadline, when given); residents through the app
    (via='app') or straight to Rasa."""
    if results is None:
        results = Results()
        results.deadline = results.started + load.minutes * 60
    chat_url = stack.app_url if via == "app" else stack.rasa_url
    tasks = [
        resident_loop(results, via, chat_url, load.seed * 1000 + number, load.think) for number in range(load.residents)
    ]
    tasks += [reporter_loop(results, stack.app_url, load.seed * 2000 + n) for n in range(load.reporters)]
    tasks += [staff_loop(results, stack.app_url, load.seed * 3000 + n) for n in range(load.staff)]
    await asyncio.gather(*tasks)
    results.ended = time.monotonic()
    return results


async def warm_up(stack: Stack) -> None:
    """One conversation and one interview, so Rasa, the action server and the web app have loaded everything."""
    results = Results()
    results.deadline = time.monotonic() + 300
    async with httpx.AsyncClient(timeout=120.0, limits=CLIENT_LIMITS) as client:
        await converse(client, results, "app", stack.app_url, random.Random(0), (0.0, 0.0))
        await log_in(client, results, stack.app_url, "bench-reporter")
        await send_interview(client, results, stack.app_url, interview(random.Random(0), 0))
    if results.errors or not results.chat_codes:
        raise RuntimeError(f"warm-up failed: {results.errors[:3]}")


# ------------------------------------------------------------------------------------------------ counting


@dataclass
class Count:
    confirmed: int
    found: int
    duplicates: int
    unconfirmed_stored: int

    def line(self) -> str:
        return f"confirmed {self.confirmed}, found {self.found}, duplicates {self.duplicates}"


def count(results: Results) -> Count:
    """Were all confirmed contributions stored, once? Looked up in the store the servers wrote to."""
    from sqlalchemy import func, select

    from samenspraak.contributions import hash_personal_code
    from samenspraak.store import Response, get_store

    with get_store().session() as session:
        chat = session.execute(
            select(Response.chat_session_id, Response.personal_code_hash).where(Response.channel == "chat")
        ).all()
        keys = set(session.scalars(select(Response.idempotency_key).where(Response.idempotency_key.like("reporter:%"))))
        duplicates = session.scalar(
            select(func.count()).select_from(
                select(Response.chat_session_id, Response.interview_id, Response.theme_hint, Response.text_redacted)
                .group_by(Response.chat_session_id, Response.interview_id, Response.theme_hint, Response.text_redacted)
                .having(func.count() > 1)
                .subquery()
            )
        )
    stored_codes = {(session_id, code_hash) for session_id, code_hash in chat}
    found_chat = sum(
        (session_id, hash_personal_code(code)) in stored_codes for session_id, code in results.chat_codes.items()
    )
    confirmed_sessions = set(results.chat_codes)
    return Count(
        confirmed=len(results.chat_codes) + len(results.reporter_keys),
        found=found_chat + len(results.reporter_keys & keys),
        duplicates=duplicates,
        unconfirmed_stored=sum(session_id not in confirmed_sessions for session_id, _ in chat),
    )


# ------------------------------------------------------------------------------------------------ printing


def report(results: Results, title: str) -> None:
    # Residents stop at the deadline; only a last answer comes in after it.
    seconds = min(results.ended, results.deadline) - results.started
    replies = sum(len(results.timings.get(route, [])) for route in (CHAT_REPLY, CHAT_CONFIRM))
    print(f"\n{title}: {seconds:.0f} s, {replies / seconds:.2f} chat replies/s, {len(results.errors)} errors")
    print(f"  conversations: {dict(results.conversations)}; 'saving failed, try again': {results.save_failed}")
    header = ("n", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
    print(f"  {'route':<30} " + " ".join(f"{name:>7}" for name in header))
    errors = Counter(route for route, *_ in results.errors)
    for route in sorted(set(results.timings) | set(errors)):
        values = results.timings.get(route) or [float("nan")]
        print(
            f"  {route:<30} {len(results.timings.get(route, [])):>7} {len(values) / seconds:>7.2f} "
            f"{percentile(values, 0.50):>7.0f} {percentile(values, 0.95):>7.0f} {percentile(values, 0.99):>7.0f} "
            f"{max(values):>7.0f} {errors[route]:>7}"
        )
    for route, kind, detail, _ in results.errors[:10]:
        print(f"  error: {route}: {kind} {detail}")


def cpu_line(before: dict[str, float], after: dict[str, float], results: Results) -> str:
    """CPU milliseconds per chat reply of each server and of this load generator: less noisy than latency on
    a shared machine, and it shows which process a change made cheaper."""
    replies = sum(len(results.timings.get(route, [])) for route in (CHAT_REPLY, CHAT_CONFIRM)) or 1
    return "  CPU per chat reply (ms): " + ", ".join(
        f"{role} {(after[role] - before[role]) * 1000 / replies:.0f}" for role in sorted(after)
    )


def ratio_line(app: Results, bare: Results, route: str) -> str:
    a, b = app.timings.get(route), bare.timings.get(route)
    if not a or not b:
        return f"  {route}: not enough replies to compare"
    return (
        f"  {route:<30} app p50/p95 {percentile(a, 0.5):.0f}/{percentile(a, 0.95):.0f} ms, "
        f"bare Rasa {percentile(b, 0.5):.0f}/{percentile(b, 0.95):.0f} ms, "
        f"ratio p50 {percentile(a, 0.5) / percentile(b, 0.5):.2f}, p95 {percentile(a, 0.95) / percentile(b, 0.95):.2f}"
    )


def parse_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the phase through the app")
    parser.add_argument("--bare-minutes", type=float, help="length of the phase straight to Rasa (0: skip)")
    parser.add_argument("--residents", type=int, default=20, help="conversations at once")
    parser.add_argument("--reporters", type=int, default=3)
    parser.add_argument("--staff", type=int, default=1)
    parser.add_argument("--think", default="3-8", help="seconds a resident takes before each message, e.g. 3-8")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="store for the run (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    load = Load(args.minutes, args.residents, args.reporters, args.staff, parse_range(args.think), args.seed)
    bare_minutes = args.minutes if args.bare_minutes is None else args.bare_minutes

    started = time.monotonic()
    with running_stack(database_url=args.database_url) as stack, PeakMemory(lambda: server_pids(stack)) as memory:
        print(f"servers ready after {time.monotonic() - started:.0f} s; warming up")
        asyncio.run(warm_up(stack))
        print(
            f"load: {load.residents} residents (think {load.think[0]:g}-{load.think[1]:g} s), "
            f"{load.reporters} reporters, {load.staff} staff, seed {load.seed}"
        )
        cpu_before = cpu_seconds(stack)
        app = asyncio.run(run_phase(stack, load, "app"))
        cpu_after = cpu_seconds(stack)
        report(app, f"through the app ({load.minutes:g} min)")
        print(cpu_line(cpu_before, cpu_after, app))
        counted = count(app)
        print(f"  {counted.line()} (stored but not confirmed to the client: {counted.unconfirmed_stored})")
        if bare_minutes > 0:
            bare_load = Load(bare_minutes, load.residents, load.reporters, load.staff, load.think, load.seed + 1)
            bare = asyncio.run(run_phase(stack, bare_load, "rasa"))
            cpu_bare = cpu_seconds(stack)
            report(bare, f"residents straight to Rasa ({bare_minutes:g} min; reporters and staff still on the app)")
            print(cpu_line(cpu_after, cpu_bare, bare))
            print("\napp / bare Rasa, same model and load shape:")
            for route in (CHAT_REPLY, CHAT_CONFIRM):
                print(ratio_line(app, bare, route))
    print("\npeak memory (RSS, MB): " + ", ".join(f"{role} {mb:.0f}" for role, mb in sorted(memory.peak_mb.items())))
    return 0 if not app.errors and counted.found == counted.confirmed and counted.duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
