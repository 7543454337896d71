"""What a booklet says: collected once from the store and the topics overview, then handed to a template."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from samenspraak.booklets.charts import Chart, bar_chart, weekly_chart
from samenspraak.booklets.errors import BookletError
from samenspraak.booklets.text import MAX_QUOTE_CHARS, safe_phrases, safe_text, trim
from samenspraak.config import DATA_DIR, get_settings
from samenspraak.consultations import DefinitionError, load_consultation, load_places
from samenspraak.contributions import consultation_by_slug
from samenspraak.store import CHANNELS, Response, Store, get_store
import topics

log = logging.getLogger(__name__)
EVAL_LABELLED_DIR = DATA_DIR / "eval" / "themes"
# Rows of evals/topics_eval.py, best first: the zero-shot model as `fit` runs it, on data not used for tuning.
AGREEMENT_PIPELINES = ("ours (zero-shot), held-out half", "ours (zero-shot)")
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
UNKNOWN = "Niet bekend"
# Reporters and imports store the wijk as typed (an address, a name): only known wijken are printed, the rest
# is counted under this label, together with responses without a wijk.
OTHER_WIJK = "Andere of onbekende wijk"
MAX_WIJKEN_IN_CHART = 12
MAX_KEY_PHRASES = 8


@dataclass(frozen=True)
class Audience:
    key: str
    title: str  # the booklet's name, as in the 2015 bijlagen
    reader: str  # who it is for, shown on the cover
    own_channels: tuple[str, ...]  # quotes from these channels come first
    max_quotes: int  # per theme
    internal: bool  # may show unreviewed, machine-made text (the extractive summary)


AUDIENCES: dict[str, Audience] = {
    "intern": Audience("intern", "Verslag samenspraak intern", "Voor medewerkers van de gemeente",
                       ("intern",), 6, True),
    "partners": Audience("partners", "Verslag samenspraak partners", "Voor partners in de stad",
                         ("partners",), 4, False),
    "inwoners": Audience("inwoners", "Opbrengst samenspraak inwoners", "Voor inwoners: krant en website",
                         ("chat", "straat", "web"), 1, False),
    "samenvatting": Audience("samenvatting", "Opbrengst samenspraak samengevat", "De rode draad",
                             (), 1, False),
}


@dataclass(frozen=True)
class Quote:
    text: str
    channel: str  # label, e.g. "Straatinterviews (razende reporters)"
    wijk: str | None


@dataclass(frozen=True)
class ChannelShare:
    label: str
    count: int
    share: float  # 0..1


@dataclass
class BookletTheme:
    theme_id: int
    key: str
    name: str
    kind: str
    explanation: str | None
    count: int
    channels: list[ChannelShare]
    key_phrases: list[str]
    summary: str | None  # machine-made; only internal booklets print it
    follow_up: str | None
    quotes: list[Quote]
    subthemes: list[BookletTheme] = field(default_factory=list)

    @cached_property
    def chart(self) -> Chart | None:
        """Contributions per channel; made only when a template shows it (charts are the slow part)."""
        if len(self.channels) < 2:
            return None  # one channel: the sentence under "Wat we hoorden" says it all
        return bar_chart(f"reacties over {self.name} per kanaal", [(c.label, c.count) for c in self.channels])

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    @property
    def anchor(self) -> str:
        """Id for links and the table of contents."""
        return f"thema-{self.theme_id}"


@dataclass(frozen=True)
class Agreement:
    """How well the machine's theme assignment matched people's, from a topics/ evaluation run."""

    f1: float
    low: float | None
    high: float | None
    examples: int | None
    measured_on: dt.date | None


@dataclass(frozen=True)
class SharedPhrase:
    phrase: str
    themes: list[str]


@dataclass
class BookletData:
    title: str
    kind: str
    municipality: str
    source: str
    period_start: dt.date
    period_end: dt.date
    audience: Audience
    made_on: dt.date
    total: int
    non_answers: int
    excluded: int
    first_day: dt.date
    last_day: dt.date
    per_day: dict[dt.date, int]
    by_channel: list[tuple[str, int]]
    by_wijk: list[tuple[str, int]]
    by_age: list[tuple[str, int]]
    themes: list[BookletTheme]  # vision themes in the definition's order
    other: BookletTheme | None  # "buiten de visie / overig"
    reviewed_themes: int
    agreement: Agreement | None

    # Charts are made only when a template shows them: they are the slow part of collecting.
    @cached_property
    def theme_chart(self) -> Chart:
        # Shares of all responses: one response can touch two themes, so they may add up to more than 100%.
        return bar_chart("reacties per thema", [(theme.name, theme.count) for theme in self.all_themes], self.total)

    @cached_property
    def week_chart(self) -> Chart:
        return weekly_chart("reacties per week", self.per_day)

    @cached_property
    def wijk_chart(self) -> Chart:
        return bar_chart("reacties per wijk", _top(self.by_wijk, MAX_WIJKEN_IN_CHART))

    @property
    def all_themes(self) -> list[BookletTheme]:
        return self.themes + ([self.other] if self.other else [])

    @property
    def missing_follow_ups(self) -> list[BookletTheme]:
        return [theme for theme in self.all_themes if not theme.is_empty and not theme.follow_up]

    @property
    def missing_quotes(self) -> list[BookletTheme]:
        return [theme for theme in self.all_themes if not theme.is_empty and not theme.quotes]

    @property
    def is_draft(self) -> bool:
        return bool(self.missing_follow_ups or self.missing_quotes)

    @property
    def busiest(self) -> BookletTheme | None:
        return max(self.themes, key=lambda theme: theme.count, default=None)

    @property
    def quietest(self) -> BookletTheme | None:
        return min(self.themes, key=lambda theme: theme.count, default=None)

    @property
    def shared_phrases(self) -> list[SharedPhrase]:
        """Key phrases that come back in two or more themes: the rode draad across the vision."""
        seen: dict[str, list[str]] = {}
        for theme in self.all_themes:
            for phrase in {phrase.lower() for phrase in theme.key_phrases}:
                seen.setdefault(phrase, []).append(theme.name)
        shared = [SharedPhrase(phrase, names) for phrase, names in seen.items() if len(names) > 1]
        return sorted(shared, key=lambda item: (-len(item.themes), item.phrase))


def audience_spec(audience: str) -> Audience:
    try:
        return AUDIENCES[audience]
    except KeyError:
        raise BookletError(f"Onbekend publiek '{audience}'. Kies uit: {', '.join(AUDIENCES)}.") from None


def collect(consultation: str, audience: str, store: Store | None = None) -> BookletData:
    """Everything one booklet shows. Raises BookletError when there is nothing (yet) to report."""
    spec = audience_spec(audience)
    store = store or get_store()
    try:
        definition = load_consultation(consultation)
    except DefinitionError as exc:
        raise BookletError(f"Geen boekje mogelijk: {exc}.") from exc

    with store.session() as session:
        consultation_id = consultation_by_slug(session, consultation).id
        rows = session.execute(
            select(Response.channel, Response.wijk, Response.age_group, Response.created_at, Response.excluded)
            .where(Response.consultation_id == consultation_id)
        ).all()

    counted = [row for row in rows if not row.excluded]
    if not counted:
        raise BookletError(
            f"Voor '{definition.title}' zijn nog geen reacties binnen. "
            "Een boekje kan pas als er reacties zijn."
        )
    overview = topics.theme_overview(consultation, store=store)
    if not any(summary.count for summary in overview):
        raise BookletError(
            f"De reacties voor '{definition.title}' zijn nog niet in thema's ingedeeld. "
            "Deel ze eerst in (samenspraak themes fit) en maak dan het boekje."
        )

    themes = [_theme(summary, spec) for summary in overview]
    days = Counter(_local_day(row.created_at) for row in counted)
    by_channel = _ranked(Counter(CHANNELS.get(row.channel, row.channel) for row in counted))
    by_wijk = _ranked(Counter(_shown_wijk(row.wijk) or OTHER_WIJK for row in counted), last=OTHER_WIJK)
    age_order = {group: index for index, group in enumerate(_age_groups())}
    by_age = sorted(Counter(row.age_group or UNKNOWN for row in counted).items(),
                    key=lambda item: age_order.get(item[0], len(age_order)))
    vision = [theme for theme in themes if theme.kind != "other"]
    other = next((theme for theme in themes if theme.kind == "other"), None)

    return BookletData(
        title=definition.title,
        kind=definition.kind,
        municipality=definition.municipality,
        source=definition.source,
        period_start=definition.period.start,
        period_end=definition.period.end,
        audience=spec,
        made_on=dt.date.today(),
        total=len(counted),
        non_answers=topics.non_answer_count(consultation, store=store),
        excluded=len(rows) - len(counted),
        first_day=min(days),
        last_day=max(days),
        per_day=dict(days),
        by_channel=by_channel,
        by_wijk=by_wijk,
        by_age=by_age,
        themes=vision,
        other=other,
        reviewed_themes=sum(1 for summary in overview if summary.reviewed),
        agreement=load_agreement(definition.slug),
    )


def _theme(summary: topics.ThemeSummary, spec: Audience, top_level: bool = True) -> BookletTheme:
    """One topics.ThemeSummary as the booklet shows it: safe texts, chosen quotes, channel shares."""
    channel_total = sum(summary.counts_by_channel.values())
    channels = [
        ChannelShare(CHANNELS.get(channel, channel), count, count / channel_total if channel_total else 0.0)
        for channel, count in sorted(summary.counts_by_channel.items(), key=lambda item: -item[1])
        if count
    ]
    # Model-made names can echo resident words, so they get the same check; vision names come from the definition.
    name = summary.name if summary.kind == "vision" else safe_text(summary.name)
    subthemes = [_theme(sub, spec, top_level=False) for sub in summary.subthemes]
    return BookletTheme(
        theme_id=summary.theme_id,
        key=summary.key,
        name=name,
        kind=summary.kind,
        explanation=summary.explanation,
        count=summary.count,
        channels=channels,
        key_phrases=safe_phrases(summary.key_phrases[:MAX_KEY_PHRASES]),
        summary=(safe_text(summary.summary, MAX_QUOTE_CHARS * 2) or None) if spec.internal else None,
        follow_up=(summary.follow_up or "").strip() or None,
        quotes=_quotes(summary, spec) if top_level else [],
        subthemes=[sub for sub in subthemes if not sub.is_empty],
    )


def _quotes(summary: topics.ThemeSummary, spec: Audience) -> list[Quote]:
    """Only quotes staff marked for the booklet, the audience's own channels first, redacted and trimmed."""
    candidates = {}
    for source in [summary, *summary.subthemes]:
        for quote in source.quotes:
            if quote.is_quote_marked:
                candidates.setdefault(quote.response_id, quote)
    ordered = sorted(candidates.values(),
                     key=lambda q: (q.channel not in spec.own_channels, -(q.confidence or 0.0), q.response_id))
    quotes = []
    for quote in ordered:
        text = safe_text(quote.text)
        if text:
            quotes.append(Quote(trim(text), CHANNELS.get(quote.channel, quote.channel), _shown_wijk(quote.wijk)))
        if len(quotes) == spec.max_quotes:
            break
    return quotes


def _shown_wijk(wijk: str | None) -> str | None:
    """The wijk as a booklet may print it: a known wijk or the chat's 'buiten <gemeente>'; None for other text."""
    try:
        return load_places().known_wijk(wijk)
    except DefinitionError:
        return None  # without the list of wijken no typed text can be trusted


def load_agreement(slug: str, results: Path | None = None) -> Agreement | None:
    """The human–model agreement figure from the last topics evaluation (evals/topics_eval.py), or None.

    That evaluation scores the labelled resident answers of data/eval/themes/<slug>-labelled.csv, so the figure
    belongs to that consultation only. The held-out half is used: the model's settings were tuned on the other.
    """
    results = results or get_settings().var_dir / "evals" / "topics.json"
    if not (EVAL_LABELLED_DIR / f"{slug}-labelled.csv").is_file() or not results.is_file():
        return None
    try:
        rows = json.loads(results.read_text(encoding="utf-8"))
        scored = {row["pipeline"]: row for row in rows if row.get("dataset") == "resident"}
        row = next((scored[name] for name in AGREEMENT_PIPELINES if name in scored), None)
        if row is None:
            return None  # that run did not score this consultation's labelled answers
        low, high = row.get("f1_ci") or (None, None)
        return Agreement(float(row["f1"]), low, high, row.get("rows"), dt.date.fromtimestamp(results.stat().st_mtime))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("evaluatieresultaat %s niet te lezen (%r): de overeenstemming blijft 'nog niet gemeten'", results, exc)
        return None


def _local_day(moment: dt.datetime) -> dt.date:
    """The calendar day in the municipality's time zone (SQLite hands back naive UTC times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL_TIME).date()


def _ranked(counts: Counter, last: str | None = None) -> list[tuple[str, int]]:
    """Largest first; `last` (e.g. 'Niet bekend') at the end whatever its size."""
    return sorted(counts.items(), key=lambda item: (item[0] == last, -item[1], item[0]))


def _top(items: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    """At most `limit` named wijken in a chart; the rest as 'Overige wijken', the other or unknown ones apart."""
    known = [item for item in items if item[0] != OTHER_WIJK]
    unknown = [item for item in items if item[0] == OTHER_WIJK]
    if len(known) > limit:
        known = known[: limit - 1] + [("Overige wijken", sum(count for _, count in known[limit - 1 :]))]
    return known + unknown


def _age_groups() -> list[str]:
    try:
        return list(load_places().age_groups)
    except DefinitionError:
        return []
