"""Who may see what: the one place a role check goes.

The rules of the data contract and of the access-control issue, as plain tables:

- no users configured (``DASHBOARD_USERS`` unset): the bundled sample only, to anyone, as the
  ``open`` viewer; any other store is refused unless ``DASHBOARD_AUTH=none`` opens it on purpose;
- a users file configured: any store, but only to people who signed in, each with one role:

  ========  ==========================================  ======================  ===============
  role      pages                                       downloads               personal data
  ========  ==========================================  ======================  ===============
  leader    overview, zone, projects, quality (meeting)  —                       —
  planner   the same + downloads                        the projects layer      —
  analyst   the same + downloads                        every layer             with ``pii``
  admin     the same + downloads, audit and users       every layer             with ``pii``
  ========  ==========================================  ======================  ===============

- personal data (``loaders.schema.PERSONAL_COLUMNS``) is *masked* (张*, 138****0000) for a
  signed-in viewer without the ``pii`` grant, shown in full with it, and left out entirely
  for the ``open`` viewer (no one could be granted it).

Which roles may open a page is declared with the page (:data:`dashboard.web.pages.PAGES`), so a
new page is one line there; this module answers for a viewer and a page's roles.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from dashboard.config import DashboardError, Settings
from dashboard.security import scope as scope_rules
from loaders.schema import PERSONAL_COLUMNS
from loaders.store import redact_target

# ---------------------------------------------------------------- roles and what each may do
ROLES: tuple[str, ...] = ("leader", "planner", "analyst", "admin")   # what the users file may say
GRANTS: tuple[str, ...] = ("pii",)
OPEN = "open"   # the viewer when no sign-in is configured (sample only, or DASHBOARD_AUTH=none)
DISPLAY = "display"   # a wall screen's display link (dashboard.security.displays): the meeting page only

EVERYONE: frozenset[str] = frozenset({*ROLES, OPEN})
DOWNLOADERS: frozenset[str] = frozenset({"planner", "analyst", "admin", OPEN})
ADMINS: frozenset[str] = frozenset({"admin"})
MEETING_VIEWERS: frozenset[str] = EVERYONE | {DISPLAY}   # a display link opens the meeting, nothing else
PII_ROLES: frozenset[str] = frozenset({"analyst", "admin"})   # the roles the pii grant works for

EVERY_LAYER = "*"
# What each role may download: layer and table names (and "rejects", the build report's list).
DOWNLOADS: dict[str, frozenset[str]] = {
    "leader": frozenset({"brief"}),             # the zone brief / district deck: figures only
    "planner": frozenset({"projects", "brief"}),
    "analyst": frozenset({EVERY_LAYER}),
    "admin": frozenset({EVERY_LAYER}),
    OPEN: frozenset({EVERY_LAYER}),
}

# What a personal value becomes for a viewer who may not see it (by column; others: fully masked).
PERSONAL_FULL, PERSONAL_MASKED, PERSONAL_OMITTED, PERSONAL_NONE = "full", "masked", "omitted", "none"


class AccessError(DashboardError):
    """The configuration does not allow serving this store."""


# ---------------------------------------------------------------- scopes (enforced by dashboard.security.scope)
SCOPE_KINDS: tuple[str, ...] = ("street", "zone")


def parse_scope(scope: str) -> tuple[str, str]:
    """``street:<name>`` / ``zone:<zone_id>`` as ``(kind, value)``; ``ValueError`` for anything else
    (the one form: :func:`dashboard.security.scope.check`)."""
    kind, _, value = scope_rules.check(scope if isinstance(scope, str) else "").partition(":")
    return kind, value


@dataclass(frozen=True)
class Viewer:
    """The person looking at the dashboard in this session.

    ``role`` None is nobody: no page, no layer, no personal data (the safe default before
    sign-in). The ``open`` role is everyone when no sign-in is configured.
    """

    name: str = "anonymous"
    role: str | None = None
    grants: frozenset[str] = field(default_factory=frozenset)
    signed_in: bool = False
    scopes: tuple[str, ...] = ()      # "street:<name>" / "zone:<zone_id>"; none: the whole district
    display: str | None = None        # the label of the display link this viewer came by

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", tuple(":".join(parse_scope(s)) for s in self.scopes))

    def can_see_personal_data(self) -> bool:
        """Personal data in full needs the ``pii`` grant on a role it works for (analyst, admin)."""
        return self.role in PII_ROLES and "pii" in self.grants and self.display is None

    @property
    def personal(self) -> str:
        """``full``, ``masked`` (signed in, no grant) or ``omitted`` (nobody signed in, or a display link)."""
        if self.can_see_personal_data():
            return PERSONAL_FULL
        return PERSONAL_MASKED if self.signed_in and self.display is None else PERSONAL_OMITTED


OPEN_VIEWER = Viewer(name="anonymous", role=OPEN)
VIEWER_KEY = "_viewer"   # session state: the Viewer of this run, set by dashboard.security.sessions on every run


def may_open(viewer: Viewer, roles: Iterable[str]) -> bool:
    """True when ``viewer`` may open a page that ``roles`` may open."""
    return viewer.role is not None and viewer.role in set(roles)


def may_download(viewer: Viewer, layer: str) -> bool:
    """True when ``viewer`` may download ``layer`` (a layer, a stats table or ``rejects``)."""
    allowed = DOWNLOADS.get(viewer.role or "", frozenset())
    return EVERY_LAYER in allowed or layer in allowed


def personal_state(viewer: Viewer, layer: str) -> str:
    """What ``layer``'s personal columns are for ``viewer``: ``none`` when it has none."""
    return viewer.personal if PERSONAL_COLUMNS.get(layer) else PERSONAL_NONE


# ---------------------------------------------------------------- which store
@dataclass(frozen=True)
class StoreChoice:
    """The store this process serves, and whether it is the bundled sample."""

    target: str
    is_bundled_sample: bool


def _same_target(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a == b
    return os.path.realpath(a) == os.path.realpath(b)


def choose_store(settings: Settings, sample_path: str) -> StoreChoice:
    """Decide which store to serve, or raise :class:`AccessError` saying how to proceed.

    ``sample_path`` is the bundled sample store's path (``loaders.store.default_store_path``).
    Pure: it names the store, it does not open it (the sign-in runs before any store access).
    """
    target = settings.store or sample_path
    is_sample = _same_target(target, sample_path)
    if settings.open_access or settings.users is not None:
        # Open on purpose, or every page asks to sign in first (dashboard.security.sessions).
        return StoreChoice(target, is_sample)
    if not is_sample:
        shown = redact_target(target)
        raise AccessError(
            f"未配置用户 (DASHBOARD_USERS)，只能提供内置示例数据；拒绝打开数据库 {shown!r}。"
            "请用 python -m dashboard.users 创建用户并设置 DASHBOARD_USERS；"
            "如确需在单人分析机上开放访问，请设置 DASHBOARD_AUTH=none。"
            f" (No users configured: only the bundled sample is served; refusing store {shown!r}. "
            "Create users with python -m dashboard.users and set DASHBOARD_USERS, "
            "or set DASHBOARD_AUTH=none to open it on purpose.)")
    return StoreChoice(target, True)


# ---------------------------------------------------------------- personal columns
def hidden_columns(layer: str, viewer: Viewer) -> tuple[str, ...]:
    """The columns of ``layer`` that ``viewer`` may not see in full (masked or omitted)."""
    return () if viewer.can_see_personal_data() else PERSONAL_COLUMNS.get(layer, ())


def visible_columns(layer: str, columns: Iterable[str], viewer: Viewer) -> list[str]:
    """``columns`` without the ones left out for ``viewer``, order kept (masked ones stay)."""
    if viewer.personal != PERSONAL_OMITTED:
        return list(columns)
    hidden = set(hidden_columns(layer, viewer))
    return [c for c in columns if c not in hidden]


def mask_name(value: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: the first character is kept."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_phone(value: str) -> str:
    """``13812340000`` → ``138****0000``; a short number keeps only its last two characters."""
    text = value.strip()
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * max(len(text) - 2, 1) + text[-2:] if text else text


def mask_text(value: str) -> str:
    """Any other personal free text: nothing of it is kept."""
    return "***" if value else value


MASKS = {"contact_person": mask_name, "contact_phone": mask_phone}


def mask_personal(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """A copy of ``frame`` with ``layer``'s personal columns masked (missing values stay missing)."""
    out = frame.copy()
    for column in PERSONAL_COLUMNS.get(layer, ()):
        if column in out.columns:
            mask = MASKS.get(column, mask_text)
            series = out[column]
            masked = pd.Series([None if pd.isna(v) else mask(str(v)) for v in series], index=out.index, dtype=object)
            out[column] = masked.astype(series.dtype) if pd.api.types.is_string_dtype(series.dtype) else masked
    return out


def for_viewer(frame: pd.DataFrame, layer: str, personal: str) -> pd.DataFrame:
    """``frame`` as a viewer whose personal state is ``personal`` may see it (full, masked, omitted)."""
    if personal == PERSONAL_FULL or not PERSONAL_COLUMNS.get(layer):
        return frame
    if personal == PERSONAL_MASKED:
        return mask_personal(frame, layer)
    return frame.drop(columns=[c for c in PERSONAL_COLUMNS[layer] if c in frame.columns])


def mask_rejects(rejects: list, personal: str) -> list:
    """The build report's rejected rows with a personal column's ``value`` masked (or blanked
    when omitted); the very same list when nothing needs it."""
    def personal_row(r: object) -> bool:
        return isinstance(r, dict) and r.get("column") in PERSONAL_COLUMNS.get(str(r.get("layer")), ())
    if personal == PERSONAL_FULL or not any(personal_row(r) for r in rejects):
        return rejects
    out = []
    for r in rejects:
        if personal_row(r) and r.get("value") not in (None, ""):
            value = MASKS.get(r["column"], mask_text)(str(r["value"])) if personal == PERSONAL_MASKED else "***"
            r = {**r, "value": value}
        out.append(r)
    return out
