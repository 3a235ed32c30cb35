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
