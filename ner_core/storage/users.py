"""People and roles: users with argon2-hashed passwords, sign-in sessions, and role checks.

A user is a name, a role (``annotator`` < ``reviewer`` < ``admin``; each role may do what the
roles below it may) and an argon2id hash of the password; the password itself is never stored.
Signing in returns a random session token; the database keeps only its SHA-256 and its expiry,
so an expired or unknown token is refused. With no users defined the workbench is a one-person
tool: the acting user is ``None`` and every action is allowed (as it is from the command line).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .schema import USER_NAME_MAX, RemovedUser, SessionRow, UserRow

ROLES = ("annotator", "reviewer", "admin")
# action -> the least role allowed to do it
ACTIONS = {
    "correct": "annotator",
    "review": "reviewer",
    "adjudicate": "reviewer",
    "assign": "admin",
    "retrain": "admin",
    "activate": "admin",
    "roll back": "admin",
    "delete models": "admin",
    "import": "admin",
    "change entity types": "admin",
    "archive datasets": "admin",
    "manage users": "admin",
}
SESSION_LIFETIME = timedelta(hours=12)
NAME_PATTERN = re.compile(rf"[^\W_][\w.-]{{0,{USER_NAME_MAX - 1}}}")  # letters or digits first, then also '_', '.', '-'
MIN_PASSWORD = 8
_hasher = PasswordHasher()  # argon2id with the library's current defaults


class UserError(ValueError):
    """A user that cannot be created or changed (invalid, taken or unknown name, unknown role, short password)."""


class SignInError(ValueError):
    """A refused sign-in or session: wrong name or password, unknown or expired session."""


class RoleError(PermissionError):
    """An action above the acting user's role."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    """``name`` (its accents composed, :func:`composed`) if it is a valid user name, else :class:`UserError` saying what
    is allowed."""
    name = composed(name)
    if isinstance(name, str) and len(name) > USER_NAME_MAX:  # checked first: such a name is not echoed
        raise UserError(f"a user name may hold at most {USER_NAME_MAX} characters, got {len(name)}")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UserError(f"invalid user name {name!r}: 1-{USER_NAME_MAX} letters, digits, '_', '.' or '-', "
                        "starting with a letter or digit")
    return name


def composed(name: str) -> str:
    """``name`` with its accents composed (NFC): "José" typed or pasted as "Jose" and a combining accent is the same
    name (helper-92: refused as invalid, with a message that showed a valid name)."""
    return unicodedata.normalize("NFC", name) if isinstance(name, str) else name


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else :class:`UserError` listing them."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose {', '.join(ROLES)}")
    return role


def _refuse_taken(session: Session, name: str, returning: bool = False) -> RemovedUser | None:
    """:class:`UserError` if a user has ``name`` already (in any case), or had it and was removed, unless ``returning``
    (the same person back: their removal's row, returned); with ``returning``, a name no one removed is refused."""
    if session.scalar(select(UserRow.id).where(func.lower(UserRow.name) == name.lower())) is not None:
        raise UserError(f"a user named {name!r} exists already")
    gone = session.scalar(select(RemovedUser).where(func.lower(RemovedUser.name) == name.lower()))
    if gone is not None and not returning:
        raise UserError(f"{gone.name!r} was a user, removed on {_aware(gone.removed_at):%Y-%m-%d} by {gone.removed_by}: what they "
                        "saved keeps that name, so a new user takes another one; the same person back: add them as returning "
                        f"('users add {gone.name} --role ROLE --returning')")
    if gone is None and returning:
        raise UserError(f"no removed user named {name!r} to bring back")
    return gone


def check_new_name(engine: Engine, name: str, returning: bool = False) -> str:
    """``name`` if it is a valid user name that no user has nor had (in any case; ``returning``: that a removed user
    had), else :class:`UserError`."""
    name = check_name(name)
    with Session(engine) as session:
        _refuse_taken(session, name, returning)
    return name


def add_user(engine: Engine, name: str, role: str, password: str, by: User | None = None, returning: bool = False) -> User:
    """Create a user (``by``: the acting user, an admin once users exist; ``None`` from the command line); ``returning``:
    a removed user back, the same person, who keeps what they saved under the name."""
    require(by, "manage users")
    name = check_name(name)
    check_role(role)
    with Session(engine) as session, session.begin():
        gone = _refuse_taken(session, name, returning)  # before the password: a taken name is the answer whatever the password
        if gone is not None:
            name = gone.name  # as it was written
            session.delete(gone)
        session.add(UserRow(name=name, role=role, password_hash=_hash(password), created_at=_now()))
    return User(name, role)


def _hash(password: str) -> str:
    """The argon2id hash of a new ``password``; :class:`UserError` if it is too short."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def find_user(engine: Engine, name: str) -> User:
    """The user named ``name`` (as typed, else in any case), or :class:`UserError`."""
    with Session(engine) as session:
        row = _existing(session, name)
        return User(row.name, row.role)


def _existing(session: Session, name: str) -> UserRow:
    """The user named ``name``, else :class:`UserError` (names are matched as typed, then in any case)."""
    name = composed(name)
    row = session.scalar(select(UserRow).where(UserRow.name == name)) or session.scalar(
        select(UserRow).where(func.lower(UserRow.name) == str(name).lower()))
    if row is None:
        raise UserError(f"no user named {name!r} ('users list' lists everyone)")
    return row


def set_role(engine: Engine, name: str, role: str, by: User | None = None) -> User:
    """Give ``name`` another role; it holds from their next page on (their sessions go on). In the app (``by``), the
    last admin is not demoted: nobody could manage users there then."""
    require(by, "manage users")
    check_role(role)
    with Session(engine) as session, session.begin():
        row = _existing(session, name)
        if by is not None and role != "admin":
            _keep_an_admin(session, row, "demoted")
        row.role = role
        return User(row.name, role)


def set_password(engine: Engine, name: str, password: str, by: User | None = None) -> User:
    """Give ``name`` a new password (a forgotten one reset); their sessions end, so every browser signs in anew."""
    require(by, "manage users")
    with Session(engine) as session, session.begin():
        row = _existing(session, name)
        row.password_hash = _hash(password)
        session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
        return User(row.name, row.role)


def change_own_password(engine: Engine, token: str, current: str, new: str) -> User:
    """The signed-in user's (session ``token``) new password, given the ``current`` one: their other sessions end, this
    one goes on. :class:`SignInError` if the session has ended or ``current`` is wrong."""
    with Session(engine) as session, session.begin():
        row = session.scalar(select(UserRow).join(SessionRow, SessionRow.user_id == UserRow.id)
                             .where(SessionRow.token_sha256 == _token_hash(str(token))))
        if row is None:
            raise SignInError("your session has ended: sign in again")
        try:
            _hasher.verify(row.password_hash, current)
        except (VerificationError, InvalidHashError):
            raise SignInError("your current password is wrong; nothing was changed") from None
        row.password_hash = _hash(new)
        session.execute(delete(SessionRow).where(SessionRow.user_id == row.id, SessionRow.token_sha256 != _token_hash(str(token))))
        return User(row.name, row.role)


def remove_user(engine: Engine, name: str, by: User | None = None) -> User:
    """Remove ``name``: they can no longer sign in and their sessions end; what they saved keeps their name, which no
    new user can take (:func:`removed_users`; in the app, ``by``, never the last admin)."""
    require(by, "manage users")
    with Session(engine) as session, session.begin():
        row = _existing(session, name)
        if by is not None:
            _keep_an_admin(session, row, "removed")
        session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
        session.delete(row)
        session.add(RemovedUser(name=row.name, role=row.role, removed_at=_now(), removed_by=by.name if by else "the command line"))
        return User(row.name, row.role)


def _keep_an_admin(session: Session, row: UserRow, what: str) -> None:
    """:class:`UserError` if ``row`` is the last admin (the command line may still do it, and says so)."""
    admins = session.scalars(select(UserRow.id).where(UserRow.role == "admin").with_for_update()).all()
    if row.role == "admin" and admins == [row.id]:
        raise UserError(f"{row.name} is the last admin and cannot be {what} here: make another user admin first")


def list_users(engine: Engine) -> list[User]:
    with Session(engine) as session:
        return [User(r.name, r.role) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def removed_users(engine: Engine) -> list[tuple[str, str, datetime, str]]:
    """The users removed (their names stay theirs): name, role, when and by whom."""
    with Session(engine) as session:
        return [(r.name, r.role, _aware(r.removed_at), r.removed_by) for r in session.scalars(select(RemovedUser).order_by(RemovedUser.name))]


def has_users(engine: Engine) -> bool:
    """Whether any user is defined (else the workbench runs for one person, without sign-in)."""
    with Session(engine) as session:
        return session.scalar(select(UserRow.id).limit(1)) is not None


def sign_in(engine: Engine, name: str, password: str, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """A new session token for ``name``; :class:`SignInError` on a wrong name or password."""
    with Session(engine) as session, session.begin():
        row = session.scalar(select(UserRow).where(UserRow.name == composed(name))) if isinstance(name, str) else None
        try:
            # an unknown name costs one hash too, so timing does not tell which names exist
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None:
            raise SignInError("wrong user name or password")
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        token = secrets.token_urlsafe(32)
        session.add(SessionRow(token_sha256=_token_hash(token), user_id=row.id, expires_at=_now() + lifetime))
    return token


def user_for_token(engine: Engine, token: str, now: datetime | None = None) -> User:
    """The user a session token belongs to; :class:`SignInError` if it is unknown or expired."""
    with Session(engine) as session:
        found = session.execute(
            select(SessionRow.expires_at, UserRow.name, UserRow.role).join(UserRow, UserRow.id == SessionRow.user_id)
            .where(SessionRow.token_sha256 == _token_hash(str(token)))
        ).first()
    if found is None:
        raise SignInError("your session has ended (signed out in another tab, your password reset, or removed by an admin): sign in again")
    expires = _aware(found.expires_at)
    if expires <= (now or _now()):
        raise SignInError(f"your session expired at {expires:%Y-%m-%d %H:%M} UTC: sign in again")
    return User(found.name, found.role)


def sign_out(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(SessionRow, _token_hash(str(token)))
        if row is not None:
            session.delete(row)


def refusal(user: User | None, action: str) -> str | None:
    """Why ``user`` may not do ``action`` (a sentence for a disabled button), or ``None`` if allowed."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    needed = ACTIONS[action]
    if user is None or ROLES.index(user.role) >= ROLES.index(needed):
        return None
    return f"{user.name} is {_article(user.role)} {user.role}: only {_plural(needed)} may {action}"


def allowed(user: User | None, action: str) -> bool:
    return refusal(user, action) is None


def require(user: User | None, action: str) -> None:
    """Raise :class:`RoleError` unless ``user`` may do ``action`` (``None``: no users, or the command line)."""
    reason = refusal(user, action)
    if reason:
        raise RoleError(reason)


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def _plural(role: str) -> str:
    return "admins" if role == "admin" else f"{role}s and admins"


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))
