"""Settings, read once from the environment. Every runtime path lives under one ignored folder (var/)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "ja", "on"}


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    consultation: str
    keep_original_text: bool
    retention_days: int | None
    rasa_url: str
    action_server_port: int
    web_host: str
    web_port: int
    secret_key: str
    # Addresses or networks of the reverse proxies / load balancers whose X-Forwarded-For and -Proto are trusted.
    trusted_proxies: tuple[str, ...]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    var_dir = Path(os.environ.get("SAMENSPRAAK_VAR_DIR", REPO_ROOT / "var")).resolve()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'samenspraak.db'}"
    retention = os.environ.get("SAMENSPRAAK_RETENTION_DAYS", "").strip()
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        consultation=os.environ.get("SAMENSPRAAK_CONSULTATION", "zoetermeer-2040"),
        keep_original_text=_bool(os.environ.get("SAMENSPRAAK_KEEP_ORIGINAL", "false")),
        retention_days=_retention_days(retention),
        rasa_url=os.environ.get("SAMENSPRAAK_RASA_URL", "http://127.0.0.1:5005"),
        action_server_port=int(os.environ.get("SAMENSPRAAK_ACTION_PORT", "5055")),
        web_host=os.environ.get("SAMENSPRAAK_HOST", "127.0.0.1"),
        web_port=int(os.environ.get("SAMENSPRAAK_PORT", "8000")),
        secret_key=os.environ.get("SAMENSPRAAK_SECRET_KEY") or _local_secret(var_dir),
        trusted_proxies=_trusted_proxies(os.environ.get("SAMENSPRAAK_TRUSTED_PROXIES", "127.0.0.1,::1")),
    )


def _retention_days(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"SAMENSPRAAK_RETENTION_DAYS moet een aantal dagen zijn (bijvoorbeeld 90), niet '{value}'")
    return int(value)


def _trusted_proxies(value: str) -> tuple[str, ...]:
    # uvicorn silently ignores an entry it cannot parse as it does (a network with host bits, "*" beside
    # others, a typo); such an entry must stop the app instead of trusting nothing unnoticed.
    proxies = tuple(item.strip() for item in value.split(",") if item.strip())
    if proxies == ("*",):  # every address: only where nothing but the proxy can reach the web processes
        return proxies
    for item in proxies:
        try:
            ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(
                f"SAMENSPRAAK_TRUSTED_PROXIES moet IP-adressen of netwerken bevatten (bijvoorbeeld 10.0.0.5 of "
                f"10.0.0.0/24), gescheiden door komma's, of alleen '*'; niet '{item}'"
            ) from None
    return proxies


def _local_secret(var_dir: Path) -> str:
    """A per-installation secret kept in var/, so sessions survive restarts without a key in the repo."""
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
