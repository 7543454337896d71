"""Staff edits of themes, stored in the audit log and re-applied after every re-fit.

Each edit changes the store and writes one AuditLog row in the same transaction. The payload holds what is
needed to replay the edit on a fresh model result (`replay_edits`): after a re-fit, the model's assignments
are recomputed and then every edit is applied again, in order. A response that staff moved keeps exactly
the themes staff gave it.

Invariant kept here and by topics.fitting: a response assigned to a subtheme is also assigned to its parent.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from samenspraak.store import Account, AuditLog, Response, Store, Theme, ThemeAssignment, get_store
from topics.embeddings import stored_vectors
from topics.errors import EditError
from topics.model import centroid_of
from topics.runs import last_fit

MAX_NAME_LENGTH = 200
STAFF = "staff"

# Audit log actions that replay_edits re-applies, in the order they were made.
RENAME = "theme.rename"
MERGE = "theme.merge"
SPLIT = "theme.split"
FOLLOW_UP = "theme.follow_up"
REVIEW = "theme.review"
MOVE = "response.move"
EXCLUDE = "response.exclude"
QUOTE = "response.quote"
THEME_EDITS = (RENAME, MERGE, SPLIT, FOLLOW_UP, REVIEW, MOVE, EXCLUDE, QUOTE)


# ----------------------------------------------------------------------------------------------- helpers


def get_theme(session: Session, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if theme is None:
        raise EditError(f"Thema {theme_id} bestaat niet.")
    return theme


def _active_theme(session: Session, theme_id: int) -> Theme:
    theme = get_theme(session, theme_id)
    if not theme.active:
        raise EditError(f"Thema '{theme.name}' is niet meer actief (samengevoegd of vervallen).")
    return theme


def _response(session: Session, response_id: int) -> Response:
    response = session.get(Response, response_id) if isinstance(response_id, int) else None
    if response is None:
        raise EditError(f"Reactie {response_id} bestaat niet.")
    return response


def _check_account(session: Session, account_id: int | None) -> None:
    if account_id is not None and session.get(Account, account_id) is None:
        raise EditError(f"Account {account_id} bestaat niet.")


def _log(session: Session, theme_or_response, account_id, action: str, payload: dict) -> None:
    target_type = "theme" if isinstance(theme_or_response, Theme) else "response"
    session.add(
        AuditLog(
            consultation_id=theme_or_response.consultation_id,
            account_id=account_id,
            action=action,
            target_type=target_type,
            target_id=str(theme_or_response.id),
            payload=payload,
        )
    )


def resolve_theme(session: Session, theme_id: int) -> Theme | None:
    """The active theme an id stands for now: follows merges; None when the theme has lapsed."""
    seen: set[int] = set()
    theme = session.get(Theme, theme_id)
    while theme is not None and theme.merged_into_id is not None and theme.id not in seen:
        seen.add(theme.id)
        theme = session.get(Theme, theme.merged_into_id)
    return theme if theme is not None and theme.active else None


def response_theme_ids(session: Session, response_id: int) -> set[int]:
    return set(session.scalars(select(ThemeAssignment.theme_id).where(ThemeAssignment.response_id == response_id)))


def _with_parents(session: Session, theme_ids: set[int]) -> set[int]:
    closed = set(theme_ids)
    for theme_id in theme_ids:
        parent_id = session.get(Theme, theme_id).parent_id
        if parent_id is not None:
            closed.add(parent_id)
    return closed


def set_response_themes(session: Session, response_id: int, theme_ids: set[int]) -> None:
    """Give a response exactly these themes (plus their parents) as staff assignments; quote marks are kept."""
    wanted = _with_parents(session, theme_ids)
    existing = {
        a.theme_id: a
        for a in session.scalars(select(ThemeAssignment).where(ThemeAssignment.response_id == response_id))
    }
    for theme_id, assignment in existing.items():
        if theme_id not in wanted:
            session.delete(assignment)
        else:
            assignment.source = STAFF
            assignment.confidence = 1.0
    for theme_id in wanted - set(existing):
        session.add(ThemeAssignment(response_id=response_id, theme_id=theme_id, source=STAFF, confidence=1.0))
    session.flush()


def _themes_after_move(session: Session, current: set[int], source: Theme | None, target: Theme) -> set[int]:
    after = set(current)
    if source is not None:
        after.discard(source.id)
        if source.parent_id is None:
            after -= {t for t in after if session.get(Theme, t).parent_id == source.id}
        else:
            after.discard(source.parent_id)
    after.add(target.id)
    return _with_parents(session, after)


def _unique_key(session: Session, consultation_id: int, base: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode().lower())
    slug = slug.strip("-")[:80] or "thema"
    taken = set(session.scalars(select(Theme.key).where(Theme.consultation_id == consultation_id)))
    key, n = slug, 2
    while key in taken:
        key, n = f"{slug}-{n}", n + 1
    return key


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise EditError("Geef het thema een naam.")
    if len(name) > MAX_NAME_LENGTH:
        raise EditError(f"De naam is te lang (meer dan {MAX_NAME_LENGTH} tekens).")
    return name


def _same_consultation(*items) -> None:
    if len({item.consultation_id for item in items}) > 1:
        raise EditError("Deze thema's en reacties horen bij verschillende consultaties.")


def refresh_centroid(session: Session, theme: Theme) -> None:
    """Recompute a theme's centre from its members' cached vectors, so `assign_new` follows staff edits."""
    fit = last_fit(session, theme.consultation_id)
    texts = session.scalars(
        select(Response.text_redacted)
        .join(ThemeAssignment, ThemeAssignment.response_id == Response.id)
        .where(ThemeAssignment.theme_id == theme.id, Response.excluded.is_(False))
    ).all()
    vectors = stored_vectors(session, fit.model_name if fit else None, texts)
    if vectors:
        theme.centroid = centroid_of(np.vstack(list(vectors.values()))).tobytes()


def new_subtheme(session: Session, parent: Theme, name: str, *, reviewed: bool, model_label: str | None = None) -> Theme:
    theme = Theme(
        consultation_id=parent.consultation_id,
        key=_unique_key(session, parent.consultation_id, f"{parent.key}-{name}"),
        kind="subtheme",
        parent_id=parent.id,
        name=name,
        model_label=model_label,
        position=parent.position,
        reviewed=reviewed,
        active=True,
    )
    session.add(theme)
    session.flush()
    return theme


# ------------------------------------------------------------------------------------------------ edits


def rename_theme(theme_id: int, name: str, *, account_id: int | None = None, store: Store | None = None) -> None:
    name = _clean_name(name)
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        theme = _active_theme(session, theme_id)
        _log(session, theme, account_id, RENAME, {"name": name, "old_name": theme.name})
        theme.name = name
        theme.reviewed = True


def mark_reviewed(theme_id: int, reviewed: bool = True, *, account_id: int | None = None, store: Store | None = None) -> None:
    """Staff accept a theme as it is: a re-fit keeps its name and it stays when no new topic matches it."""
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        theme = _active_theme(session, theme_id)
        _log(session, theme, account_id, REVIEW, {"reviewed": bool(reviewed)})
        theme.reviewed = bool(reviewed)


def set_follow_up(theme_id: int, text: str | None, *, account_id: int | None = None, store: Store | None = None) -> None:
    """'Wat doen we ermee': the municipality's answer for this theme (empty text clears it)."""
    text = (text or "").strip() or None
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        theme = _active_theme(session, theme_id)
        _log(session, theme, account_id, FOLLOW_UP, {"text": text})
        theme.follow_up = text


def merge_themes(source_id: int, target_id: int, *, account_id: int | None = None, store: Store | None = None) -> None:
    """Fold `source` into `target`: its responses move; later re-fits follow the merge.

    Within one main theme this joins two groups: the payload keeps the source's members, so a re-fit sends the
    subtopic that continues the source to the target. Into another main theme it is a move of every response
    (like `move_response`): the payload keeps each response's themes afterwards, replayed as staff placements.
    """
    if source_id == target_id:
        raise EditError("Een thema kan niet met zichzelf worden samengevoegd.")
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        source, target = _active_theme(session, source_id), _active_theme(session, target_id)
        _same_consultation(source, target)
        if source.kind != "subtheme":
            raise EditError(
                f"'{source.name}' is een hoofdthema en kan niet worden opgeheven. "
                "Voeg subthema's samen of verplaats losse reacties."
            )
        if target.parent_id == source.id:
            raise EditError("Een thema kan niet worden samengevoegd met een van zijn eigen subthema's.")
        members = sorted(session.scalars(select(ThemeAssignment.response_id).where(ThemeAssignment.theme_id == source.id)))
        payload: dict = {"source": source.id, "target": target.id}
        if (target.parent_id or target.id) == source.parent_id:
            payload["members"] = members
        else:
            payload["themes_after"] = {
                str(rid): sorted(_themes_after_move(session, response_theme_ids(session, rid), source, target))
                for rid in members
            }
        _log(session, source, account_id, MERGE, payload)
        _apply_merge(session, source, target, payload.get("themes_after", {}))
        refresh_centroid(session, target)


def _apply_merge(session: Session, source: Theme, target: Theme, themes_after: dict[str, list[int]]) -> None:
    for assignment in list(session.scalars(select(ThemeAssignment).where(ThemeAssignment.theme_id == source.id))):
        existing = session.scalar(
            select(ThemeAssignment).where(
                ThemeAssignment.response_id == assignment.response_id, ThemeAssignment.theme_id == target.id
            )
        )
        if existing is None:
            session.add(
                ThemeAssignment(
                    response_id=assignment.response_id, theme_id=target.id, source=assignment.source,
                    confidence=assignment.confidence, is_quote=assignment.is_quote,
                )
            )
        else:
            existing.is_quote = existing.is_quote or assignment.is_quote
            if assignment.source == STAFF:
                existing.source = STAFF
        session.delete(assignment)
    session.flush()
    for child in session.scalars(select(Theme).where(Theme.parent_id == source.id)):
        child.parent_id = target.id
    source.active = False
    source.merged_into_id = target.id
    # Merging into a theme accepts it, as a rename does.
    target.reviewed = True
    session.flush()
    for response_id, theme_ids in themes_after.items():
        _replay_themes(session, int(response_id), theme_ids)


def split_theme(
    theme_id: int, response_ids: list[int], new_name: str, *, account_id: int | None = None, store: Store | None = None
) -> int:
    """Move the given responses of a theme into a new subtheme; returns the new theme's id."""
    new_name = _clean_name(new_name)
    response_ids = sorted(set(response_ids or []))
    if not response_ids:
        raise EditError("Kies minstens één reactie voor het nieuwe thema.")
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        theme = _active_theme(session, theme_id)
        responses = [_response(session, rid) for rid in response_ids]
        _same_consultation(theme, *responses)
        for response in responses:
            if theme.id not in response_theme_ids(session, response.id):
                raise EditError(f"Reactie {response.id} hoort niet bij thema '{theme.name}'.")
        parent = theme if theme.parent_id is None else session.get(Theme, theme.parent_id)
        new = new_subtheme(session, parent, new_name, reviewed=True)
        after = {}
        for response in responses:
            themes = _themes_after_move(session, response_theme_ids(session, response.id), theme, new)
            set_response_themes(session, response.id, themes)
            after[str(response.id)] = sorted(themes)
        _log(session, theme, account_id, SPLIT, {"theme": theme.id, "new_theme": new.id, "name": new_name, "themes_after": after})
        refresh_centroid(session, new)
        refresh_centroid(session, theme)
        return new.id


def move_response(
    response_id: int,
    from_theme_id: int | None,
    to_theme_id: int,
    *,
    account_id: int | None = None,
    store: Store | None = None,
) -> None:
    """Move a response from one theme to another; with `from_theme_id=None` the theme is added (multi-label)."""
    if from_theme_id == to_theme_id:
        raise EditError("Kies een ander thema dan het huidige.")
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        response = _response(session, response_id)
        target = _active_theme(session, to_theme_id)
        source = get_theme(session, from_theme_id) if from_theme_id is not None else None
        _same_consultation(response, target, *([source] if source else []))
        if response.excluded:
            raise EditError(f"Reactie {response.id} is uitgesloten; neem haar eerst weer mee.")
        current = response_theme_ids(session, response.id)
        if source is not None and source.id not in current:
            raise EditError(f"Reactie {response.id} hoort niet bij thema '{source.name}'.")
        themes = _themes_after_move(session, current, source, target)
        set_response_themes(session, response.id, themes)
        _log(session, response, account_id, MOVE, {"from": from_theme_id, "to": target.id, "themes_after": sorted(themes)})


def exclude_response(response_id: int, excluded: bool = True, *, account_id: int | None = None, store: Store | None = None) -> None:
    """Leave a response out of the themes (or take it back in: the next `assign_new` places it)."""
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        response = _response(session, response_id)
        _log(session, response, account_id, EXCLUDE, {"excluded": bool(excluded)})
        _apply_exclude(session, response, bool(excluded))


def _apply_exclude(session: Session, response: Response, excluded: bool) -> None:
    response.excluded = excluded
    if excluded:
        session.execute(delete(ThemeAssignment).where(ThemeAssignment.response_id == response.id))
    session.flush()


def mark_quote(
    response_id: int, theme_id: int, is_quote: bool = True, *, account_id: int | None = None, store: Store | None = None
) -> None:
    """Mark (or unmark) a response as a quote for a theme's booklet page."""
    with (store or get_store()).session() as session:
        _check_account(session, account_id)
        response = _response(session, response_id)
        theme = _active_theme(session, theme_id)
        _same_consultation(response, theme)
        assignment = session.scalar(
            select(ThemeAssignment).where(ThemeAssignment.response_id == response.id, ThemeAssignment.theme_id == theme.id)
        )
        if assignment is None:
            raise EditError(f"Reactie {response.id} hoort niet bij thema '{theme.name}'.")
        _log(session, response, account_id, QUOTE, {"theme_id": theme.id, "is_quote": bool(is_quote)})
        assignment.is_quote = bool(is_quote)


# ----------------------------------------------------------------------------------------------- replay


def replay_edits(session: Session, consultation_id: int) -> int:
    """Apply every logged theme edit of a consultation again, oldest first. Returns how many were applied.

    Called inside the transaction that writes a new model result, so staff edits and the model never
    disagree in committed state. Edits whose response has since been deleted are skipped.
    """
    edits = session.scalars(
        select(AuditLog)
        .where(AuditLog.consultation_id == consultation_id, AuditLog.action.in_(THEME_EDITS))
        .order_by(AuditLog.id)
    )
    applied = 0
    for edit in edits:
        if _replay_one(session, edit):
            applied += 1
    session.flush()
    return applied


def _replay_one(session: Session, edit: AuditLog) -> bool:
    payload = edit.payload or {}
    target_id = int(edit.target_id) if edit.target_id else None
    if edit.target_type == "response":
        response = session.get(Response, target_id)
        if response is None:
            return False
        if edit.action == MOVE:
            return _replay_themes(session, response.id, payload["themes_after"])
        if edit.action == EXCLUDE:
            # The flag on the response is the current state: replaying an older value would undo a later one
            # (excluded, then taken back in, would lose the themes the fit just gave it).
            _apply_exclude(session, response, response.excluded)
            return True
        if edit.action == QUOTE:
            theme = resolve_theme(session, payload["theme_id"])
            assignment = theme and session.scalar(
                select(ThemeAssignment).where(ThemeAssignment.response_id == response.id, ThemeAssignment.theme_id == theme.id)
            )
            if assignment is None:
                return False
            assignment.is_quote = bool(payload["is_quote"])
            return True
        return False
    theme = session.get(Theme, target_id)
    if theme is None:
        return False
    if edit.action == RENAME:
        theme.name, theme.reviewed = payload["name"], True
    elif edit.action == REVIEW:
        theme.reviewed = bool(payload["reviewed"])
    elif edit.action == FOLLOW_UP:
        theme.follow_up = payload["text"]
    elif edit.action == MERGE:
        target = resolve_theme(session, payload["target"])
        if target is None or target.id == theme.id:
            return False
        _apply_merge(session, theme, target, payload.get("themes_after", {}))
    elif edit.action == SPLIT:
        new = session.get(Theme, payload["new_theme"])
        if new is None:
            return False
        new.active = new.merged_into_id is None
        for response_id, themes in payload["themes_after"].items():
            if session.get(Response, int(response_id)) is not None:
                _replay_themes(session, int(response_id), themes)
    else:
        return False
    session.flush()
    return True


def _replay_themes(session: Session, response_id: int, theme_ids: list[int]) -> bool:
    response = session.get(Response, response_id)
    if response is None or response.excluded:
        return False
    resolved = {theme.id for theme in (resolve_theme(session, t) for t in theme_ids) if theme is not None}
    if not resolved:
        return False
    set_response_themes(session, response_id, resolved)
    return True
