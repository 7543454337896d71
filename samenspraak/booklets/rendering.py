"""Booklets as HTML and PDF from the same Jinja2 templates; the PDF is made by WeasyPrint."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from samenspraak.booklets.errors import BookletError
from samenspraak.booklets.model import BookletData, collect
from samenspraak.booklets.text import dutch_list, long_date, number, percent
from samenspraak.store import Store

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATES_ENV = "SAMENSPRAAK_BOOKLET_TEMPLATES"
FORMATS = ("pdf", "html")
# PDF/UA-1: a tagged PDF with structure, language and alt texts, for screen readers.
PDF_VARIANT = "pdf/ua-1"


def template_dirs() -> list[Path]:
    """The municipality's own template folder (if set) first, then the shipped templates."""
    dirs = []
    override = os.environ.get(TEMPLATES_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise BookletError(f"De map met eigen sjablonen bestaat niet: {path} (instelling {TEMPLATES_ENV}).")
        dirs.append(path)
    dirs.append(TEMPLATES_DIR)
    return dirs


@lru_cache(maxsize=4)
def _environment(dirs: tuple[Path, ...]) -> Environment:
    """One environment per template search path; Jinja2 reloads a template when its file changes."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(path)) for path in dirs]),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=number,
        long_date=long_date,
        dutch_list=dutch_list,
        share=lambda fraction: percent(round(fraction * 1000), 1000),
        share_of=percent,
        decimal=lambda value: f"{value:.2f}".replace(".", ","),
        paragraphs=lambda text: [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()],
    )
    return env


def render_html(data: BookletData, fmt: str = "html") -> str:
    return _environment(tuple(template_dirs())).get_template(f"{data.audience.key}.html").render(b=data, fmt=fmt)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: WeasyPrint loads Pango at import

    # Relative links resolve in the first template folder, so a municipality's own folder can hold its files.
    return HTML(string=html, base_url=str(template_dirs()[0])).write_pdf(pdf_variant=PDF_VARIANT)


def render(consultation: str, audience: str, fmt: str = "pdf", store: Store | None = None) -> bytes:
    """One booklet as bytes: a PDF, or a self-contained UTF-8 HTML page. Raises BookletError (Dutch message)."""
    if fmt not in FORMATS:
        raise BookletError(f"Onbekend formaat '{fmt}'. Kies uit: {', '.join(FORMATS)}.")
    data = collect(consultation, audience, store=store)
    html = render_html(data, fmt)
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
