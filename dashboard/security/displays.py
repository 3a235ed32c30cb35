"""Display links: a wall screen opens ``/meeting`` read-only with a secret in its URL, no password.

``python -m dashboard.users display add LABEL [--zone Z] [--expires DAYS]`` makes a token of
32 random bytes and prints ``<DASHBOARD_PUBLIC_URL>/meeting?display=<token>[&zone=Z]``. Only
the token's SHA-256 is kept, beside the users file in ``<users file>.displays.json`` (0600,
written atomically, changed only by this command)::

    {"format": "fengtai-dashboard-displays/1",
     "displays": {"会议室大屏": {"token_sha256": "…", "zone": "lize", "created": 1796000000.0,
                                "expires": 1798592000.0, "revoked": null}}}

``display list`` shows them (never a token), ``display revoke LABEL`` ends one: an open screen
falls back to the sign-in form at its next check (within half a minute). A display viewer may
open the meeting page only, downloads nothing and sees no personal data (see
:mod:`dashboard.security.access`). Pure of Streamlit.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from dashboard.config import DashboardError
from dashboard.security.files import locked as _locked
from dashboard.security.files import write_private
from dashboard.security.scope import ZONE_ID_PATTERN
from dashboard.security.session_store import token_hash

FORMAT = "fengtai-dashboard-displays/1"
SUFFIX = ".displays.json"
LABEL_PATTERN = re.compile(r"^[\w.@ -]{1,64}$")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


# what a token check finds
OK, MALFORMED, UNKNOWN, REVOKED, EXPIRED = "ok", "malformed", "unknown", "revoked", "expired"


class DisplayError(DashboardError):
    """A display-link change was refused (the message says why)."""


@dataclass(frozen=True)
class Display:
    """One display link (its token is never kept, only its hash)."""

    label: str
    token_sha256: str
    zone: str | None = None
    created: float = 0.0
    expires: float | None = None
    revoked: float | None = None

    def status(self, at: float) -> str:
        if self.revoked is not None:
            return REVOKED
        if self.expires is not None and at >= self.expires:
            return EXPIRED
        return OK


def path_for(users_path: str | Path) -> Path:
    """The display file beside the users file."""
    return Path(str(users_path) + SUFFIX)


def read_displays(users_path: str | Path) -> dict[str, Display]:
    """The display links (none when the file does not exist yet; a damaged file: none, so it opens nothing)."""
    path = path_for(users_path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("displays"), dict):
        return {}
    out = {}
    for label, entry in raw["displays"].items():
        if isinstance(entry, dict) and isinstance(entry.get("token_sha256"), str):
            out[label] = Display(label=label, token_sha256=entry["token_sha256"], zone=entry.get("zone"),
                                 created=float(entry.get("created") or 0), expires=_num(entry.get("expires")),
                                 revoked=_num(entry.get("revoked")))
    return out


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


_cache: dict[str, tuple[tuple[int, int, int], dict[str, Display]]] = {}


def displays_cached(users_path: str | Path) -> dict[str, Display]:
    """:func:`read_displays`, read again only when the file changed."""
    path = path_for(users_path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {}
    identity = (st.st_ino, st.st_mtime_ns, st.st_size)
    hit = _cache.get(str(path))
    if hit is None or hit[0] != identity:
        hit = (identity, read_displays(users_path))
        _cache[str(path)] = hit
    return hit[1]


def check(users_path: str | Path, token: object, at: float) -> tuple[str, Display | None]:
    """What a display token is worth: ``(ok, display)`` or ``(why not, display or None)``. Never raises."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return MALFORMED, None
    digest = token_hash(token)
    for display in displays_cached(users_path).values():
        if secrets.compare_digest(display.token_sha256, digest):
            return display.status(at), display
    return UNKNOWN, None


def _write(users_path: str | Path, displays: Mapping[str, Display]) -> None:
    body = {label: {k: v for k, v in asdict(d).items() if k != "label"} for label, d in sorted(displays.items())}
    write_private(path_for(users_path), json.dumps({"format": FORMAT, "displays": body}, ensure_ascii=False,
                                                   indent=2) + "\n")


def link(public_url: str, token: str, zone: str | None = None) -> str:
    """The URL a display opens: ``<public url>/meeting?display=<token>[&zone=<zone>]``."""
    query = {"display": token, **({"zone": zone} if zone else {})}
    return public_url.rstrip("/") + "/meeting?" + urlencode(query)


def add(users_path: str | Path, label: str, zone: str | None, expires_days: float | None, at: float) -> str:
    """A new display link's token (printed once, never kept). An active label is refused; a
    revoked or expired one is replaced."""
    if not LABEL_PATTERN.match(label or "") or label.strip() != label:
        raise DisplayError(f"显示名称 {label!r} 无效：1 到 64 个字母、数字、汉字、空格或 . _ @ - "
                         "(a label is 1 to 64 letters, digits, CJK characters, spaces or . _ @ -)")
    if zone is not None and not ZONE_ID_PATTERN.match(zone):
        raise DisplayError(f"功能区编号 {zone!r} 无效 (not a zone id)")
    if expires_days is not None and not 0 < expires_days <= 3650:
        raise DisplayError("--expires 应为 0 到 3650 之间的天数 (days, more than 0 and at most 3650)")
    token = secrets.token_urlsafe(32)
    path = path_for(users_path)
    with _locked(path):
        displays = read_displays(users_path)
        if label in displays and displays[label].status(at) == OK:
            raise DisplayError(f"显示链接 {label} 已存在 (already exists): 先 display revoke {label} (revoke it first)")
        displays[label] = Display(label, token_hash(token), zone, at,
                                  at + expires_days * 86400 if expires_days is not None else None)
        _write(users_path, displays)
    return token


def revoke(users_path: str | Path, label: str, at: float) -> Display:
    """End the display link ``label`` (kept in the list as revoked)."""
    path = path_for(users_path)
    with _locked(path):
        displays = read_displays(users_path)
        if label not in displays:
            raise DisplayError(f"显示链接 {label} 不存在 (no such display link); 用 display list 查看")
        if displays[label].revoked is not None:
            raise DisplayError(f"显示链接 {label} 已撤销 (already revoked)")
        from dataclasses import replace
        displays[label] = replace(displays[label], revoked=at)
        _write(users_path, displays)
    return displays[label]


def listing(users_path: str | Path, at: float) -> list[dict[str, str]]:
    """One row per display: label, zone, created, expires, status (never a token or its hash)."""
    def when(t: float | None) -> str:
        return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "-"
    return [{"label": d.label, "zone": d.zone or "-", "created": when(d.created), "expires": when(d.expires),
             "status": {OK: "active", REVOKED: "revoked", EXPIRED: "expired"}[d.status(at)]}
            for d in sorted(read_displays(users_path).values(), key=lambda d: d.label)]
