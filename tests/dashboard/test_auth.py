"""Signing in, decided in pure functions: the trusted header, the settings, the users file,
failed-attempt counting, the role tables and the masks (no Streamlit run here)."""
from __future__ import annotations

import json
import stat

import pandas as pd
import pytest

from dashboard.config import ConfigError, load_settings
from dashboard.security import access, users
from dashboard.security.access import Viewer, for_viewer, mask_name, mask_phone, may_download, may_open
from dashboard.security.sessions import header_identity, is_trusted
from dashboard.security.users import UsersError
from dashboard.web.pages import BY_KEY


class Headers(dict):
    """A stand-in for ``st.context.headers`` (case-insensitive, repeated headers kept)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pairs = pairs
        for k, v in pairs:
            self.setdefault(k.lower(), v)

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k.lower() == key.lower()]


PROXIES = ("10.0.0.5/32", "10.1.0.0/24")


@pytest.mark.parametrize("ip,expected", [("10.0.0.5", ("wang", "ok")), ("10.1.0.77", ("wang", "ok")),
                                         ("10.0.0.6", (None, "untrusted")), (None, (None, "untrusted")),
                                         ("192.0.2.1", (None, "untrusted")), ("not an ip", (None, "untrusted"))])
def test_the_header_is_trusted_only_from_a_configured_proxy(ip, expected):
    assert header_identity(Headers([("X-Remote-User", "wang")]), ip, "X-Remote-User", PROXIES) == expected


def test_header_absent_repeated_or_not_a_name():
    assert header_identity(Headers([]), "10.0.0.5", "X-Remote-User", PROXIES) == (None, "absent")
    twice = Headers([("X-Remote-User", "wang"), ("x-remote-user", "admin")])
    assert header_identity(twice, "10.0.0.5", "X-Remote-User", PROXIES) == (None, "invalid")
    assert header_identity(Headers([("X-Remote-User", "a b<c>")]), "10.0.0.5", "X-Remote-User", PROXIES)[0] is None
    assert header_identity(None, "10.0.0.5", "X-Remote-User", PROXIES) == (None, "absent")


def test_loopback_is_trusted_only_when_listed():
    assert is_trusted(None, ("127.0.0.1/32",)) and is_trusted("::ffff:127.0.0.1", ("127.0.0.0/8",))
    assert not is_trusted(None, PROXIES)


def test_header_mode_settings_are_checked_once():
    base = {"DASHBOARD_AUTH": "header", "DASHBOARD_USERS": "u.json", "DASHBOARD_AUTH_HEADER": "X-Remote-User"}
    settings = load_settings({**base, "DASHBOARD_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/24"})
    assert settings.header_sign_in and settings.sign_in_required
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/24")
    for missing in ("DASHBOARD_USERS", "DASHBOARD_AUTH_HEADER"):
        with pytest.raises(ConfigError, match=missing):
            load_settings({**{k: v for k, v in base.items() if k != missing}, "DASHBOARD_TRUSTED_PROXIES": "10.0.0.5"})
    with pytest.raises(ConfigError, match="DASHBOARD_TRUSTED_PROXIES"):
        load_settings(base)
    with pytest.raises(ConfigError, match="proxy.example"):
        load_settings({**base, "DASHBOARD_TRUSTED_PROXIES": "proxy.example"})


@pytest.mark.parametrize("value,ok", [("30", 30.0), ("0.5", 0.5), ("0", None), ("-3", None), ("soon", None),
                                      ("nan", None), ("99999", None)])
def test_idle_minutes(value, ok):
    if ok is None:
        with pytest.raises(ConfigError, match="DASHBOARD_IDLE_MINUTES"):
            load_settings({"DASHBOARD_IDLE_MINUTES": value})
    else:
        assert load_settings({"DASHBOARD_IDLE_MINUTES": value}).idle_minutes == ok
    assert load_settings({}).idle_minutes == 30


def test_open_access_wins_over_a_users_file():
    settings = load_settings({"DASHBOARD_AUTH": "none", "DASHBOARD_USERS": "u.json"})
    assert settings.open_access and not settings.sign_in_required


# ---------------------------------------------------------------- roles (the table)
PAGE_TABLE = {   # role -> pages it may open (meeting joins "overview, zone, projects" once it exists)
    "leader": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting"},
    "planner": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "analyst": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "admin": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads", "audit"},
}


@pytest.mark.parametrize("role", list(PAGE_TABLE))
def test_pages_per_role(role):
    viewer = Viewer(name="x", role=role, signed_in=True)
    assert {key for key, spec in BY_KEY.items() if may_open(viewer, spec.roles)} == PAGE_TABLE[role] & set(BY_KEY)


def test_nobody_opens_nothing_and_the_open_viewer_keeps_todays_pages():
    assert not any(may_open(Viewer(), spec.roles) for spec in BY_KEY.values())
    assert {k for k, s in BY_KEY.items() if may_open(access.OPEN_VIEWER, s.roles)} == set(BY_KEY) - {"audit"}


def test_downloads_per_role():
    layers = ["projects", "enterprises", "hotline", "zone_stats", "rejects"]
    table = {role: [layer for layer in layers if may_download(Viewer(role=role), layer)] for role in access.ROLES}
    assert table == {"leader": [], "planner": ["projects"], "analyst": layers, "admin": layers}
    assert not may_download(Viewer(), "projects")


def test_pii_grant_works_for_analyst_and_admin_only():
    pii = frozenset({"pii"})
    assert Viewer(role="analyst", grants=pii, signed_in=True).personal == "full"
    assert Viewer(role="admin", grants=pii, signed_in=True).personal == "full"
    assert Viewer(role="analyst", signed_in=True).personal == "masked"
    assert Viewer(role="leader", grants=pii, signed_in=True).personal == "masked"
    assert access.OPEN_VIEWER.personal == "omitted" and Viewer().personal == "omitted"


# ---------------------------------------------------------------- masks
@pytest.mark.parametrize("value,masked", [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", "")])
def test_mask_name(value, masked):
    assert mask_name(value) == masked


@pytest.mark.parametrize("value,masked", [("13812340000", "138****0000"), ("010-63801234", "010*****1234"),
                                          ("12345", "***45")])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_the_data_door_masks_omits_or_keeps():
    frame = pd.DataFrame({"uscc": ["1", "2"], "contact_person": pd.array(["张三", None], dtype="string"),
                          "contact_phone": pd.array(["13812340000", "13900001111"], dtype="string")})
    masked = for_viewer(frame, "enterprises", "masked")
    assert masked["contact_person"].tolist()[0] == "张*" and pd.isna(masked["contact_person"].iloc[1])
    assert masked["contact_phone"].tolist() == ["138****0000", "139****1111"]
    assert masked["contact_phone"].dtype == frame["contact_phone"].dtype
    assert frame["contact_phone"].iloc[0] == "13812340000"   # the shared frame is never changed
    assert list(for_viewer(frame, "enterprises", "omitted").columns) == ["uscc"]
    assert for_viewer(frame, "enterprises", "full") is frame
    assert for_viewer(frame, "projects", "masked") is frame


def test_rejected_personal_values_are_masked_too():
    rejects = [{"layer": "enterprises", "column": "contact_phone", "value": "13812340000", "reason": "x"},
               {"layer": "projects", "column": "name", "value": "张三大厦", "reason": "y"}]
    assert access.mask_rejects(rejects, "masked")[0]["value"] == "138****0000"
    assert access.mask_rejects(rejects, "masked")[1]["value"] == "张三大厦"
    assert access.mask_rejects(rejects, "omitted")[0]["value"] == "***"
    assert access.mask_rejects(rejects, "full") is rejects


# ---------------------------------------------------------------- the users file
def test_users_file_is_private_json_with_argon2id_hashes(tmp_path):
    path = tmp_path / "conf" / "users.anything"
    users.add_user(path, "wang", "admin", ("pii",), "long enough passphrase")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = json.loads(path.read_text(encoding="utf-8"))
    entry = raw["users"]["wang"]
    assert raw["format"] == users.FORMAT and entry["role"] == "admin" and entry["grants"] == ["pii"]
    assert entry["password"].startswith("$argon2id$") and "long enough" not in path.read_text(encoding="utf-8")
    account = users.read_users(path)["wang"]
    assert users.verify_password(account, "long enough passphrase")
    assert not users.verify_password(account, "long enough passphras")
    assert not users.verify_password(None, "long enough passphrase")
    assert not list(path.parent.glob(".users.anything.*.tmp")), "the temporary file was left behind"


@pytest.mark.parametrize("password", ["short1!", "1234567890", "Password123", "qwertyuiop", "aaaaaaaaaaaa",
                                      "my-wang-password"])
def test_weak_passwords_are_refused(tmp_path, password):
    with pytest.raises(UsersError):
        users.add_user(tmp_path / "u.json", "wang", "leader", (), password)
    assert not (tmp_path / "u.json").exists()


@pytest.mark.parametrize("role,grants", [("boss", ()), ("leader", ("pii",)), ("planner", ("pii",)),
                                         ("analyst", ("root",))])
def test_roles_and_grants_are_checked(tmp_path, role, grants):
    with pytest.raises(UsersError):
        users.add_user(tmp_path / "u.json", "wang", role, grants, "long enough passphrase")


def test_a_disabled_user_cannot_sign_in(tmp_path):
    path = tmp_path / "u.json"
    users.add_user(path, "wang", "leader", (), "long enough passphrase")
    users.set_disabled(path, "wang", True)
    assert not users.verify_password(users.read_users(path)["wang"], "long enough passphrase")


def test_failures_slow_then_lock_for_15_minutes_and_are_kept_in_a_file(tmp_path):
    path, t = tmp_path / "u.json", 1_000_000.0
    delays = []
    for i in range(users.LOCK_AFTER):
        before = users.attempts_for(path, "wang")
        delays.append(before.delay())
        after = users.record_failure(path, "wang", t + i)
    assert delays == [0, 0, 1, 2, 4]
    assert after.locked(t + 10) and after.locked(t + 4 + 15 * 60 - 1) and not after.locked(t + 4 + 15 * 60 + 1)
    assert users.attempts_for(path, "wang").locked(t + 10), "a new process reads the lock from the file"
    assert stat.S_IMODE(users.attempts_path(path).stat().st_mode) == 0o600
    # after the lock, a failure starts a new count; a success clears it
    assert users.record_failure(path, "wang", t + 20 * 60).failures == 1
    users.record_success(path, "wang")
    assert users.attempts_for(path, "wang").failures == 0
