"""`python -m samenspraak.web`: serve the web application on the configured host and port."""

from samenspraak.web import serve

serve()
