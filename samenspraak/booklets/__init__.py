"""Feedback booklets per audience (intern, partners, inwoners, samenvatting) as PDF and HTML."""

from samenspraak.booklets.errors import BookletError
from samenspraak.booklets.model import AUDIENCES, BookletData, collect
from samenspraak.booklets.rendering import FORMATS, render, render_html

__all__ = ["AUDIENCES", "FORMATS", "BookletData", "BookletError", "collect", "render", "render_html"]
