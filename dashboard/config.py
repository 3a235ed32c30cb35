"""One place for the dashboard's configuration, read from the environment and validated once.

Environment variables (see ``shared/spec/data-contract.md``):

- ``DASHBOARD_STORE``: a ``.gpkg`` path or ``postgresql://`` URL; unset = the bundled sample.
- ``DASHBOARD_USERS``: the users/roles file (roles and login are a later issue).
- ``DASHBOARD_AUTH``: ``none`` declares on purpose that this copy is open.
- ``DASHBOARD_BASEMAP``: ``none`` (default, offline) | ``osm`` | ``tianditu`` | ``amap``.
- ``TIANDITU_KEY``: the Tianditu browser key, required for ``tianditu``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

BASEMAP_CHOICES: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
AUTH_CHOICES: tuple[str, ...] = ("none",)


class DashboardError(Exception):
    """An error a user or operator can cause and fix; pages show it with ``st.error``."""


class ConfigError(DashboardError):
    """A configuration value is missing or not allowed."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one dashboard process."""

    store: str | None = None
    users: str | None = None
    auth: str | None = None
    basemap: str = "none"
    tianditu_key: str | None = None

    @property
    def open_access(self) -> bool:
        """True when access control is switched off on purpose (``DASHBOARD_AUTH=none``)."""
        return self.auth == "none"


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``environ`` (default: ``os.environ``).

    Raises :class:`ConfigError` naming the variable, the value received and what is allowed.
    """
    env = os.environ if environ is None else environ
    basemap = (_clean(env.get("DASHBOARD_BASEMAP")) or "none").lower()
    if basemap not in BASEMAP_CHOICES:
        raise ConfigError(f"DASHBOARD_BASEMAP={basemap!r} 不受支持 (not supported); "
                          f"可选 (allowed): {', '.join(BASEMAP_CHOICES)}")
    auth = _clean(env.get("DASHBOARD_AUTH"))
    if auth is not None:
        auth = auth.lower()
        if auth not in AUTH_CHOICES:
            raise ConfigError(f"DASHBOARD_AUTH={auth!r} 不受支持 (not supported); "
                              f"可选 (allowed): {', '.join(AUTH_CHOICES)} 或不设置 (or unset)")
    key = _clean(env.get("TIANDITU_KEY"))
    if basemap == "tianditu" and key is None:
        raise ConfigError("DASHBOARD_BASEMAP=tianditu 需要天地图密钥 (needs a key): 请设置 TIANDITU_KEY")
    return Settings(store=_clean(env.get("DASHBOARD_STORE")), users=_clean(env.get("DASHBOARD_USERS")),
                    auth=auth, basemap=basemap, tianditu_key=key)
