"""Reporter and staff accounts, with argon2 password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from samenspraak.store import Account, Store, get_store
from samenspraak.store.models import ROLES

MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME_LENGTH = Account.__table__.c.display_name.type.length
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed login the same whether or not the username exists.
_DUMMY_HASH = _hasher.hash("samenspraak-dummy-password")


class AccountError(ValueError):
    """An account cannot be created or changed; the message is Dutch."""


def create_account(
    username: str, password: str, role: str, display_name: str | None = None, *, store: Store | None = None
) -> int:
    store = store or get_store()
    username = username.strip().lower()
    if not username or len(username) > 100 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise AccountError("Gebruikersnaam: alleen letters, cijfers, punt, streepje of liggend streepje.")
    if role not in ROLES:
        raise AccountError(f"Onbekende rol '{role}'. Kies uit: {', '.join(ROLES)}.")
    display_name = (display_name or username).strip()
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise AccountError(f"De naam is te lang: maximaal {MAX_DISPLAY_NAME_LENGTH} tekens.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens hebben.")
    with store.session() as session:
        if session.scalar(select(Account.id).where(Account.username == username)):
            raise AccountError(f"De gebruikersnaam '{username}' bestaat al.")
        account = Account(
            username=username,
            display_name=display_name,
            password_hash=_hasher.hash(password),
            role=role,
        )
        session.add(account)
        session.flush()
        return account.id


def authenticate(username: str, password: str, *, store: Store | None = None) -> Account | None:
    """The active account for these credentials, or None. Rehashes when argon2 parameters changed."""
    store = store or get_store()
    with store.session() as session:
        account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
        if account is None or not account.active:
            try:
                _hasher.verify(_DUMMY_HASH, password)
            except VerificationError:
                pass
            return None
        try:
            _hasher.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = _hasher.hash(password)
        return account


def set_active(account_id: int, active: bool, *, store: Store | None = None) -> None:
    store = store or get_store()
    with store.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise AccountError("Dit account bestaat niet.")
        account.active = active


def list_accounts(role: str | None = None, *, store: Store | None = None) -> list[Account]:
    store = store or get_store()
    with store.session() as session:
        query = select(Account).order_by(Account.role, Account.username)
        if role:
            query = query.where(Account.role == role)
        return list(session.scalars(query))
