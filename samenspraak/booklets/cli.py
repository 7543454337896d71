"""`samenspraak booklet`: one booklet to a file. The main CLI mounts `booklet` as a command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from samenspraak.booklets.errors import BookletError
from samenspraak.booklets.model import AUDIENCES
from samenspraak.booklets.rendering import FORMATS, render
from samenspraak.config import get_settings

errors = Console(stderr=True)


def booklet(
    audience: Annotated[str, typer.Option(help=f"voor wie: {', '.join(AUDIENCES)}")],
    consultation: Annotated[str | None, typer.Option(help="consultatie (standaard: SAMENSPRAAK_CONSULTATION)")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"{' of '.join(FORMATS)}")] = "pdf",
    out: Annotated[Path | None, typer.Option(help="doelbestand (standaard: var/booklets/CONSULTATIE-PUBLIEK.FORMAT)")] = None,
) -> None:
    """Make a feedback booklet for one audience, as PDF or HTML."""
    settings = get_settings()
    consultation = consultation or settings.consultation
    try:
        content = render(consultation, audience, fmt)
    except BookletError as exc:
        errors.print(f"[bold red]Fout:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    out = out or settings.var_dir / "booklets" / f"{consultation}-{audience}.{fmt}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
    except OSError as exc:
        errors.print(f"[bold red]Fout:[/] kan {out} niet schrijven: {exc.strerror}", highlight=False)
        raise typer.Exit(code=1) from None
    typer.echo(f"Boekje '{AUDIENCES[audience].title}' geschreven naar {out} ({len(content) // 1024} kB)")


if __name__ == "__main__":  # `python -m samenspraak.booklets.cli`, used by mk/booklets.mk
    typer.run(booklet)
