"""Fitting and assigning: the store side of the theme model (topics.model does the maths).

`fit` is a full re-fit: every model assignment is recomputed, new subtopics are matched to the old subthemes
(so reviewed names survive), and then every staff edit in the audit log is applied again. Everything is
written in one transaction at the end: an interrupted fit leaves the previous result untouched (only the
embedding cache, which is safe to keep, is committed along the way). `assign_new` places responses that
arrived after the fit, without re-fitting.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from samenspraak.consultations import load_consultation
from samenspraak.contributions import sync_consultation
from samenspraak.store import AuditLog, Response, Store, Theme, ThemeAssignment, get_store
from topics.edits import MERGE, STAFF, new_subtheme, replay_edits, resolve_theme
from topics.embeddings import Embedder, cached_embeddings, get_embedder, stored_vectors
from topics.errors import TopicsError, definition_errors_as_topics_errors
from topics.model import (
    Anchor,
    Describer,
    ModelResult,
    ModelSettings,
    Progress,
    ThemeClassifier,
    anchors_for,
    central_and_diverse,
    centroid_of,
    document_words,
    extractive_summary,
    fit_model,
)
from topics.runs import RUN_ASSIGN, RUN_FIT, fail_run, finish_run, last_fit, start_run
from topics.tuning import TunedEmbedder, TuningSettings, forget_vectors_without_file

# A new subtopic continues an old subtheme when they share at least this share of responses (Jaccard).
MATCH_MIN_JACCARD = 0.3
MAP_NEIGHBOURS = 5
# Key phrases come from Dutch lemmas and stop words: answers in other languages are themed, not described.
DESCRIBED_LANGUAGES = {None, "nl", "und"}
SUMMARY_RESPONSES = 3



def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


def _definition(slug: str):
    with definition_errors_as_topics_errors():
        return load_consultation(slug)


def _corpus(session: Session, consultation_id: int, *, unassigned_only: bool = False) -> list:
    query = select(Response.id, Response.text_redacted, Response.lemmas, Response.theme_hint, Response.language).where(
        Response.consultation_id == consultation_id, Response.excluded.is_(False), Response.is_non_answer.is_(False)
    )
    if unassigned_only:
        query = query.where(~Response.assignments.any())
    return list(session.execute(query.order_by(Response.id)))


def _non_answers(session: Session, consultation_id: int) -> int:
    return session.scalar(
        select(func.count()).where(
            Response.consultation_id == consultation_id, Response.is_non_answer.is_(True), Response.excluded.is_(False)
        )
    )


def _staff_examples(session: Session, consultation_id: int) -> list[tuple[str, str]]:
    """(text, top-level theme key) for every response staff placed by hand."""
    return list(
        session.execute(
            select(Response.text_redacted, Theme.key)
            .join(ThemeAssignment, ThemeAssignment.response_id == Response.id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(
                Response.consultation_id == consultation_id,
                Response.excluded.is_(False),
                ThemeAssignment.source == STAFF,
                Theme.parent_id.is_(None),
            )
            .order_by(Response.id, Theme.key)
        ).tuples()
    )


def build_classifier(store: Store, anchors: list[Anchor], embedder: Embedder, settings: ModelSettings,
                     staff: list[tuple[str, str]], corpus: np.ndarray,
                     tuning: TuningSettings | None = None) -> tuple[ThemeClassifier, Embedder]:
    """Prototypes from the anchors (`anchors_for`: consultation file and other_anchors.yaml), moved towards
    the consultation's responses (`corpus`); or, once staff placed enough responses by hand, a classifier
    trained on them over an encoder tuned on them (topics.tuning). Returns the classifier and the embedder
    it reads. `staff`: (text, theme key) per response staff placed."""
    keys = [anchor.key for anchor in anchors]
    texts = [[text for group in anchor.groups for text in group] for anchor in anchors]
    staff = [(text, key) for text, key in staff if key in keys]
    features = embedder
    placed: dict[str, set[int]] = {}
    for text, key in staff:
        placed.setdefault(text, set()).add(keys.index(key))
    # Counted in responses, not in rows: a response placed in two themes is one example.
    if len(placed) >= settings.min_staff_examples and len({key for _, key in staff}) >= 2:
        examples = [(text, frozenset({index})) for index, group in enumerate(texts) for text in group]
        features = TunedEmbedder(embedder, examples + [(t, frozenset(c)) for t, c in placed.items()], tuning or TuningSettings())
        # Before any tuned vector is read: all of them then come from the weights on disk (or trained now).
        forget_vectors_without_file(store, embedder)
    flat = cached_embeddings(store, [t for group in texts for t in group], features)
    vectors, start = [], 0
    for group in texts:
        vectors.append(flat[start : start + len(group)])
        start += len(group)
    classifier = ThemeClassifier(anchors, vectors, settings)
    if staff:
        examples = cached_embeddings(store, [text for text, _ in staff], features)
        classifier = classifier.learn(examples, [keys.index(key) for _, key in staff])
    return classifier.adapt(corpus), features


# ------------------------------------------------------------------------------------------------- fit


def fit(consultation: str, *, progress: Progress | None = None, store: Store | None = None) -> int:
    """Full re-fit of a consultation's themes; returns the TopicRun id. Atomic: all or nothing is written."""
    store = store or get_store()
    report = progress or _quiet
    settings = ModelSettings()
    definition = _definition(consultation)
    with store.session() as session:
        consultation_id = sync_consultation(session, definition).id
        rows = _corpus(session, consultation_id)
        non_answers = _non_answers(session, consultation_id)
        staff = _staff_examples(session, consultation_id)
    if not rows:
        raise TopicsError(
            f"Consultatie '{consultation}' heeft nog geen reacties om in thema's te delen"
            + (f" ({non_answers} reacties zonder inhoud)." if non_answers else ".")
        )
    embedder = get_embedder()
    started = time.monotonic()
    run_id = start_run(store, consultation_id, RUN_FIT, embedder.name, {**asdict(settings), "responses": len(rows)})
    try:
        ids = [row.id for row in rows]
        texts = [row.text_redacted for row in rows]
        report("Embeddings berekenen", 0, len(texts))
        embeddings = cached_embeddings(store, texts, embedder, progress=lambda done, total: report("Embeddings berekenen", done, total))
        report("Embeddings berekenen", len(texts), len(texts))
        # With a staff review this trains the tuned encoder (topics.tuning), else only embeds the anchors.
        report("Indeling voorbereiden", 0, 1)
        classifier, features = build_classifier(store, anchors_for(definition), embedder, settings, staff, embeddings)
        report("Indeling voorbereiden", 1, 1)
        class_vectors = embeddings
        if features is not embedder:
            stage = "Embeddings na beoordeling"
            class_vectors = cached_embeddings(store, texts, features, progress=lambda done, total: report(stage, done, total))
        describer = Describer(lambda words: cached_embeddings(store, words, embedder), settings)
        documents = [
            document_words(row.lemmas, row.text_redacted) if row.language in DESCRIBED_LANGUAGES else "" for row in rows
        ]
        hints = [row.theme_hint for row in rows]
        result = fit_model(embeddings, documents, texts, classifier, describer, settings, report, hints, class_vectors)
        report("Opslaan", 0, 1)
        with store.session() as session:
            subthemes = _write_fit(session, consultation_id, ids, texts, embeddings, result, classifier.keys)
            replayed = replay_edits(session, consultation_id)
            metrics = {
                "responses": len(ids),
                "non_answers": non_answers,
                "outlier_share": round(result.outlier_share, 4),
                "subthemes": subthemes,
                "mode": result.mode,
                "classifier": result.classifier_mode,
                "classifier_embeddings": features.name,
                "replayed_edits": replayed,
                "seconds": round(time.monotonic() - started, 1),
                "map": {str(i): [round(float(x), 4), round(float(y), 4)] for i, (x, y) in zip(ids, result.coordinates)},
            }
            finish_run(session, run_id, metrics, _fit_message(metrics))
        report("Opslaan", 1, 1)
    except BaseException as exc:
        fail_run(store, run_id, exc)
        raise
    return run_id


def _fit_message(metrics: dict) -> str:
    mode = "kleine dataset: alleen gelijkenis met de visie" if metrics["mode"] == "small-data" else "met subthema's"
    return (
        f"{metrics['responses']} reacties ingedeeld ({mode}); {metrics['non_answers']} zonder inhoud geteld; "
        f"{metrics['outlier_share']:.0%} onzeker (bij overig); {metrics['subthemes']} subthema's."
    )


def _write_fit(session: Session, consultation_id: int, ids: list[int], texts: list[str], embeddings: np.ndarray,
               result: ModelResult, keys: list[str]) -> int:
    """Replace the model's assignments and theme descriptions; returns the number of active subthemes."""
    themes = {t.key: t for t in session.scalars(select(Theme).where(Theme.consultation_id == consultation_id))}
    class_themes = [themes[key] for key in keys]
    old_members = _subtheme_members(session, consultation_id)
    staffed = set(
        session.scalars(
            select(ThemeAssignment.theme_id)
            .join(Response, Response.id == ThemeAssignment.response_id)
            .where(Response.consultation_id == consultation_id, ThemeAssignment.source == STAFF)
        )
    )
    session.execute(
        delete(ThemeAssignment).where(
            ThemeAssignment.response_id.in_(select(Response.id).where(Response.consultation_id == consultation_id))
        )
    )
    targets = _match_subthemes(session, consultation_id, result, ids, class_themes, old_members, staffed)
    # A resident may have deleted a response (by personal code) while the model ran.
    remaining = _existing_responses(session, consultation_id)

    rows, members = [], {}
    for index, labels in enumerate(result.prediction.labels):
        if ids[index] not in remaining:
            continue
        theme_ids = {class_themes[c].id: confidence for c, confidence in labels}
        sub = result.subtopic_of[index]
        target = targets[sub] if sub >= 0 else None
        if target is not None:
            theme_ids.setdefault(target.id, labels[0][1])
            if target.parent_id is not None:
                theme_ids.setdefault(target.parent_id, labels[0][1])
        for theme_id, confidence in theme_ids.items():
            rows.append({"response_id": ids[index], "theme_id": theme_id, "source": "model", "confidence": round(confidence, 4), "is_quote": False})
            members.setdefault(theme_id, []).append(index)
    if rows:
        session.execute(insert(ThemeAssignment), rows)

    phrases = {class_themes[c].id: words for c, words in enumerate(result.class_key_phrases)}
    for sub, target in enumerate(targets):
        if target is not None and target.kind == "subtheme":
            phrases.setdefault(target.id, result.subtopics[sub].key_phrases)
    described = {theme.id: theme for theme in class_themes + [t for t in targets if t is not None]}
    for theme in described.values():
        _describe(theme, members.get(theme.id, []), texts, embeddings, phrases.get(theme.id, []))
    session.flush()
    return session.scalar(
        select(func.count()).where(Theme.consultation_id == consultation_id, Theme.kind == "subtheme", Theme.active.is_(True))
    )


def _describe(theme: Theme, member_indices: list[int], texts: list[str], embeddings: np.ndarray, key_phrases: list[str]) -> None:
    theme.key_phrases = list(key_phrases)
    if not member_indices:
        theme.summary = None
        return
    vectors = embeddings[member_indices]
    centroid = centroid_of(vectors)
    theme.centroid = centroid.tobytes()
    chosen = central_and_diverse(vectors, centroid, SUMMARY_RESPONSES)
    theme.summary = extractive_summary([texts[member_indices[i]] for i in chosen]) or None


def _existing_responses(session: Session, consultation_id: int) -> set[int]:
    return set(session.scalars(select(Response.id).where(Response.consultation_id == consultation_id)))


def _subtheme_members(session: Session, consultation_id: int) -> dict[int, set[int]]:
    """Each subtheme's responses now; a subtheme staff merged into another main-theme-mate keeps the
    members it had when merged (from the audit log), so the subtopic that continues it can follow the merge."""
    rows = session.execute(
        select(ThemeAssignment.theme_id, ThemeAssignment.response_id)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(Theme.consultation_id == consultation_id, Theme.kind == "subtheme")
    )
    members: dict[int, set[int]] = {}
    for theme_id, response_id in rows:
        members.setdefault(theme_id, set()).add(response_id)
    merges = session.execute(
        select(AuditLog.target_id, AuditLog.payload).where(
            AuditLog.consultation_id == consultation_id, AuditLog.action == MERGE
        )
    )
    for source_id, payload in merges:
        if payload and payload.get("members"):
            members[int(source_id)] = set(payload["members"])
    return members


def _title(label: str) -> str:
    return label[:1].upper() + label[1:]


def _match_subthemes(session: Session, consultation_id: int, result: ModelResult, ids: list[int],
                     class_themes: list[Theme], old_members: dict[int, set[int]],
                     staffed: set[int]) -> list[Theme | None]:
    """For each new subtopic, the theme its responses go to: a continued old subtheme (following staff
    merges), or a new subtheme. Old subthemes that found no successor lapse, unless staff reviewed them or
    placed responses in them (`staffed`)."""
    from scipy.optimize import linear_sum_assignment

    old = list(session.scalars(select(Theme).where(Theme.consultation_id == consultation_id, Theme.kind == "subtheme")))
    new_members = [{ids[i] for i in subtopic.members} for subtopic in result.subtopics]
    score = np.zeros((len(result.subtopics), len(old)))
    for j, subtopic in enumerate(result.subtopics):
        parent_id = class_themes[subtopic.parent].id
        for k, theme in enumerate(old):
            members = old_members.get(theme.id, set())
            if theme.parent_id == parent_id and members:
                score[j, k] = len(members & new_members[j]) / len(members | new_members[j])
    matched: dict[int, Theme] = {}
    if score.size:
        for j, k in zip(*linear_sum_assignment(-score)):
            if score[j, k] >= MATCH_MIN_JACCARD:
                matched[j] = old[k]

    targets: list[Theme | None] = []
    continued: set[int] = set()
    unnamed: dict[int, int] = {}
    for j, subtopic in enumerate(result.subtopics):
        parent = class_themes[subtopic.parent]
        label = ", ".join(subtopic.key_phrases[:3])
        previous = matched.get(j)
        if previous is not None and previous.merged_into_id is not None:
            # Staff merged this subtheme away: its responses follow the merge (to a subtheme or the main theme).
            target = resolve_theme(session, previous.id)
            if target is not None:
                continued.add(target.id)
                targets.append(target)
                continue
        elif previous is not None:
            previous.active = True
            continued.add(previous.id)
            previous.model_label = label or previous.model_label
            if not previous.reviewed and label:
                previous.name = _title(label)
            targets.append(previous)
            continue
        if label:
            name = _title(label)
        else:
            unnamed[parent.id] = unnamed.get(parent.id, 0) + 1
            name = f"{parent.name}: subthema {unnamed[parent.id]}"
        target = new_subtheme(session, parent, name, reviewed=False, model_label=label or None)
        continued.add(target.id)
        targets.append(target)
    for theme in old:
        if theme.active and not theme.reviewed and theme.id not in continued and theme.id not in staffed:
            theme.active = False
    session.flush()
    return targets


# ---------------------------------------------------------------------------------------------- assign


def assign_new(consultation: str, *, store: Store | None = None) -> int:
    """Place responses without a theme (new, or taken back in) in the current themes, without re-fitting.

    Top level: the same classifier as `fit`; subtheme: see `_Children.closest`. Returns the number placed.
    """
    store = store or get_store()
    settings = ModelSettings()
    definition = _definition(consultation)
    embedder = get_embedder()
    with store.session() as session:
        # Synced as in `fit`: a theme added to the definition file since then must exist before it is assigned.
        consultation_id = sync_consultation(session, definition).id
        rows = _corpus(session, consultation_id, unassigned_only=True)
        everything = [row.text_redacted for row in _corpus(session, consultation_id)] if rows else []
        previous = last_fit(session, consultation_id)
        previous_model = previous.model_name if previous else None
        fitted_map = dict(previous.metrics.get("map", {})) if previous else {}
        staff = _staff_examples(session, consultation_id)
    if not rows:
        return 0
    if previous_model is not None and previous_model != embedder.name:
        raise TopicsError(
            "Het embeddingmodel is veranderd sinds de laatste indeling. "
            "Start eerst een volledige nieuwe indeling (samenspraak themes fit)."
        )
    run_id = start_run(store, consultation_id, RUN_ASSIGN, embedder.name, {"responses": len(rows)})
    try:
        ids = [row.id for row in rows]
        embeddings = cached_embeddings(store, [row.text_redacted for row in rows], embedder)
        # The same corpus the fit adapted to, plus the new responses (their vectors are cached by now).
        corpus = cached_embeddings(store, everything, embedder)
        classifier, features = build_classifier(store, anchors_for(definition), embedder, settings, staff, corpus)
        class_vectors = embeddings if features is embedder else cached_embeddings(store, [row.text_redacted for row in rows], features)
        prediction = classifier.predict(class_vectors, [row.theme_hint for row in rows])
        coordinates = _place_on_map(store, embedder, fitted_map, embeddings)
        with store.session() as session:
            themes = {t.key: t for t in session.scalars(select(Theme).where(Theme.consultation_id == consultation_id))}
            class_themes = [themes[key] for key in classifier.keys]
            children = _children(session, consultation_id, embedder.name)
            remaining = _existing_responses(session, consultation_id)
            assignments = []
            for index, labels in enumerate(prediction.labels):
                if ids[index] not in remaining:
                    continue
                chosen = {class_themes[c].id: confidence for c, confidence in labels}
                primary = class_themes[labels[0][0]]
                if not prediction.outlier[index] and primary.id in children:
                    child = children[primary.id].closest(embeddings[index])
                    if child is not None:
                        chosen[child] = labels[0][1]
                assignments += [
                    {"response_id": ids[index], "theme_id": t, "source": "model", "confidence": round(c, 4), "is_quote": False}
                    for t, c in chosen.items()
                ]
            if assignments:
                session.execute(insert(ThemeAssignment), assignments)
            placed = len({row["response_id"] for row in assignments})
            metrics = {
                "assigned": placed,
                "outlier_share": round(float(prediction.outlier.mean()), 4),
                "classifier": classifier.mode,
                "map": {str(i): xy for i, xy in zip(ids, coordinates)},
            }
            finish_run(session, run_id, metrics, f"{placed} nieuwe reacties ingedeeld zonder nieuwe indeling.")
    except BaseException as exc:
        fail_run(store, run_id, exc)
        raise
    return placed


@dataclass
class _Children:
    """A theme's active subthemes (with responses) and the centre of its responses in no subtheme."""

    ids: list[int]
    centroids: np.ndarray
    rest: np.ndarray | None

    def closest(self, vector: np.ndarray) -> int | None:
        """The subtheme a new response joins: the closest one, unless the theme's own rest is closer still
        (the same choice the fit made between a dense group and the rest of the theme)."""
        similarities = self.centroids @ vector
        best = int(np.argmax(similarities))
        if self.rest is not None and float(self.rest @ vector) > similarities[best]:
            return None
        return self.ids[best]


def _children(session: Session, consultation_id: int, model_name: str | None) -> dict[int, _Children]:
    subthemes = {
        t.id: t
        for t in session.scalars(
            select(Theme).where(Theme.consultation_id == consultation_id, Theme.kind == "subtheme", Theme.active.is_(True))
        )
    }
    members: dict[int, set[str]] = {}
    texts_of: dict[int, set[str]] = {}
    rows = session.execute(
        select(ThemeAssignment.theme_id, Response.text_redacted)
        .join(Response, Response.id == ThemeAssignment.response_id)
        .where(Response.consultation_id == consultation_id, Response.excluded.is_(False))
    )
    for theme_id, text in rows:
        texts_of.setdefault(theme_id, set()).add(text)
    for theme_id, theme in subthemes.items():
        if theme.centroid and texts_of.get(theme_id):
            members.setdefault(theme.parent_id, set()).add(theme_id)
    vectors = stored_vectors(session, model_name, sorted({t for texts in texts_of.values() for t in texts}))
    result = {}
    for parent_id, child_ids in members.items():
        ids = sorted(child_ids)
        in_children = set().union(*(texts_of[i] for i in ids))
        rest = [vectors[t] for t in texts_of.get(parent_id, set()) - in_children if t in vectors]
        result[parent_id] = _Children(
            ids,
            np.vstack([np.frombuffer(subthemes[i].centroid, dtype=np.float32) for i in ids]),
            centroid_of(np.vstack(rest)) if rest else None,
        )
    return result


def _place_on_map(store: Store, embedder: Embedder, fitted_map: dict, embeddings: np.ndarray) -> list[list[float]]:
    """New points sit at the weighted mean of their nearest fitted neighbours (the map is not re-fitted)."""
    if not fitted_map:
        return [[0.0, 0.0] for _ in range(len(embeddings))]
    fitted_ids = [int(i) for i in fitted_map]
    with store.session() as session:
        texts = dict(session.execute(select(Response.id, Response.text_redacted).where(Response.id.in_(fitted_ids))).all())
    known = [i for i in fitted_ids if i in texts]
    if not known:
        return [[0.0, 0.0] for _ in range(len(embeddings))]
    vectors = cached_embeddings(store, [texts[i] for i in known], embedder)
    points = np.array([fitted_map[str(i)] for i in known], dtype=np.float32)
    similarity = embeddings @ vectors.T
    k = min(MAP_NEIGHBOURS, len(known))
    nearest = np.argsort(-similarity, axis=1)[:, :k]
    placed = []
    for row, neighbours in zip(similarity, nearest):
        weights = np.clip(row[neighbours], 1e-6, None)
        placed.append([round(float(v), 4) for v in (weights[:, None] * points[neighbours]).sum(axis=0) / weights.sum()])
    return placed
