"""The web application: residents' chat and 'mijn bijdrage', reporters' street interviews, staff review."""

from __future__ import annotations


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the application with uvicorn (one process: analysis runs are tracked in memory)."""
    import uvicorn

    from samenspraak.config import get_settings
    from samenspraak.web.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.web_host,
        port=port or settings.web_port,
        # Behind a reverse proxy or load balancer: trust its X-Forwarded-For (rate limits per resident, not per
        # proxy) and X-Forwarded-Proto (Secure cookies), from the configured addresses only.
        proxy_headers=True,
        forwarded_allow_ips=list(settings.trusted_proxies),
        server_header=False,
    )
