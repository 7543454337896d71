"""`make run`: load the demo consultation and data, then start every service on localhost and print the URLs.

Idempotent: the database is migrated, definitions synced, demo rows re-imported without duplicates, demo
accounts created once (their passwords kept in var/demo-accounts.json), themes fitted only when no fit exists.
The web application starts at once; Rasa loads its model in the background (about a minute) and the chat
widget says so in the meantime.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading

from rich.console import Console
from sqlalchemy import select

from samenspraak.accounts import create_account
from samenspraak.config import DATA_DIR, get_settings
from samenspraak.consultations import load_all_consultations
from samenspraak.contributions import sync_consultation
from samenspraak.importer import import_responses
from samenspraak.store import Account, Consultation, TopicRun, get_store

DEMO_FILE = DATA_DIR / "demo" / "responses.csv"
DEMO_ACCOUNTS = (("beheerder", "admin", "Beheerder (demo)"), ("medewerker", "staff", "Medewerker (demo)"), ("reporter", "reporter", "Razende reporter (demo)"))
console = Console()


def load_demo() -> None:
    store = get_store()
    store.migrate()
    with store.session() as session:
        for definition in load_all_consultations():
            sync_consultation(session, definition)
    report = import_responses(DEMO_FILE, consultation=get_settings().consultation, store=store)
    console.print(f"Demodata: {report.added} nieuw, {report.duplicates} al aanwezig, {len(report.errors)} afgekeurd")


def demo_accounts() -> list[tuple[str, str, str]]:
    """(username, password, role) of the demo accounts, created on first use."""
    settings = get_settings()
    path = settings.var_dir / "demo-accounts.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    store = get_store()
    with store.session() as session:
        existing = set(session.scalars(select(Account.username)))
    for username, role, display_name in DEMO_ACCOUNTS:
        if username in existing:
            continue  # made on an earlier run, or by hand with a password we do not know
        known[username] = secrets.token_urlsafe(12)
        create_account(username, known[username], role, display_name, store=store)
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return [(username, known[username], role) for username, role, _ in DEMO_ACCOUNTS if username in known]


def fit_themes_once() -> None:
    import topics

    settings = get_settings()
    store = get_store()
    for slug in (definition.slug for definition in load_all_consultations()):
        with store.session() as session:
            done = session.scalar(
                select(TopicRun.id)
                .join(Consultation, TopicRun.consultation_id == Consultation.id)
                .where(Consultation.slug == slug, TopicRun.kind == "fit", TopicRun.status == "done")
            )
        if done is None:
            console.print(f"Thema's zoeken voor {slug} (eenmalig, ongeveer een minuut)…")
            topics.fit(slug, store=store)
    console.print(f"Thema's klaar (actieve consultatie: {settings.consultation})")


def start_bot_in_background() -> list:
    """Start Rasa + action server without waiting: the web app is useful before the model has loaded."""
    from bot import services

    started: list = []

    def run() -> None:
        try:
            started.append(services.start())
            console.print("[green]De chatassistent is klaar.[/]")
        except services.BotStartError as exc:
            console.print(f"[red]Chatassistent niet gestart:[/] {exc}")

    threading.Thread(target=run, name="rasa-start", daemon=True).start()
    return started


def main() -> int:
    settings = get_settings()
    load_demo()
    accounts = demo_accounts()
    fit_themes_once()
    bot = start_bot_in_background()
    base = f"http://{settings.web_host}:{settings.web_port}"
    console.rule("Samenspraak draait")
    console.print(f"Inwoners (chat):        {base}/")
    console.print(f"Mijn bijdrage:          {base}/mijn-bijdrage")
    console.print(f"Razende reporters:      {base}/reporter")
    console.print(f"Beheer (medewerkers):   {base}/beheer")
    for username, password, role in accounts:
        console.print(f"  demo-account {role:<8} gebruiker [bold]{username}[/]  wachtwoord [bold]{password}[/]")
    console.print("De chatassistent laadt op de achtergrond (ongeveer een minuut). Stoppen: Ctrl-C")
    from samenspraak.web import serve

    try:
        serve(settings.web_host, settings.web_port)
    finally:
        for processes in bot:
            processes.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
