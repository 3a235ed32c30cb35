"""One place for the dashboard's configuration, read from the environment and validated once.

Environment variables (see ``shared/spec/data-contract.md``):

- ``DASHBOARD_STORE``: a ``.gpkg`` path or ``postgresql://`` URL; unset = the bundled sample.
- ``DASHBOARD_USERS``: the users file (:mod:`dashboard.security.users`); set, every page asks to sign in.
- ``DASHBOARD_AUTH``: ``none`` declares on purpose that this copy is open; ``header`` trusts the
  user name a single-sign-on reverse proxy passes in ``DASHBOARD_AUTH_HEADER``, only from the
  addresses in ``DASHBOARD_TRUSTED_PROXIES`` (comma list of IPs or CIDRs).
- ``DASHBOARD_IDLE_MINUTES``: a signed-in session ends after this long without use (default 30).
- ``DASHBOARD_SESSION_HOURS``: a sign-in ends this long after it began, however used (default 12).
- ``DASHBOARD_PUBLIC_URL``: the address users open, for the display links the users command
  prints (default ``http://localhost:8501``).
- ``DASHBOARD_BASEMAP``: ``none`` (default, offline) | ``osm`` | ``tianditu`` | ``amap``.
- ``TIANDITU_KEY``: the Tianditu browser key, required for ``tianditu``.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

BASEMAP_CHOICES: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
AUTH_CHOICES: tuple[str, ...] = ("none", "header")
IDLE_MINUTES_DEFAULT = 30.0
SESSION_HOURS_DEFAULT = 12.0
PUBLIC_URL_DEFAULT = "http://localhost:8501"


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
    auth_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()     # networks, as ``ipaddress.ip_network`` accepts them
    idle_minutes: float = IDLE_MINUTES_DEFAULT
    session_hours: float = SESSION_HOURS_DEFAULT
    public_url: str = PUBLIC_URL_DEFAULT

    @property
    def open_access(self) -> bool:
        """True when access control is switched off on purpose (``DASHBOARD_AUTH=none``)."""
        return self.auth == "none"

    @property
    def sign_in_required(self) -> bool:
        """True when a users file is configured and access control is not switched off."""
        return self.users is not None and not self.open_access

    @property
    def header_sign_in(self) -> bool:
        """True when a reverse proxy's header names the user (``DASHBOARD_AUTH=header``)."""
        return self.auth == "header"


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
    users = _clean(env.get("DASHBOARD_USERS"))
    header, proxies = _header_settings(env, auth, users)
    return Settings(store=_clean(env.get("DASHBOARD_STORE")), users=users, auth=auth, basemap=basemap,
                    tianditu_key=key, auth_header=header, trusted_proxies=proxies,
                    idle_minutes=_idle_minutes(env.get("DASHBOARD_IDLE_MINUTES")),
                    session_hours=_session_hours(env.get("DASHBOARD_SESSION_HOURS")),
                    public_url=_public_url(env.get("DASHBOARD_PUBLIC_URL")))


def _session_hours(value: str | None) -> float:
    return _positive_number("DASHBOARD_SESSION_HOURS", value, SESSION_HOURS_DEFAULT, 24 * 31, "小时数", "hours")


def _public_url(value: str | None) -> str:
    text = _clean(value)
    if text is None:
        return PUBLIC_URL_DEFAULT
    if not text.startswith(("http://", "https://")) or any(c in text for c in " ?#\"'<>"):
        raise ConfigError(f"DASHBOARD_PUBLIC_URL={text!r} 无效 (not valid): 需要 http:// 或 https:// 开头的地址，"
                          "不带 ? 或 # (an http:// or https:// address without ? or #)")
    return text.rstrip("/")


def _idle_minutes(value: str | None) -> float:
    return _positive_number("DASHBOARD_IDLE_MINUTES", value, IDLE_MINUTES_DEFAULT, 24 * 60, "分钟数", "minutes")


def _positive_number(name: str, value: str | None, default: float, most: int, unit_zh: str, unit_en: str) -> float:
    """The setting ``name`` as a number in (0, ``most``], ``default`` when unset; else a clear error."""
    text = _clean(value)
    if text is None:
        return default
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not 0 < number <= most:  # also refuses nan
        raise ConfigError(f"{name}={text!r} 无效 (not valid): 需要 0 到 {most} 之间的{unit_zh} "
                          f"({unit_en}, more than 0 and at most {most})")
    return number


def _header_settings(env: Mapping[str, str], auth: str | None, users: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``DASHBOARD_AUTH_HEADER`` and ``DASHBOARD_TRUSTED_PROXIES``, required and checked in header mode."""
    header = _clean(env.get("DASHBOARD_AUTH_HEADER"))
    raw = [p.strip() for p in (env.get("DASHBOARD_TRUSTED_PROXIES") or "").split(",") if p.strip()]
    if auth != "header":
        return header, ()
    if users is None:
        raise ConfigError("DASHBOARD_AUTH=header 需要用户文件 (needs the users file): 角色仍来自 DASHBOARD_USERS "
                          "(roles still come from it); 请设置 DASHBOARD_USERS")
    if header is None:
        raise ConfigError("DASHBOARD_AUTH=header 需要 DASHBOARD_AUTH_HEADER (the header the proxy sets, "
                          "e.g. X-Remote-User)")
    if not raw:
        raise ConfigError("DASHBOARD_AUTH=header 需要 DASHBOARD_TRUSTED_PROXIES (the proxy addresses, "
                          "comma-separated IPs or CIDRs, e.g. 10.0.0.5,10.1.0.0/24)")
    proxies = []
    for item in raw:
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(f"DASHBOARD_TRUSTED_PROXIES 中的 {item!r} 不是 IP 地址或网段 "
                              "(not an IP address or CIDR network)") from None
    return header, tuple(proxies)
