"""`samenspraak themes fit | assign | show` (mounted by samenspraak.cli)."""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from samenspraak.config import get_settings
from samenspraak.consultations import DefinitionError
from topics.errors import EditError, TopicsError

app = typer.Typer(help="Thema's: reacties indelen, nieuwe reacties plaatsen en de indeling bekijken.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

CONSULTATION = typer.Option(None, "--consultation", "-c", help="Consultatie (slug); standaard SAMENSPRAAK_CONSULTATION.")


@contextmanager
def _friendly_errors():
    try:
        yield
    except (TopicsError, EditError, DefinitionError) as exc:
        errors.print(f"[red]Fout:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt as exc:
        errors.print("Afgebroken. Er is niets half opgeslagen; de vorige indeling geldt nog.")
        raise typer.Exit(130) from exc


@app.command("fit")
def fit_command(consultation: str | None = CONSULTATION) -> None:
    """Alle reacties opnieuw indelen (volledige nieuwe indeling). Bewerkingen van medewerkers blijven staan."""
    from topics.fitting import fit

    slug = consultation or get_settings().consultation
    with _friendly_errors(), Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        run_id = fit(slug, progress=progress)
    _print_run(run_id)


@app.command("assign")
def assign_command(consultation: str | None = CONSULTATION) -> None:
    """Nieuwe reacties in de bestaande thema's plaatsen, zonder nieuwe indeling."""
    from topics.fitting import assign_new

    slug = consultation or get_settings().consultation
    with _friendly_errors(), console.status("Nieuwe reacties plaatsen..."):
        placed = assign_new(slug)
    console.print(f"{placed} nieuwe reacties geplaatst." if placed else "Geen nieuwe reacties om te plaatsen.")


@app.command("show")
def show_command(consultation: str | None = CONSULTATION, quotes: bool = typer.Option(False, help="Toon ook citaten.")) -> None:
    """De thema's met aantallen, trefwoorden en (desgewenst) citaten."""
    from topics.overview import non_answer_count, theme_overview

    slug = consultation or get_settings().consultation
    with _friendly_errors():
        overview = theme_overview(slug)
        non_answers = non_answer_count(slug)
    table = Table(title=f"Thema's van {slug}")
    table.add_column("id", justify="right")
    table.add_column("Thema")
    table.add_column("Reacties", justify="right")
    table.add_column("Trefwoorden")
    for theme in overview:
        table.add_row(str(theme.theme_id), f"[bold]{escape(theme.name)}[/bold]", str(theme.count), _phrases(theme))
        for sub in theme.subthemes:
            table.add_row(str(sub.theme_id), f"  └ {escape(sub.name)}", str(sub.count), _phrases(sub))
    console.print(table)
    console.print(f"Reacties zonder inhoud (geteld, niet ingedeeld): {non_answers}")
    if quotes:
        for theme in overview:
            console.print(f"\n[bold]{escape(theme.name)}[/bold]")
            for quote in theme.quotes:
                source = quote.channel + (f", {quote.wijk}" if quote.wijk else "")
                console.print(f"  • {escape(quote.text)}  [dim]({escape(source)})[/dim]")


def _phrases(theme) -> str:
    # Residents' words and staff names are text, not Rich markup ("[/" would break the table).
    return escape(", ".join(theme.key_phrases[:5]))


def _print_run(run_id: int) -> None:
    from samenspraak.store import TopicRun, get_store

    with get_store().session() as session:
        run = session.get(TopicRun, run_id)
        console.print(f"Klaar (run {run_id}): {run.message}")


if __name__ == "__main__":
    app()
