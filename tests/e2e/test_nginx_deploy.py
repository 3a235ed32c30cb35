"""Two dashboard processes behind a real nginx, on one PostGIS (issue 12, deployment).

``scripts/serve.py run 2`` (what ``bash scripts/dev.sh serve 2`` runs) starts the processes and an
nginx rendered from ``deploy/nginx/fengtai-site.conf.in`` on free loopback ports, against a
throwaway PostGIS server (tests/postgis.py). Several browser contexts (each its own cookie jar,
so each a new visitor; all from 127.0.0.1) open the overview through nginx. Every request a
session makes is found in nginx's access log by the session's user-agent tag, with the process
that answered it. A last test renders the server's site (three processes; plain and TLS) with
``scripts/serve.py site`` and has ``nginx -t`` check it. Fails, never skips, when nginx is missing.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from loaders.build import build
from scripts.serve import brotli_modules
from tests.e2e.harness import REPO_ROOT, SCREENSHOTS, map_frame
from tests.postgis import PostGISServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgis]

TITLE = "丰台“4+4”功能区地理信息看板"
SESSIONS = 3
PROJECTS = """项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属街镇
NG-1,负载均衡丽泽项目,在建,市级,金融,120000,116.312,39.866,
NG-2,负载均衡南中轴项目,储备,区级,文化,30000,116.395,39.842,
"""
# One access-log line of the site's `fengtai` log_format.
LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ upstream=(?P<upstream>[^ ]*)'
                      r' route=(?P<route>\S*) rt=\S+ "(?P<agent>[^"]*)"')


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    assert found, ("nginx is not installed, so the deployment cannot be tested: apt-get install -y nginx "
                   "(bash scripts/dev.sh test installs it)")
    return found


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Deployment:
    url: str
    listen: int
    ports: list[int]
    run_dir: Path
    proc: subprocess.Popen
    log: Path

    def access_log(self) -> list[dict]:
        text = (self.run_dir / "fengtai.access.log").read_text(errors="replace")
        return [m.groupdict() for m in LOG_LINE.finditer(text)]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    _nginx()
    server = PostGISServer().start()
    proc = None
    try:
        source = tmp_path_factory.mktemp("nginx_src")
        (source / "projects.csv").write_text(PROJECTS, encoding="utf-8")
        build(source, server.url, progress=False)
        listen, *ports = _free_ports(3)
        run_dir = tmp_path_factory.mktemp("nginx_run")
        log = run_dir / "serve.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        env.update(DASHBOARD_STORE=server.url, DASHBOARD_AUTH="none")
        proc = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "run", "2", "--listen", f"127.0.0.1:{listen}",
             "--ports", ",".join(map(str, ports)), "--run-dir", str(run_dir)],
            cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while "Serving 2 dashboard processes" not in log.read_text():
            assert proc.poll() is None, f"scripts/serve.py exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
            assert time.time() < deadline, f"scripts/serve.py not serving after 120 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield Deployment(f"http://127.0.0.1:{listen}", listen, ports, run_dir, proc, log)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.stop()


@dataclass
class Session:
    tag: str
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    upstream: str = ""


def _map_drawn(page: Page, timeout: float = 60) -> int:
    """The number of zones Leaflet drew in the streamlit-folium frame (once it has drawn)."""
    return map_frame(page, timeout).evaluate("""() => { const ids = new Set(); window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.zone_id && l._path)
          ids.add(l.feature.properties.zone_id); });
      return ids.size; }""")


def test_sessions_spread_over_both_processes_and_stay_on_theirs(deployment: Deployment, browser: Browser) -> None:
    sessions: list[Session] = []
    for i in range(SESSIONS):
        width, height = (1920, 1080) if i % 2 else (1366, 768)
        tag = f"fengtai-e2e-session-{i}"
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome/{browser.version} {tag}")
        session = Session(tag, context, context.new_page())
        session.page.on("request", lambda r, s=session: s.requests.append(r.url))
        session.page.on("websocket", lambda ws, s=session: s.sockets.append(ws.url))
        sessions.append(session)
    # All sessions load at once (the browser renders them side by side), then each is checked.
    for session in sessions:
        response = session.page.goto(deployment.url + "/", wait_until="commit")
        assert response is not None and response.status == 200
        session.upstream = response.headers.get("x-upstream", "")
    processes = {f"127.0.0.1:{p}" for p in deployment.ports}
    assert {s.upstream for s in sessions} == processes, (
        f"new sessions should be dealt to both processes {sorted(processes)}: got {[s.upstream for s in sessions]}")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        page = session.page
        page.get_by_text(TITLE).first.wait_for(timeout=60_000)
        page.locator('[data-banner="open"]').first.wait_for(timeout=60_000)   # DASHBOARD_AUTH=none warns
        assert _map_drawn(page) >= 8, f"{session.tag} ({session.upstream}): the overview map never drew the 8 zones"
        page.wait_for_timeout(800)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{session.tag}: an exception is shown"
        body = page.locator("body").inner_text()
        assert "Traceback" not in body, f"{session.tag}: {body[:500]}"
        viewport = page.viewport_size
        page.screenshot(path=str(SCREENSHOTS / f"nginx_overview_{viewport['width']}x{viewport['height']}.png"))
    for session in sessions:
        session.context.close()        # closes the WebSockets, so nginx logs them

    own = (deployment.url, "data:", "blob:", "about:")
    for session in sessions:
        outside = [u for u in session.requests if not u.startswith(own)]
        assert outside == [], f"{session.tag} requested outside nginx: {outside}"
        assert session.sockets and all(u.startswith(f"ws://127.0.0.1:{deployment.listen}/") for u in session.sockets)

    deadline = time.time() + 15
    while True:
        lines = deployment.access_log()
        streams = {s.tag for s in sessions
                   if any(e["path"] == "/_stcore/stream" and e["status"] == "101" and s.tag in e["agent"]
                          for e in lines)}
        if len(streams) == SESSIONS or time.time() > deadline:
            break
        time.sleep(0.3)
    for session in sessions:
        every = [e for e in lines if session.tag in e["agent"]]
        # Streamlit's frontend and the vendored Leaflet come from nginx's precompressed copy (no upstream)
        from_disk = [e for e in every if e["upstream"] == "-"]
        assert all(e["path"].startswith(("/static/", "/app/static/vendor/")) for e in from_disk), from_disk
        assert from_disk, f"{session.tag}: nginx served no static file from its precompressed copy"
        mine = [e for e in every if e["upstream"] != "-"]
        served = {e["upstream"] for e in mine}
        assert served == {session.upstream}, (
            f"{session.tag} opened on {session.upstream} but requests went to {served}: "
            f"{[e for e in mine if e['upstream'] != session.upstream][:10]}; nginx errors: "
            f"{(deployment.run_dir / 'fengtai.error.log').read_text()[-2000:]}")
        paths = [e["path"] for e in every]
        assert any(e["path"] == "/_stcore/stream" and e["status"] == "101" for e in mine), (
            f"{session.tag}: no WebSocket upgrade in nginx's log: {paths}")
        assert any(p.startswith("/static/") for p in paths), f"{session.tag}: no static file via nginx: {paths}"
        assert any(p.startswith("/app/static/vendor/leaflet/") for p in paths), paths   # local Leaflet, same process
        assert all(e["status"] in ("101", "200", "304") for e in every), [(e["path"], e["status"]) for e in every]


def test_sigterm_stops_nginx_and_every_dashboard_process(deployment: Deployment) -> None:
    assert _accepts(deployment.listen) and all(_accepts(p) for p in deployment.ports)
    deployment.proc.send_signal(signal.SIGTERM)
    assert deployment.proc.wait(timeout=30) == 0, deployment.log.read_text()[-2000:]
    listening = [p for p in [deployment.listen, *deployment.ports] if _accepts(p)]
    assert listening == [], f"still listening after SIGTERM: {listening}"


def test_the_server_site_renders_for_three_processes_and_tls_and_nginx_accepts_it(tmp_path: Path) -> None:
    """``scripts/serve.py site`` (deploy/README.md, steps 8 and 10), checked by ``nginx -t``."""
    nginx = _nginx()
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a throwaway certificate: apt-get install -y openssl"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    ports = [8501, 8502, 8503]
    for name, extra in [("plain", []), ("tls", ["--tls-cert", str(tmp_path / "cert.pem"),
                                                "--tls-key", str(tmp_path / "key.pem")])]:
        result = subprocess.run([sys.executable, "scripts/serve.py", "site", "--ports", "8501,8502,8503",
                                 "--server-name", "dashboard.example.gov.cn", "--log-dir", str(tmp_path), *extra],
                                cwd=REPO_ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        site = result.stdout
        for p in ports:   # each process: its own pinned group with the others as backup, and a route to it
            others = [o for o in ports if o != p]
            group = re.search(r"upstream fengtai_%d \{(.*?)\}" % p, site, re.S)
            assert group and f"server 127.0.0.1:{p};" in group.group(1), site
            assert all(f"server 127.0.0.1:{o} backup;" in group.group(1) for o in others), group.group(1)
            assert f'"{p}" fengtai_{p};' in site
        assert ("listen 443 ssl;" in site and "return 301 https://" in site) == (name == "tls")
        (tmp_path / f"{name}.conf").write_text(site)
        modules = "".join(f"load_module {m};\n" for m in brotli_modules())   # as Debian's modules-enabled/
        (tmp_path / "nginx.conf").write_text(
            f"{modules}pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n  client_body_temp_path {tmp_path}/tmp/body;\n"
            f"  proxy_temp_path {tmp_path}/tmp/proxy;\n  fastcgi_temp_path {tmp_path}/tmp/fastcgi;\n"
            f"  uwsgi_temp_path {tmp_path}/tmp/uwsgi;\n  scgi_temp_path {tmp_path}/tmp/scgi;\n"
            f"  include {tmp_path}/{name}.conf;\n}}\n")
        check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                                "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
        assert check.returncode == 0, f"nginx rejects the {name} site:\n{check.stderr}"
