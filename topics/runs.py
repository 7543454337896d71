"""Bookkeeping of fit and assign runs (TopicRun): a run is 'running' until its result is committed."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from samenspraak.store import Store, TopicRun

RUN_FIT = "fit"
RUN_ASSIGN = "assign"


def start_run(store: Store, consultation_id: int, kind: str, model_name: str, parameters: dict) -> int:
    with store.session() as session:
        # A run still 'running' was killed without a chance to say so.
        for stale in session.scalars(
            select(TopicRun).where(TopicRun.consultation_id == consultation_id, TopicRun.status == "running")
        ):
            stale.status = "interrupted"
            stale.finished_at = datetime.now(timezone.utc)
        run = TopicRun(consultation_id=consultation_id, kind=kind, status="running", model_name=model_name, parameters=parameters)
        session.add(run)
        session.flush()
        return run.id


def fail_run(store: Store, run_id: int, error: BaseException) -> None:
    with store.session() as session:
        run = session.get(TopicRun, run_id)
        run.status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        run.message = str(error) or type(error).__name__
        run.finished_at = datetime.now(timezone.utc)


def finish_run(session: Session, run_id: int, metrics: dict, message: str) -> None:
    run = session.get(TopicRun, run_id)
    run.status = "done"
    run.metrics = metrics
    run.message = message
    run.finished_at = datetime.now(timezone.utc)


def last_fit(session: Session, consultation_id: int) -> TopicRun | None:
    return session.scalar(
        select(TopicRun)
        .where(TopicRun.consultation_id == consultation_id, TopicRun.kind == RUN_FIT, TopicRun.status == "done")
        .order_by(TopicRun.id.desc())
        .limit(1)
    )
