"""Who may see what: the one place a role check goes.

Roles and login are a later issue. Today the rules of the data contract hold:

- no users configured (``DASHBOARD_USERS`` unset): serve the bundled sample only;
- any other store is refused unless ``DASHBOARD_AUTH=none`` opens it on purpose;
- personal data (``loaders.schema.PERSONAL_COLUMNS``) is shown to no one, since no role
  that may see it can be configured yet.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.config import DashboardError, Settings
from loaders.schema import PERSONAL_COLUMNS
from loaders.store import redact_target


class AccessError(DashboardError):
    """The configuration does not allow serving this store."""


@dataclass(frozen=True)
class Viewer:
    """The person looking at the dashboard. Without roles everyone is the anonymous viewer."""

    name: str = "anonymous"
    roles: tuple[str, ...] = ()

    def can_see_personal_data(self) -> bool:
        """Personal data needs a role allowed to see it; none can be configured yet."""
        return False


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
    """
    target = settings.store or sample_path
    is_sample = _same_target(target, sample_path)
    if settings.open_access:
        return StoreChoice(target, is_sample)
    if settings.users is not None:
        raise AccessError(
            "已配置 DASHBOARD_USERS，但本版本尚未实现登录与角色，无法按角色控制访问。"
            "请取消 DASHBOARD_USERS 以使用示例数据，或在单人分析机上设置 DASHBOARD_AUTH=none 明确开放访问。"
            " (DASHBOARD_USERS is set but login and roles are not implemented yet: unset it to serve "
            "the sample, or set DASHBOARD_AUTH=none to open this copy on purpose.)")
    if not is_sample:
        shown = redact_target(target)
        raise AccessError(
            f"未配置用户 (DASHBOARD_USERS)，只能提供内置示例数据；拒绝打开数据库 {shown!r}。"
            "如确需在单人分析机上开放访问，请设置 DASHBOARD_AUTH=none。"
            f" (No users configured: only the bundled sample is served; refusing store {shown!r}. "
            "Set DASHBOARD_AUTH=none to open it on purpose.)")
    return StoreChoice(target, True)


def hidden_columns(layer: str, viewer: Viewer) -> tuple[str, ...]:
    """The columns of ``layer`` that ``viewer`` may not see."""
    return () if viewer.can_see_personal_data() else PERSONAL_COLUMNS.get(layer, ())


def visible_columns(layer: str, columns: Iterable[str], viewer: Viewer) -> list[str]:
    """``columns`` without the ones ``viewer`` may not see, order kept."""
    hidden = set(hidden_columns(layer, viewer))
    return [c for c in columns if c not in hidden]


def current_viewer() -> Viewer:
    """The viewer of this session (one anonymous viewer until login exists)."""
    return Viewer()
