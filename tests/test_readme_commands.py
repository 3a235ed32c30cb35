"""Every command the README gives is run here, so none can rot unnoticed.

``bash scripts/dev.sh test`` is this suite itself; the others run for real on small inputs:
the benchmark at its tiny scale, the build command on the test fixtures, and the run command
until the dashboard answers its health check. A README command with no smoke test here fails.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# The README command (its first words, placeholders as written) -> the test that runs it.
SMOKED = {
    "bash scripts/dev.sh run": "test_run_command_serves_the_dashboard",
    "bash scripts/dev.sh test": "(this suite)",
    "bash scripts/dev.sh bench": "test_benchmark_runs_at_tiny_scale",
    "bash scripts/dev.sh serve": "tests/e2e/test_nginx_deploy.py::test_sessions_spread_over_both_processes_and_stay_on_theirs",
    "python -m loaders build": "test_build_command_on_the_fixtures",
    "python -m streamlit run dashboard/app.py": "test_run_command_serves_the_dashboard",
    "python -m dashboard.users": "tests/dashboard/test_users_cli.py::test_the_command_line_reads_a_piped_password",
    "python -m dashboard.users add": "tests/dashboard/test_users_cli.py::test_the_command_line_reads_a_piped_password",
    "python -m dashboard.users passwd": "tests/dashboard/test_users_cli.py::test_add_passwd_disable_enable_list",
    "python -m dashboard.users disable": "tests/dashboard/test_users_cli.py::test_add_passwd_disable_enable_list",
    "python -m dashboard.users role": "tests/dashboard/test_users_cli.py::test_add_passwd_disable_enable_list",
    "python -m dashboard.users list": "tests/dashboard/test_users_cli.py::test_the_command_line_reads_a_piped_password",
    "python -m dashboard.users scope": "tests/dashboard/test_users_cli.py::test_scopes_are_added_changed_cleared_and_recorded",
    "python -m dashboard.users display": "tests/dashboard/test_users_cli.py::test_display_add_list_revoke",
    "python -m dashboard.brief --store": "tests/dashboard/test_brief.py::test_command_line_writes_the_pdf_without_streamlit",
    "python -m scripts.bench.meeting --bench": "test_meeting_benchmark_runs",
    "python -m scripts.bench.load": "test_load_test_command_starts",
    "python -m loaders history": "tests/loaders/test_change.py::test_history_list_and_drop",
}


def readme_commands() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    lines += re.findall(r"`((?:bash|python) [^`]+)`", text)
    out = set()
    for line in lines:
        if line.startswith(("bash scripts/", "python -m ")):
            words = line.split()
            out.add(" ".join(words[:5] if words[2] == "streamlit" else words[:3] if words[0] == "bash"
                             else words[:4]))
    return out


def test_every_readme_command_has_a_smoke_test() -> None:
    commands = readme_commands()
    assert "bash scripts/dev.sh run" in commands and "python -m loaders build" in commands, commands
    missing = sorted(c for c in commands if c not in SMOKED)
    assert not missing, f"README commands without a smoke test in {__file__}: {missing}"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env["VENV"] = str(Path(sys.executable).resolve().parent.parent)  # dev.sh uses the venv running us
    return env


def test_benchmark_runs_at_tiny_scale(tmp_path: Path) -> None:
    result = subprocess.run(["bash", "scripts/dev.sh", "bench", "--scale", "tiny", "--work", str(tmp_path)],
                            cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert "full build into GeoPackage" in result.stdout
    pages = re.findall(r"page (\w+) .* map HTML +([\d.]+) kB", result.stdout)
    assert len(pages) == 6 and all(float(kb) > 1 for _, kb in pages), result.stdout[-3000:]


def test_build_command_on_the_fixtures(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    fixtures = REPO_ROOT / "tests" / "data"
    (source / "projects.csv").write_bytes((fixtures / "projects_gbk.csv").read_bytes())
    (source / "hotline.csv").write_bytes((fixtures / "hotline_tiny_gbk.csv").read_bytes())
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(source), "--store",
                             str(tmp_path / "out.gpkg"), "--report", str(report), "--coord-sys", "wgs84"],
                            cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert report.exists() and (tmp_path / "out.gpkg").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_command_serves_the_dashboard(tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(["bash", "scripts/dev.sh", "run", "--server.headless", "true", "--server.port",
                             str(port), "--server.address", "127.0.0.1"], cwd=REPO_ROOT, env=_env(),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, healthy = time.time() + 240, False
        while time.time() < deadline and proc.poll() is None and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    healthy = r.status == 200
            except OSError:
                time.sleep(0.5)
        assert healthy, (tmp_path / "run.log").read_text()[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_meeting_benchmark_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "scripts.bench.meeting", "--bench"], cwd=REPO_ROOT, env=_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    assert result.stdout.strip(), "the benchmark printed no figures"


@pytest.mark.parametrize("command", sorted(SMOKED))
def test_smoke_table_names_real_tests(command: str) -> None:
    name = SMOKED[command]
    if "::" in name:  # a test in another file
        path, func = name.split("::")
        assert f"def {func}(" in (REPO_ROOT / path).read_text(encoding="utf-8"), name
    else:
        assert name == "(this suite)" or name in globals(), name


def test_load_test_command_starts() -> None:
    """The load test's command parses its options and refuses to run without a target (it needs
    a running dashboard or a store: the full run is part of the benchmark)."""
    result = subprocess.run([sys.executable, "-m", "scripts.bench.load"], cwd=REPO_ROOT, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--url" in result.stderr and "Traceback" not in result.stderr
