"""A small consultation with themes, quotes and follow-ups, built once per module through topics/' edit API."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

import topics
from samenspraak import config
from samenspraak.booklets import render
from samenspraak.consultations import load_consultation
from samenspraak.contributions import save_contribution, sync_consultation
from samenspraak.store import Store, Theme

SLUG = "zoetermeer-2040"
PLANTED_EMAIL = "joke.vermeulen@voorbeeldmail.nl"
PLANTED_PHONE = "06-12345678"
SCRIPT = "<script>alert('boekje')</script>"
LONG_TAIL = "EINDE-VAN-HET-LANGE-CITAAT"
FOLLOW_UP = "We nemen de wens voor meer ontmoetingsplekken mee in het wijkprogramma. Een nieuw buurthuis in elke wijk kan niet: daar is geen geld voor."

# (text, channel, wijk, theme keys, marked as quote)
RESPONSES = [
    ("Ik voel me hier thuis omdat mijn buren altijd klaarstaan als er iets is.", "straat", "Meerzicht", ["mijn-thuis"], True),
    ("Er zijn te weinig plekken waar jong en oud elkaar ontmoeten. Een buurtkamer zou helpen.", "chat", "Buytenwegh", ["mijn-thuis"], True),
    ("Als zorgorganisatie willen we graag meedenken over eenzaamheid bij ouderen.", "partners", None, ["mijn-thuis"], True),
    ("Welkom voelen begint bij een gemeente die luistert.", "web", "Dorp", ["mijn-thuis"], False),
    ("Nieuwe inwoners weten vaak niet waar ze terecht kunnen.", "intern", None, ["mijn-thuis"], False),
    (f"Bel me gerust op {PLANTED_PHONE} of mail {PLANTED_EMAIL}, ik wil meehelpen met de buurtmoestuin.", "chat", "Seghwaert", ["mijn-thuis", "duurzame-stad"], True),
    ("Het Westerpark is mijn favoriete plek. Houd het groen en rustig.", "straat", "Rokkeveen", ["duurzame-stad"], True),
    (f"Meer bomen in de straat tegen de hitte. {SCRIPT}", "chat", "Oosterheem", ["duurzame-stad"], True),
    ("Zonnepanelen op alle scholen en sporthallen, dat moet toch kunnen?", "web", None, ["duurzame-stad"], False),
    ("De parken verbinden met goede fietspaden zou mooi zijn.", "partners", None, ["duurzame-stad", "regiostad"], False),
    (("Ik woon al dertig jaar in Palenstein en zie de wijk veranderen. " * 12) + LONG_TAIL, "straat", "Palenstein", ["palet-van-wijken"], True),
    ("Meer betaalbare woningen voor starters in elke wijk.", "chat", "Noordhove", ["palet-van-wijken"], False),
    ("De winkels in het buurtcentrum staan leeg, doe daar iets aan.", "web", "Meerzicht", ["palet-van-wijken"], False),
    ("Living labs met het Dutch Innovation Park zijn kansrijk voor de stad.", "partners", None, ["toegepaste-innovatie"], True),
    ("Slimme lantaarnpalen die dimmen als er niemand is.", "chat", None, ["toegepaste-innovatie"], False),
    ("De Randstadrail naar Den Haag moet vaker rijden.", "straat", "Stadshart", ["regiostad"], False),
    ("Mijn parkeerboete was onterecht.", "web", None, ["overig"], False),
    ("Deze zin is niet als citaat gekozen en hoort niet in een openbaar boekje.", "chat", None, ["regiostad"], False),
]
UNMARKED = RESPONSES[-1][0]


@dataclass
class Sample:
    store: Store
    themes: dict[str, int]
    documents: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def get(self, audience: str, fmt: str) -> bytes:
        if (audience, fmt) not in self.documents:
            self.documents[(audience, fmt)] = render(SLUG, audience, fmt, store=self.store)
        return self.documents[(audience, fmt)]

    def html(self, audience: str) -> str:
        return self.get(audience, "html").decode("utf-8")

    def pdf_text(self, audience: str) -> str:
        return pdf_text(self.get(audience, "pdf"))


def _poppler(tool: str, *args: str, pdf: bytes) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is niet geïnstalleerd")
    return subprocess.run([tool, *args, "-"], input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    return _poppler("pdftotext", "-", pdf=pdf)


def pdf_info(pdf: bytes) -> dict[str, str]:
    """pdfinfo's fields (Pages, Tagged, Title, ...) plus 'xmp', the XMP metadata."""
    fields = dict(line.split(":", 1) for line in _poppler("pdfinfo", pdf=pdf).splitlines() if ":" in line)
    info = {key.strip(): value.strip() for key, value in fields.items()}
    info["xmp"] = _poppler("pdfinfo", "-meta", pdf=pdf)
    return info


def new_store(path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.migrate()
    with store.session() as session:
        sync_consultation(session, load_consultation(SLUG))
    return store


def theme_ids(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {key: theme_id for key, theme_id in session.execute(select(Theme.key, Theme.id)).all()}


def add_response(store: Store, text: str, channel: str, wijk: str | None = None, day: int = 0, non_answer: bool = False) -> int:
    """Stored as given: the text counts as already redacted, so what a booklet prints depends on its own guard."""
    analysis = {"text_redacted": text, "language": "nl", "lemmas": text.lower().split(), "key_phrases": [],
                "is_non_answer": non_answer}
    created = dt.datetime(2024, 9, 2, 10, tzinfo=dt.timezone.utc) + dt.timedelta(days=day)
    return save_contribution(consultation=SLUG, channel=channel, text=text, wijk=wijk, created_at=created,
                             analysis=analysis, store=store).response_id


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Iterator[Path]:
    """A var/ of this module's own, so results lying in the real var/ (e.g. evals/topics.json) do not leak in.

    Only the built models (the embedding model) are shared with the real var/.
    """
    path = tmp_path_factory.mktemp("var")
    (path / "models").symlink_to(config.get_settings().var_dir / "models", target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAMENSPRAAK_VAR_DIR", str(path))
        config.get_settings.cache_clear()
        yield path
    config.get_settings.cache_clear()


@pytest.fixture(scope="module")
def sample(var_dir) -> Iterator[Sample]:
    store = new_store(var_dir / "booklet.db")
    ids = theme_ids(store)
    for day, (text, channel, wijk, keys, marked) in enumerate(RESPONSES):
        response_id = add_response(store, text, channel, wijk, day=day * 5)
        for key in keys:
            topics.move_response(response_id, None, ids[key], store=store)
        if marked:
            topics.mark_quote(response_id, ids[keys[0]], store=store)
    add_response(store, "weet niet", "straat", day=3, non_answer=True)
    topics.set_follow_up(ids["mijn-thuis"], FOLLOW_UP, store=store)
    yield Sample(store, ids)
    store.dispose()
