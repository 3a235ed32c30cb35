"""Fixtures for the dashboard tests: tiny frames built in code, and a capture of page maps.

Signing in: :data:`ACCOUNTS` (test accounts only: the app bundles none), :func:`users_file`,
:func:`store_copy` and :func:`sign_in` / :func:`run_signed_in` for AppTest runs behind the form.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

REPO_ROOT = Path(__file__).resolve().parents[2]

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture()
def tiny_projects() -> gpd.GeoDataFrame:
    """Three projects, one with an XSS name and a formula owner, one without coordinates."""
    return gpd.GeoDataFrame({
        "project_id": ["P1", "P2", "P3"], "name": [XSS, "丽泽金融中心", "无坐标项目"],
        "status": ["reserve", "under_construction", "completed"], "level": ["district", "municipal", None],
        "industry": ["finance", "digital", "other"], "investment_total": [1.5, 20.0, 3.0],
        "start_date": pd.to_datetime([None, "2022-03-01", "2019-05-01"]),
        "completion_date": pd.to_datetime([None, None, "2021-01-01"]),
        "owner_unit": ["=1+1", "+SUM(A1)", "@cmd"], "address": ["-2", "丰台区", "x"],
        "street": ["太平桥街道", "太平桥街道", "方庄街道"], "zone_ids": [",lize,", ",lize,zgc_fengtai,", ""],
        "lon": [116.30, 116.31, None], "lat": [39.85, 39.86, None],
        "zone_declared_mismatch": pd.array([False, True, None], dtype="boolean"),
    }, geometry=[Point(116.30, 39.85), Point(116.31, 39.86), None], crs="EPSG:4326")


@pytest.fixture()
def tiny_polygons() -> gpd.GeoDataFrame:
    """Two zone-like polygons, one named with an XSS probe."""
    return gpd.GeoDataFrame({"zone_id": ["lize", "hexi"], "name": [XSS, "河西地区"], "name_en": ["Lize", "Hexi"]},
                            geometry=[box(116.28, 39.84, 116.33, 39.88), box(116.10, 39.80, 116.20, 39.90)],
                            crs="EPSG:4326")


APP = str(REPO_ROOT / "dashboard" / "app.py")


def run_page(page: str, params: dict[str, str], timeout: float = 300):  # noqa: ANN201 - AppTest
    """Run the app with ``params`` in the URL and switch to ``page`` (``overview`` is the default page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"screens/{page}.py")
        at.run()
    return at


# ---------------------------------------------------------------- signing in
# name -> (role, grants, password); test accounts only.
ACCOUNTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "t_leader": ("leader", (), "leader-pass-0417"),
    "t_planner": ("planner", (), "planner-pass-0417"),
    "t_analyst": ("analyst", (), "analyst-pass-0417"),
    "t_analyst_pii": ("analyst", ("pii",), "analyst-pii-0417"),
    "t_admin": ("admin", ("pii",), "admin-pass-0417"),
    "t_locked": ("leader", (), "lockout-pass-0417"),
}
ROLE_ACCOUNT = {"leader": "t_leader", "planner": "t_planner", "analyst": "t_analyst", "admin": "t_admin"}


def users_file(path: Path, accounts: dict[str, tuple[str, tuple[str, ...], str]] = ACCOUNTS) -> Path:
    """A users file holding ``accounts``, written by ``dashboard.users`` (argon2id hashes, 0600)."""
    from dashboard.security.users import add_user
    for name, (role, grants, password) in accounts.items():
        add_user(path, name, role, grants, password)
    return path


def store_copy(folder: Path) -> Path:
    """A copy of the bundled sample store (its audit log then lives in ``folder``, not in data/)."""
    from loaders.build import ensure_sample_store
    from loaders.store import default_store_path
    ensure_sample_store()
    target = folder / "district.gpkg"
    shutil.copyfile(default_store_path(), target)
    return target


def sign_in(at, user: str, password: str | None = None):  # noqa: ANN001, ANN201 - AppTest
    """Fill the sign-in form of ``at`` and submit it (the run follows)."""
    from dashboard.security.sessions import SIGNIN_PASSWORD, SIGNIN_USER
    at.text_input(key=SIGNIN_USER).input(user)
    at.text_input(key=SIGNIN_PASSWORD).input(ACCOUNTS[user][2] if password is None else password)
    next(b for b in at.button if b.label in ("登录", "Sign in")).click()
    at.run()
    return at


def run_signed_in(page: str, params: dict[str, str], user: str, timeout: float = 300):  # noqa: ANN201 - AppTest
    """Sign in as ``user`` on a fresh session, then open ``page`` with ``params`` in the URL."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    sign_in(at, user)
    if page != "overview":
        at.switch_page(f"screens/{page}.py")
        at.run()
    return at
