"""``python -m dashboard.users``: add, passwd, disable, enable, list; passwords from standard
input only; every change in the audit log, and undone when the log cannot take it."""
from __future__ import annotations

import io
import json
import stat
import subprocess
import sys

import pytest

from dashboard.security import audit, users
from dashboard.security.users import main
from tests.dashboard.conftest import REPO_ROOT


class Stdin(io.StringIO):
    """A piped standard input (not a terminal)."""

    def isatty(self) -> bool:
        return False


@pytest.fixture()
def files(tmp_path, monkeypatch):
    """DASHBOARD_USERS and DASHBOARD_STORE in a temporary folder (the store need not exist: the
    command line only names it, for its audit log beside it)."""
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.json"))
    monkeypatch.setenv("DASHBOARD_STORE", str(tmp_path / "district.gpkg"))
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    return tmp_path


def log(folder):  # noqa: ANN001, ANN201
    return audit.AuditLog(audit.target_for(str(folder / "district.gpkg"))).read()


def test_add_passwd_disable_enable_list(files, capsys):
    assert main(["add", "wang", "--role", "analyst", "--grant", "pii"], Stdin("a long passphrase 1\n")) == 0
    assert main(["add", "li", "--role", "leader"], Stdin("another long one 2\r\n")) == 0
    path = files / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    accounts = users.read_users(path)
    assert accounts["wang"].grants == ("pii",) and users.verify_password(accounts["li"], "another long one 2")
    assert main(["passwd", "li"], Stdin("a brand new secret 3\n")) == 0
    assert users.verify_password(users.read_users(path)["li"], "a brand new secret 3")
    assert main(["disable", "li"]) == 0 and users.read_users(path)["li"].disabled
    capsys.readouterr()
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "wang\tanalyst\tpii\tactive" in listed and "li\tleader\t-\tdisabled" in listed
    assert "$argon2" not in listed
    assert main(["enable", "li"]) == 0 and not users.read_users(path)["li"].disabled
    assert main(["role", "li", "--role", "analyst", "--grant", "pii"]) == 0
    assert users.read_users(path)["li"].role == "analyst" and users.read_users(path)["li"].grants == ("pii",)
    assert main(["role", "li", "--role", "planner", "--grant", "pii"]) == 2, "pii is for analysts and admins"
    entries = log(files)
    assert list(entries["event"])[::-1] == ["user_add", "user_add", "user_passwd", "user_disable", "user_enable",
                                            "user_role"]
    assert set(entries["subject"]) == {"wang", "li"} and entries["user"].str.startswith("cli:").all()
    assert not entries["detail"].str.contains("passphrase|secret").any()


@pytest.mark.parametrize("argv,stdin,message", [
    (["add", "wang", "--role", "analyst"], "short\n", "至少 10"),
    (["add", "wang", "--role", "analyst"], "1234567890\n", "常见"),
    (["add", "wang", "--role", "leader", "--grant", "pii"], "a long passphrase 1\n", "pii"),
    (["add", "wang", "--role", "analyst"], "\n", "第一行"),
    (["passwd", "nobody"], "a long passphrase 1\n", "不存在"),
    (["disable", "nobody"], "", "不存在"),
])
def test_refusals_say_why_and_change_nothing(files, capsys, argv, stdin, message):
    assert main(argv, Stdin(stdin)) == 2
    assert message in capsys.readouterr().err
    assert not (files / "users.json").exists()


def test_an_existing_name_is_refused(files, capsys):
    assert main(["add", "wang", "--role", "admin"], Stdin("a long passphrase 1\n")) == 0
    assert main(["add", "wang", "--role", "leader"], Stdin("a long passphrase 2\n")) == 2
    assert users.read_users(files / "users.json")["wang"].role == "admin"


def test_the_password_is_never_an_argument(files, capsys):
    with pytest.raises(SystemExit):
        main(["add", "wang", "--role", "admin", "--password", "a long passphrase 1"], Stdin(""))
    assert not (files / "users.json").exists()


def test_without_dashboard_users_it_says_what_to_set(files, monkeypatch, capsys):
    monkeypatch.delenv("DASHBOARD_USERS")
    assert main(["list"]) == 2 and "DASHBOARD_USERS" in capsys.readouterr().err


def test_a_change_the_audit_log_cannot_take_is_undone(files, monkeypatch, capsys):
    assert main(["add", "wang", "--role", "admin"], Stdin("a long passphrase 1\n")) == 0
    before = (files / "users.json").read_text(encoding="utf-8")
    blocker = files / "not_a_folder"
    blocker.write_text("a file where the store's folder should be", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_STORE", str(blocker / "district.gpkg"))
    assert main(["add", "li", "--role", "leader"], Stdin("another long one 2\n")) == 2
    assert "审计" in capsys.readouterr().err
    assert (files / "users.json").read_text(encoding="utf-8") == before
    assert main(["disable", "wang"]) == 2 and not users.read_users(files / "users.json")["wang"].disabled


def test_the_command_line_reads_a_piped_password(files):
    """The real ``python -m dashboard.users``: the first line of standard input is the password."""
    env_run = dict(cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    added = subprocess.run([sys.executable, "-m", "dashboard.users", "add", "zhao", "--role", "planner"],
                           input="piped passphrase 42\nignored second line\n", **env_run)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([sys.executable, "-m", "dashboard.users", "list"], **env_run)
    assert listed.returncode == 0 and "zhao\tplanner" in listed.stdout
    raw = json.loads((files / "users.json").read_text(encoding="utf-8"))
    assert users.verify_password(users.read_users(files / "users.json")["zhao"], "piped passphrase 42")
    assert "piped passphrase" not in json.dumps(raw)


# ---------------------------------------------------------------- scopes and display links
def test_scopes_are_added_changed_cleared_and_recorded(files, capsys):
    assert main(["add", "li", "--role", "leader", "--scope", "street:太平桥街道", "--scope", "zone:lize"],
                Stdin("a long passphrase 1\n")) == 0
    path = files / "users.json"
    assert users.read_users(path)["li"].scopes == ("street:太平桥街道", "zone:lize")
    assert json.loads(path.read_text(encoding="utf-8"))["users"]["li"]["scopes"] == ["street:太平桥街道", "zone:lize"]
    assert main(["scope", "li", "--scope", "zone:hexi"]) == 0
    assert users.read_users(path)["li"].scopes == ("zone:hexi",)
    capsys.readouterr()
    assert main(["list"]) == 0 and "li\tleader\t-\tactive\tzone:hexi" in capsys.readouterr().out
    assert main(["scope", "li"]) == 0 and users.read_users(path)["li"].scopes == ()
    for bad in ("town:x", "zone:", "street:", "zone:a b"):
        assert main(["scope", "li", "--scope", bad]) == 2 and "street:<" in capsys.readouterr().err
        assert main(["add", "wu", "--role", "leader", "--scope", bad], Stdin("a long passphrase 3\n")) == 2
    assert "wu" not in users.read_users(path)
    entries = log(files)
    assert list(entries["event"])[::-1] == ["user_add", "user_scope", "user_scope"]
    assert "scopes=zone:hexi" in set(entries["detail"])


def test_a_changed_account_ends_its_sessions_at_once(files, capsys):
    from dashboard.security import session_store
    assert main(["add", "li", "--role", "leader"], Stdin("a long passphrase 1\n")) == 0
    store = session_store.SessionStore(str(files / "district.gpkg") + session_store.SUFFIX)
    for argv in (["passwd", "li"], ["role", "li", "--role", "planner"], ["scope", "li", "--scope", "zone:lize"],
                 ["disable", "li"]):
        _, row = store.start("li", "stamp", "10.0.0.1")
        assert main(argv, Stdin("a brand new secret 3\n")) == 0
        assert store.get(row.id_hash).end_reason == "account_changed", argv
    assert main(["enable", "li"]) == 0
    ended = log(files)
    assert (ended["event"] == "session_end").sum() == 4 and set(ended[ended["event"] == "session_end"]["subject"]) == {"li"}


def test_display_add_list_revoke(files, capsys, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "https://gis.fengtai.example")
    assert main(["display", "add", "会议室", "--zone", "lize", "--expires", "30"]) == 0
    out = capsys.readouterr()
    link = out.out.strip()
    assert link.startswith("https://gis.fengtai.example/meeting?display=") and link.endswith("&zone=lize")
    token = link.split("display=")[1].split("&")[0]
    assert len(token) >= 43 and "只显示这一次" in out.err
    stored = (files / "users.json.displays.json").read_text(encoding="utf-8")
    assert token not in stored
    assert main(["display", "add", "会议室"]) == 2 and "已存在" in capsys.readouterr().err
    assert main(["display", "add", "bad<label>"]) == 2
    assert main(["display", "add", "x", "--zone", "no such zone!"]) == 2
    assert main(["display", "add", "x", "--expires", "0"]) == 2
    capsys.readouterr()
    assert main(["display", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("会议室\tlize\t") and listed.rstrip().endswith("active") and token not in listed
    assert main(["display", "revoke", "会议室"]) == 0
    assert main(["display", "revoke", "会议室"]) == 2
    assert main(["display", "revoke", "nobody"]) == 2
    capsys.readouterr()
    assert main(["display", "list"]) == 0 and capsys.readouterr().out.rstrip().endswith("revoked")
    entries = log(files)
    assert list(entries["event"])[::-1] == ["display_add", "display_revoke"]
    assert token not in " ".join(entries["detail"].dropna())
