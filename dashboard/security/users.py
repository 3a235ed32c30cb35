"""The users file, its password hashes, the sign-in lockout record, and its command line.

``python -m dashboard.users add NAME --role ROLE [--grant pii] [--scope street:<name>|zone:<zone_id> ...] |
passwd NAME | disable NAME | enable NAME | role NAME --role ROLE [--grant pii] |
scope NAME [--scope ...] | list | display add LABEL [--zone Z] [--expires DAYS] | display list |
display revoke LABEL`` acts on the file that ``DASHBOARD_USERS`` names (created when missing).
A new password, a disabled account, another role or other scopes end that user's open
sessions at once (:mod:`dashboard.security.session_store`). Display links live beside the
file (:mod:`dashboard.security.displays`).
A password is read from standard input's first line when it is not a terminal (so a script
can pipe it), else asked twice without echo; never taken from the command line.

The file is JSON (any path, any extension), written atomically with permissions 0600::

    {"format": "fengtai-dashboard-users/1",
     "users": {"wang": {"role": "admin", "grants": ["pii"], "password": "$argon2id$v=19$...",
                        "disabled": false, "created": "2026-11-27T09:00:00+08:00",
                        "changed": "2026-11-27T09:00:00+08:00"}}}

Passwords are argon2id hashes (``argon2-cffi``'s defaults: salted, memory-hard). Failed
sign-ins are counted beside it in ``<file>.signin.json`` (also 0600): the app writes there,
this command only resets it, so the users file itself changes only through this command.
Every change is written to the audit log of the store ``DASHBOARD_STORE`` names (the bundled
sample's when unset); a change that cannot be recorded is undone.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboard.config import ConfigError, DashboardError
from dashboard.security.access import GRANTS, PII_ROLES, ROLES, parse_scope
from dashboard.security.files import locked as _locked
from dashboard.security.files import write_private

FORMAT = "fengtai-dashboard-users/1"
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 10
LOCK_AFTER = 5                # failures in a row that lock an account
LOCK_SECONDS = 15 * 60        # for this long
SLOW_AFTER = 2                # from this many failures on, the next attempt waits
MAX_DELAY_SECONDS = 8.0
FORGET_SECONDS = 24 * 3600    # failures older than this (and no lock) are forgotten
MAX_TRACKED = 2000            # names tracked in the sign-in record (unknown names count too)

# Refused outright: the ten-character-and-longer passwords that lists of leaked passwords
# put first, and the obvious ones for this office. Compared case-insensitively.
COMMON_PASSWORDS: frozenset[str] = frozenset({
    "1234567890", "12345678910", "123456789a", "0123456789", "0987654321", "1111111111", "0000000000",
    "1234512345", "1q2w3e4r5t", "1qaz2wsx3edc", "qwertyuiop", "qwerty1234", "qwerty123456",
    "asdfghjkl;", "zxcvbnm123", "password12", "password123", "password1234", "passw0rd12", "iloveyou12",
    "abc1234567", "abcd123456", "abcdefghij", "a123456789", "admin12345", "admin123456", "administrator",
    "welcome123", "letmein123", "changeme123", "fengtai123", "fengtai2024", "fengtai2025", "fengtai2026",
    "beijing123", "beijing2024", "woaini1314", "5201314520", "dashboard1", "dashboard123",
})

_hasher = PasswordHasher()   # argon2id with the library's defaults
_DUMMY_HASH = _hasher.hash("not a password of anyone: levels the time of a miss")


class UsersError(DashboardError):
    """A users-file operation was refused (the message says why and what to do)."""


@dataclass(frozen=True)
class User:
    """One account of the users file."""

    name: str
    role: str
    grants: tuple[str, ...] = ()
    password: str | None = None    # the argon2id hash
    disabled: bool = False
    created: str = ""
    changed: str = ""
    scopes: tuple[str, ...] = ()   # "street:<name>" / "zone:<zone_id>"; none: the whole district

    def to_json(self) -> dict:
        return {"role": self.role, "grants": list(self.grants), "password": self.password,
                "disabled": self.disabled, "created": self.created, "changed": self.changed,
                "scopes": list(self.scopes)}


def _stamp() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------- checks
def check_name(name: str) -> str:
    """``name`` if it is a usable account name, else :class:`UsersError`."""
    if not NAME_PATTERN.match(name or ""):
        raise UsersError(f"用户名 {name!r} 无效：只能使用字母、数字、汉字和 . _ @ -，最长 64 个字符 "
                         "(a name is 1 to 64 letters, digits, CJK characters or . _ @ -)")
    return name


def check_role(role: str, grants: tuple[str, ...]) -> None:
    """The role must be one of :data:`dashboard.security.access.ROLES`; ``pii`` only for analyst and admin."""
    if role not in ROLES:
        raise UsersError(f"角色 {role!r} 不存在 (no such role); 可选 (allowed): {', '.join(ROLES)}")
    unknown = [g for g in grants if g not in GRANTS]
    if unknown:
        raise UsersError(f"授权 {unknown[0]!r} 不存在 (no such grant); 可选 (allowed): {', '.join(GRANTS)}")
    if "pii" in grants and role not in PII_ROLES:
        raise UsersError(f"pii 授权只能给予 {' / '.join(sorted(PII_ROLES))} 角色，{role} 不能查看个人信息 "
                         f"(the pii grant is for {' and '.join(sorted(PII_ROLES))} only)")


def check_scope(scope: str) -> str:
    """``scope`` in its one form, ``street:<name>`` or ``zone:<zone_id>``, else :class:`UsersError`."""
    try:
        kind, value = parse_scope(scope)
    except ValueError:
        raise UsersError(f"范围 {scope!r} 无效：应为 street:<街道名> 或 zone:<功能区编号> "
                         "(a scope is street:<name> or zone:<zone_id>)") from None
    return f"{kind}:{value}"


def check_scopes(scopes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Every scope checked, duplicates dropped, order kept."""
    return tuple(dict.fromkeys(check_scope(s) for s in scopes))


def check_password(password: str, name: str = "") -> None:
    """Refuse a password under 10 characters, a common one, or one that is the user's name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersError(f"密码太短：至少 {MIN_PASSWORD_LENGTH} 个字符 (password too short: at least "
                         f"{MIN_PASSWORD_LENGTH} characters)")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or (name and name.casefold() in folded) or len(set(folded)) <= 2:
        raise UsersError("密码太常见或包含用户名，请换一个 (password is too common or contains the user name)")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the parameters are in the hash)."""
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` is ``user``'s. A missing, disabled or hash-less user costs the same time."""
    usable = user is not None and not user.disabled and user.password
    try:
        return bool(_hasher.verify(user.password if usable else _DUMMY_HASH, password)) and bool(usable)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_stamp(user: User) -> str:
    """A short fingerprint of the stored hash: a session signed in with an older one ends."""
    import hashlib
    return hashlib.sha256((user.password or "").encode()).hexdigest()[:16]


def account_stamp(user: User) -> str:
    """A fingerprint of what a session was signed in with: the password hash, role, grants,
    scopes and status. A lasting session whose account's stamp changed has ended."""
    import hashlib
    text = "\n".join([user.password or "", user.role, ",".join(user.grants), ",".join(user.scopes),
                      str(user.disabled)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the file
def read_users(path: str | Path) -> dict[str, User]:
    """The accounts of the users file (none when it does not exist yet)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"用户文件 {path} 无法读取 (the users file cannot be read): {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("users"), dict):
        raise ConfigError(f"用户文件 {path} 不是本看板的用户文件 (not a users file of this dashboard: expected "
                          f'"format": "{FORMAT}"); 请用 python -m dashboard.users 管理')
    out = {}
    for name, entry in raw["users"].items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES or not _scopes_ok(entry.get("scopes")):
            raise ConfigError(f"用户文件 {path} 中的用户 {name!r} 无效 (invalid entry)")
        out[name] = User(name=name, role=entry["role"], grants=tuple(entry.get("grants") or ()),
                         password=entry.get("password"), disabled=bool(entry.get("disabled")),
                         created=str(entry.get("created", "")), changed=str(entry.get("changed", "")),
                         scopes=tuple(str(x) for x in entry.get("scopes") or ()))
    return out


def _scopes_ok(scopes: object) -> bool:
    if scopes is None:
        return True
    try:
        return isinstance(scopes, list) and all(parse_scope(x) for x in scopes)
    except ValueError:
        return False


def _dump(users: Mapping[str, User]) -> str:
    return json.dumps({"format": FORMAT, "users": {n: u.to_json() for n, u in sorted(users.items())}},
                      ensure_ascii=False, indent=2) + "\n"


_cache: dict[str, tuple[tuple[int, int, int], dict[str, User]]] = {}


def users_cached(path: str | Path) -> dict[str, User]:
    """:func:`read_users`, read again only when the file changed (the app asks on every page run)."""
    key = str(path)
    try:
        st = os.stat(key)
        identity = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return {}
    hit = _cache.get(key)
    if hit is None or hit[0] != identity:
        hit = (identity, read_users(key))
        _cache[key] = hit
    return hit[1]


# ---------------------------------------------------------------- failed sign-ins
@dataclass(frozen=True)
class Attempts:
    """Failed sign-ins in a row for one name, and until when it is locked (epoch seconds)."""

    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0

    def locked(self, now: float) -> bool:
        return self.locked_until > now

    def delay(self) -> float:
        """Seconds the next attempt waits: none for the first two, then 1, 2, 4 … (at most 8)."""
        if self.failures < SLOW_AFTER:
            return 0.0
        return min(2.0 ** (self.failures - SLOW_AFTER), MAX_DELAY_SECONDS)


def attempts_path(users_path: str | Path) -> Path:
    return Path(str(users_path) + ".signin.json")


def _read_attempts(path: Path) -> dict[str, dict]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}   # a damaged record starts afresh (it only ever slows and locks)
    return raw if isinstance(raw, dict) else {}


def _attempt(entry: Mapping | None) -> Attempts:
    entry = entry or {}
    return Attempts(int(entry.get("failures", 0)), float(entry.get("last", 0)), float(entry.get("locked_until", 0)))


def attempts_for(users_path: str | Path, name: str) -> Attempts:
    """The failed sign-ins recorded for ``name``."""
    return _attempt(_read_attempts(attempts_path(users_path)).get(name))


def record_failure(users_path: str | Path, name: str, now: float) -> Attempts:
    """Count one more failure for ``name``; the fifth in a row locks it for 15 minutes."""
    path = attempts_path(users_path)
    with _locked(path):
        record = _read_attempts(path)
        before = _attempt(record.get(name))
        if before.locked_until and before.locked_until <= now:
            before = Attempts()   # a lock that ran out starts a new count
        failures = before.failures + 1
        after = Attempts(failures, now, now + LOCK_SECONDS if failures >= LOCK_AFTER else before.locked_until)
        record[name] = {"failures": after.failures, "last": after.last, "locked_until": after.locked_until}
        write_private(path, json.dumps(_forget_old(record, now), ensure_ascii=False))
    return after


def record_success(users_path: str | Path, name: str) -> None:
    """A successful sign-in (or a new password) clears ``name``'s count and lock."""
    path = attempts_path(users_path)
    with _locked(path):
        record = _read_attempts(path)
        if record.pop(name, None) is not None:
            write_private(path, json.dumps(record, ensure_ascii=False))


def _forget_old(record: dict[str, dict], now: float) -> dict[str, dict]:
    kept = {n: e for n, e in record.items()
            if float(e.get("locked_until", 0)) > now or now - float(e.get("last", 0)) < FORGET_SECONDS}
    if len(kept) > MAX_TRACKED:   # unknown names count too; keep the file small under a flood
        kept = dict(sorted(kept.items(), key=lambda kv: -float(kv[1].get("last", 0)))[:MAX_TRACKED])
    return kept


# ---------------------------------------------------------------- changes (the command line's verbs)
@dataclass
class Change:
    """One change to the users file: what it was, for the audit log."""

    event: str
    name: str
    detail: str
    before: str | None = field(default=None, repr=False)   # the file's text before, to undo


def _change(path: Path, apply, event: str, name: str, detail: str) -> Change:  # noqa: ANN001 - callable
    with _locked(path):
        before = path.read_text(encoding="utf-8") if path.exists() else None
        users = read_users(path)
        users = apply(users)
        write_private(path, _dump(users))
    return Change(event, name, detail, before)


def add_user(path: str | Path, name: str, role: str, grants: tuple[str, ...], password: str,
             scopes: tuple[str, ...] = ()) -> Change:
    """Add an account; refuses an existing name, a bad role, grant or scope, and a weak password."""
    check_name(name)
    check_role(role, grants)
    scopes = check_scopes(scopes)
    check_password(password, name)

    def apply(users: dict[str, User]) -> dict[str, User]:
        if name in users:
            raise UsersError(f"用户 {name} 已存在 (already exists): 用 passwd 修改密码 (use passwd)")
        now = _stamp()
        return {**users, name: User(name, role, tuple(dict.fromkeys(grants)), hash_password(password), False, now, now,
                                    scopes)}
    return _change(Path(path), apply, "user_add", name, f"role={role} grants={','.join(grants) or '-'}"
                   + (f" scopes={';'.join(scopes)}" if scopes else ""))


def _existing(users: dict[str, User], name: str) -> User:
    if name not in users:
        raise UsersError(f"用户 {name} 不存在 (no such user); 用 list 查看 (see list)")
    return users[name]


def set_password(path: str | Path, name: str, password: str) -> Change:
    """A new password for ``name`` (its sessions end; its failed-sign-in count and lock are cleared)."""
    check_password(password, name)

    def apply(users: dict[str, User]) -> dict[str, User]:
        user = _existing(users, name)
        return {**users, name: replace(user, password=hash_password(password), changed=_stamp())}
    change = _change(Path(path), apply, "user_passwd", name, "password changed")
    record_success(path, name)
    return change


def set_disabled(path: str | Path, name: str, disabled: bool) -> Change:
    """Disable (or enable again) ``name``: a disabled account cannot sign in, its sessions end."""
    def apply(users: dict[str, User]) -> dict[str, User]:
        user = _existing(users, name)
        return {**users, name: replace(user, disabled=disabled, changed=_stamp())}
    return _change(Path(path), apply, "user_disable" if disabled else "user_enable", name,
                   "disabled" if disabled else "enabled")


def set_role(path: str | Path, name: str, role: str, grants: tuple[str, ...]) -> Change:
    """Give ``name`` another role and grants (they apply from its next page run)."""
    check_role(role, grants)

    def apply(users: dict[str, User]) -> dict[str, User]:
        user = _existing(users, name)
        return {**users, name: replace(user, role=role, grants=tuple(dict.fromkeys(grants)), changed=_stamp())}
    return _change(Path(path), apply, "user_role", name, f"role={role} grants={','.join(grants) or '-'}")


def set_scopes(path: str | Path, name: str, scopes: tuple[str, ...]) -> Change:
    """Limit ``name`` to ``scopes`` (none: the whole district again); its sessions end."""
    scopes = check_scopes(scopes)

    def apply(users: dict[str, User]) -> dict[str, User]:
        user = _existing(users, name)
        return {**users, name: replace(user, scopes=scopes, changed=_stamp())}
    return _change(Path(path), apply, "user_scope", name, f"scopes={';'.join(scopes) or '-'}")


def undo(path: str | Path, change: Change) -> None:
    """Put the users file back as it was before ``change`` (its audit entry could not be written)."""
    path = Path(path)
    with _locked(path):
        if change.before is None:
            path.unlink(missing_ok=True)
        else:
            write_private(path, change.before)


def listing(path: str | Path, now: float) -> list[dict[str, str]]:
    """One row per account: name, role, grants, status (active / disabled / locked until …)."""
    rows = []
    for name, user in sorted(read_users(path).items()):
        tries = attempts_for(path, name)
        if user.disabled:
            status = "disabled"
        elif tries.locked(now):
            status = "locked until " + datetime.fromtimestamp(tries.locked_until).strftime("%Y-%m-%d %H:%M")
        else:
            status = "active"
        rows.append({"name": name, "role": user.role, "grants": ",".join(user.grants) or "-", "status": status,
                     "created": user.created, "changed": user.changed, "scopes": ";".join(user.scopes) or "-"})
    return rows


# ---------------------------------------------------------------- command line
def read_password(stdin=None) -> str:  # noqa: ANN001 - a text stream
    """The password: standard input's first line when it is not a terminal, else asked twice."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        line = stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise UsersError("标准输入的第一行没有密码 (no password on the first line of standard input)")
        return password
    first = getpass.getpass("密码 Password: ")
    if getpass.getpass("再输入一次 Again: ") != first:
        raise UsersError("两次输入的密码不一致 (the two passwords differ)")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.users",
        description="管理看板用户 (manage the dashboard's users) in the file DASHBOARD_USERS names. "
                    "Passwords are read from standard input (first line) or asked for, never from arguments.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a user (password from stdin or asked)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--grant", action="append", default=[], choices=GRANTS,
                     help="pii: may see personal data (analyst and admin only)")
    add.add_argument("--scope", action="append", default=[], metavar="street:<name>|zone:<zone_id>",
                     help="limit the user to this street or zone (repeatable; none: the whole district)")
    for verb, text in (("passwd", "set a new password (also clears a lock)"), ("disable", "disable a user"),
                       ("enable", "enable a disabled user again")):
        sub.add_parser(verb, help=text).add_argument("name")
    role = sub.add_parser("role", help="give a user another role and grants")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--grant", action="append", default=[], choices=GRANTS)
    scope = sub.add_parser("scope", help="set a user's scopes (none given: the whole district again)")
    scope.add_argument("name")
    scope.add_argument("--scope", action="append", default=[], metavar="street:<name>|zone:<zone_id>")
    sub.add_parser("list", help="list users (never their hashes)")
    display = sub.add_parser("display", help="display links for wall screens (the meeting page, no password)")
    verbs = display.add_subparsers(dest="display_command", required=True)
    d_add = verbs.add_parser("add", help="make a display link and print its URL (shown once)")
    d_add.add_argument("label")
    d_add.add_argument("--zone", help="the zone the meeting opens on")
    d_add.add_argument("--expires", type=float, metavar="DAYS", help="the link stops working after DAYS days")
    verbs.add_parser("list", help="list display links (never their tokens)")
    verbs.add_parser("revoke", help="end a display link").add_argument("label")
    return parser


def _audit(change: Change) -> None:
    """Write the change to the store's audit log (raises :class:`dashboard.security.audit.AuditError`)."""
    from dashboard.config import load_settings
    from dashboard.security import audit
    actor = f"cli:{getpass.getuser()}"
    audit.log_for_settings(load_settings()).record(audit.Entry(
        event=change.event, user=actor, subject=change.name, detail=change.detail, client="command line"))


# the changes that end the account's lasting sessions at once
ENDS_SESSIONS = {"user_passwd", "user_disable", "user_role", "user_scope"}


def _end_sessions(change: Change) -> None:
    """End the changed account's open sessions in the session file, and record how many."""
    from dashboard.config import load_settings
    from dashboard.security import audit, session_store
    settings = load_settings()
    try:
        ended = session_store.store_for_settings(settings).end_user(change.name, session_store.ACCOUNT_CHANGED)
    except (session_store.SessionStoreError, DashboardError) as exc:
        print(f"warning: {exc} (the sessions end at their next click instead)", file=sys.stderr)
        return
    if ended:
        audit.log_for_settings(settings).record(audit.Entry(
            event="session_end", user=f"cli:{getpass.getuser()}", subject=change.name, client="command line",
            detail=f"{ended} session(s) ended: {change.event}"))
        print(f"session_end {change.name}: {ended} session(s) ended")


def _display(args: argparse.Namespace, path: str, now: float) -> int:
    """``display add | list | revoke``: the display links beside the users file."""
    from dashboard.config import load_settings
    from dashboard.security import audit, displays
    settings = load_settings()
    if args.display_command == "list":
        rows = displays.listing(path, now)
        if not rows:
            print(f"{displays.path_for(path)}: 没有显示链接 (no display links)")
        for row in rows:
            print(f"{row['label']}\t{row['zone']}\t{row['created']}\t{row['expires']}\t{row['status']}")
        return 0
    actor = f"cli:{getpass.getuser()}"
    if args.display_command == "add":
        token = displays.add(path, args.label, args.zone, args.expires, now)
        detail = f"zone={args.zone or '-'} expires={args.expires if args.expires is not None else '-'} days"
        event = "display_add"
    else:
        displays.revoke(path, args.label, now)
        token, detail, event = None, "revoked", "display_revoke"
    try:
        audit.log_for_settings(settings).record(audit.Entry(event=event, user=actor, subject=args.label,
                                                            detail=detail, client="command line"))
    except audit.AuditError as exc:
        if token is not None:   # an unrecorded link must not work
            displays.revoke(path, args.label, now)
        raise UsersError(f"审计日志无法写入 (the audit log could not be written): {exc}"
                         + ("; 链接已撤销 (the link was revoked)" if token else "")) from exc
    if token is None:
        print(f"{event} {args.label} ({displays.path_for(path)})")
    else:
        print(displays.link(settings.public_url, token, args.zone))
        print(f"{event} {args.label}: {detail}; 链接只显示这一次 (the link is shown only this once)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None, stdin=None, now: float | None = None) -> int:  # noqa: ANN001
    """Run the command line; 0 when done, 2 with a message when refused."""
    import time

    from dashboard.security.audit import AuditError

    args = _parser().parse_args(argv)
    path = os.environ.get("DASHBOARD_USERS", "").strip()
    try:
        if not path:
            raise UsersError("未设置 DASHBOARD_USERS：请指定用户文件 (set DASHBOARD_USERS to the users file, "
                             "e.g. DASHBOARD_USERS=/etc/fengtai/users.json)")
        if args.command == "list":
            rows = listing(path, time.time() if now is None else now)
            if not rows:
                print(f"{path}: 没有用户 (no users)")
            for row in rows:
                print(f"{row['name']}\t{row['role']}\t{row['grants']}\t{row['status']}\t{row['scopes']}")
            return 0
        if args.command == "display":
            return _display(args, path, time.time() if now is None else now)
        if args.command == "add":
            change = add_user(path, args.name, args.role, tuple(args.grant), read_password(stdin), tuple(args.scope))
        elif args.command == "scope":
            change = set_scopes(path, args.name, tuple(args.scope))
        elif args.command == "passwd":
            if args.name not in read_users(path):
                raise UsersError(f"用户 {args.name} 不存在 (no such user)")
            change = set_password(path, args.name, read_password(stdin))
        elif args.command == "role":
            change = set_role(path, args.name, args.role, tuple(args.grant))
        else:
            change = set_disabled(path, args.name, args.command == "disable")
        try:
            _audit(change)
        except AuditError as exc:
            undo(path, change)
            raise UsersError(f"审计日志无法写入，修改已撤销 (the audit log could not be written; the change "
                             f"was undone): {exc}") from exc
        if change.event in ENDS_SESSIONS:
            _end_sessions(change)
    except (UsersError, DashboardError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{change.event} {change.name}: {change.detail} ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
