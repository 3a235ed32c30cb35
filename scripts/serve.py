"""Several dashboard processes behind nginx, from one command (``bash scripts/dev.sh serve N``).

    python scripts/serve.py run N [--listen [ADDR:]PORT] [--first-port 8501 | --ports P,P] [--run-dir DIR]
        starts N dashboard processes on loopback ports and an nginx in front of them, in the
        foreground, with its config, pid and logs in DIR (default build/serve/; /etc/nginx is never
        touched); Ctrl-C or SIGTERM stops all of them. The dashboards read the environment
        (DASHBOARD_STORE, DASHBOARD_USERS, ...) as ``streamlit run`` would.
    python scripts/serve.py site --ports 8501,8502 [--listen 80] [--server-name NAME] [--log-dir DIR]
                                 [--static-cache DIR] [--brotli | --no-brotli]
        prints the nginx site for a server (deploy/README.md): the same template, rendered.
    python scripts/serve.py precompress [--static-cache DIR]
        fills DIR (default build/static-cache/) with a copy of Streamlit's frontend and the vendored
        Leaflet, and a .gz and a .br of each compressible file, which nginx sends as they are;
        again after every update of the Python packages (``run`` does it at each start).

Both render ``deploy/nginx/fengtai-site.conf.in``; the deployment test (tests/e2e/test_nginx_deploy.py)
runs ``run`` itself, so what is tested is what an operator starts.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "fengtai-site.conf.in"
STATIC_CACHE = ROOT / "build" / "static-cache"
# Debian's libnginx-mod-http-brotli-static / -filter (bash scripts/dev.sh test installs them).
NGINX_MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULES = ("ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so")
# What precompress compresses (fonts, images are compressed already); smaller files are sent as they are.
COMPRESSIBLE = {".js", ".mjs", ".css", ".json", ".svg", ".html", ".txt", ".map", ".ttf", ".otf"}
MIN_COMPRESS = 1024
# Streamlit's icon font (Material Symbols, 375 kB, every page loads it): nginx serves a subset of
# the icons Streamlit's frontend and the dashboard name (see subset_icon_font).
ICON_FONT = re.compile(r"^MaterialSymbols-[A-Za-z]+\.[A-Za-z0-9_-]+\.woff2$")
ICON_NAME = re.compile(r"material[/_]([a-z0-9_]+)")
NGINX_MISSING = ("nginx not found (looked for `nginx` on PATH and /usr/sbin/nginx). Install Debian's package: "
                 "apt-get install -y nginx (bash scripts/dev.sh test installs it).")

# The main config of the local runner: everything under the run folder, nothing in /etc/nginx.
MAIN_CONF = """# Written by scripts/serve.py for a local run; the site itself is {site}.
daemon off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
{user}
{modules}
events {{
    worker_connections 1024;
}}

http {{
    include /etc/nginx/mime.types;     # as Debian's nginx.conf: the static files' Content-Type
    default_type application/octet-stream;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    access_log off;
    include {site};
}}
"""


def brotli_modules() -> list[Path]:
    """nginx's brotli modules, when Debian's packages are installed (both, or none counts)."""
    found = [NGINX_MODULES / name for name in BROTLI_MODULES]
    return found if all(p.exists() for p in found) else []


def render_site(ports: list[int], listen: str | None = None, server_name: str = "_",
                log_dir: str = "/var/log/nginx", tls_cert: str | None = None, tls_key: str | None = None,
                static_cache: str | Path = STATIC_CACHE, brotli: bool | None = None) -> str:
    """The nginx site for dashboard processes on 127.0.0.1:``ports``.

    With ``tls_cert`` and ``tls_key`` it listens on 443 with TLS (unless ``listen`` says else)
    and adds a server on port 80 that redirects to https. nginx serves /static/ and
    /app/static/vendor/ from ``static_cache`` (filled by :func:`precompress`); with ``brotli``
    (default: when this machine has nginx's brotli modules) also as brotli.
    """
    if brotli is None:
        brotli = bool(brotli_modules())
    if not ports or len(set(ports)) != len(ports):
        raise ValueError(f"need distinct dashboard ports, got {ports}")
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("TLS needs both the certificate (--tls-cert) and its key (--tls-key)")
    tls = redirect = ""
    if tls_cert:
        listen = listen or "443 ssl"
        tls = (f"    ssl_certificate {tls_cert};\n    ssl_certificate_key {tls_key};\n"
               "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:fengtai_tls:10m;\n")
        redirect = ("\n# Plain http only redirects to https.\nserver {\n    listen 80;\n"
                    f"    server_name {server_name};\n    server_tokens off;\n"
                    "    return 301 https://$host$request_uri;\n}\n")
    listen = listen or "80"
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in ports)
    pinned = "\n".join(
        "upstream fengtai_{p} {{\n    zone fengtai_{p} 64k;\n    server 127.0.0.1:{p};\n{backups}\n}}".format(
            p=p, backups="\n".join(f"    server 127.0.0.1:{o} backup;" for o in ports if o != p))
        for p in ports)
    routes = "\n".join(f'    "{p}" fengtai_{p};' for p in ports)
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"COUNT": str(len(ports)), "PORTS": ", ".join(map(str, ports)), "SERVERS": servers,
                       "PINNED": pinned, "ROUTES": routes, "LISTEN": listen, "SERVER_NAME": server_name,
                       "LOG_DIR": log_dir, "TLS": tls, "REDIRECT": redirect,
                       "STATIC_ROOT": str(Path(static_cache).resolve() / "site"),
                       "BROTLI": BROTLI_FILTER if brotli else "",
                       "BROTLI_STATIC": "        brotli_static on;\n" if brotli else ""}.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"unrendered placeholder in {TEMPLATE}: {text[text.index('{{'):][:40]}")
    return text


BROTLI_FILTER = """    # Debian's brotli modules are installed: brotli too, for browsers that accept it.
    brotli on;
    brotli_comp_level 5;
    brotli_min_length 1024;
    brotli_types text/css text/plain text/javascript application/javascript application/json
                 application/geo+json image/svg+xml;
"""


def _static_sources() -> list[tuple[Path, str]]:
    """(folder on disk, the URL path nginx serves it at), as in deploy/nginx/fengtai-site.conf.in."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        raise SystemExit("error: streamlit is not installed in this Python")
    streamlit_static = Path(spec.origin).parent / "static" / "static"
    # dashboard.maps.assets.VENDOR_DIR, filled by install_vendor_assets() (run does it first)
    return [(streamlit_static, "static"), (ROOT / "dashboard" / "static" / "vendor", "app/static/vendor")]


def icon_names() -> set[str]:
    """Every Material Symbols name that Streamlit's frontend (``:material/x:`` in its bundles) or
    the dashboard's code and texts use; a word that is no icon costs nothing."""
    files = list((_static_sources()[0][0] / "js").rglob("*.js"))
    files += [p for p in (ROOT / "dashboard").rglob("*") if p.suffix in {".py", ".json", ".toml", ".md", ".yaml"}
              and "vendor" not in p.parts]
    names: set[str] = set()
    for path in files:
        names.update(ICON_NAME.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return names


def icon_ligatures(font) -> dict[tuple[str, ...], str]:  # noqa: ANN001 - a fontTools TTFont
    """The font's ligatures (the glyphs spelling a name -> the icon's glyph)."""
    found: dict[tuple[str, ...], str] = {}
    if "GSUB" not in font:
        return found
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            table = getattr(table, "ExtSubTable", table)
            for first, ligatures in getattr(table, "ligatures", {}).items():
                for ligature in ligatures:
                    found[(first, *ligature.Component)] = ligature.LigGlyph
    return found


def icon_glyph(font, ligatures: dict[tuple[str, ...], str], name: str) -> str | None:  # noqa: ANN001
    """The glyph the font draws for ``name`` (None: not an icon of this font)."""
    cmap = font.getBestCmap()
    spelled = tuple(cmap.get(ord(c)) for c in name)
    return ligatures.get(spelled) if None not in spelled else None


def subset_icon_font(source: Path, dest: Path, names: set[str]) -> tuple[int, list[str]]:
    """Write to ``dest`` the icon font ``source`` with only the icons ``names`` (and their other
    names), keeping its ligatures: ``expand_more`` in the font is still the icon. Returns the
    size written and the names the font has no icon for. A font without ligatures is copied."""
    from fontTools import subset  # PyPI fonttools (requirements.txt)
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    ligatures = icon_ligatures(font)
    if not ligatures:
        shutil.copy2(source, dest)
        return dest.stat().st_size, sorted(names)
    glyphs = {name: icon_glyph(font, ligatures, name) for name in sorted(names)}
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_closure = False      # not every icon spelled with the same letters
    options.layout_features = ["*"]
    options.glyph_names = True          # names kept: the subset can be checked (tests/e2e/test_site_caching.py)
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=sorted({g for g in glyphs.values() if g}),
                       text="abcdefghijklmnopqrstuvwxyz0123456789_")
    subsetter.subset(font)
    dest.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(dest)
    return dest.stat().st_size, [name for name, glyph in glyphs.items() if glyph is None]


def _icon_font(source: Path, dest: Path, static_cache: Path, counts: dict[str, int]) -> None:
    """``dest`` is the subset of ``source`` for today's icon names (made again when either changed)."""
    names = sorted(icon_names())
    stat = source.stat()
    record = static_cache / "icon-font.json"
    made = {"source": source.name, "size": stat.st_size, "mtime": stat.st_mtime, "names": names}
    try:
        fresh = dest.exists() and json.loads(record.read_text(encoding="utf-8")) == made
    except (OSError, ValueError):
        fresh = False
    if fresh:
        return
    subset_icon_font(source, dest, set(names))
    os.utime(dest, (stat.st_atime, stat.st_mtime))   # the original's Last-Modified
    record.write_text(json.dumps(made), encoding="utf-8")
    counts["copied"] += 1


def precompress(static_cache: str | Path = STATIC_CACHE, log=print) -> dict[str, int]:  # noqa: ANN001
    """Mirror Streamlit's frontend and the vendored files into ``static_cache``/site/ (the URL
    layout), with ``<file>.gz`` (gzip -9) and ``<file>.br`` (brotli 11) beside each compressible
    one. Only what changed is written again; files no longer in the sources are removed.
    Returns counts: files copied, compressed, removed."""
    import brotli  # PyPI Brotli (requirements.txt)

    site = Path(static_cache).resolve() / "site"
    counts = {"copied": 0, "compressed": 0, "removed": 0}
    wanted: set[Path] = set()
    for source_dir, url_path in _static_sources():
        if not source_dir.is_dir():
            raise SystemExit(f"error: {source_dir} is missing (run: python -c "
                             "'from dashboard.maps.assets import install_vendor_assets as f; f()')")
        for source in sorted(p for p in source_dir.rglob("*") if p.is_file()):
            dest = site / url_path / source.relative_to(source_dir)
            wanted.add(dest)
            if url_path == "static" and ICON_FONT.match(source.name):
                _icon_font(source, dest, Path(static_cache).resolve(), counts)
                continue
            stat = source.stat()
            fresh = dest.exists() and dest.stat().st_size == stat.st_size and dest.stat().st_mtime == stat.st_mtime
            if not fresh:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
                counts["copied"] += 1
            if source.suffix.lower() not in COMPRESSIBLE or stat.st_size < MIN_COMPRESS:
                continue
            for suffix, pack in ((".gz", lambda b: gzip.compress(b, 9, mtime=0)),
                                 (".br", lambda b: brotli.compress(b, quality=11))):
                packed = dest.with_name(dest.name + suffix)
                wanted.add(packed)
                if fresh and packed.exists() and packed.stat().st_mtime == stat.st_mtime:
                    continue
                packed.write_bytes(pack(source.read_bytes()))
                os.utime(packed, (stat.st_atime, stat.st_mtime))   # nginx sends the original's Last-Modified
                counts["compressed"] += 1
    for path in sorted(site.rglob("*"), reverse=True) if site.exists() else []:
        if path.is_file() and path not in wanted:
            path.unlink()
            counts["removed"] += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if log:
        log(f"precompressed static files in {site}: {counts['copied']} copied, {counts['compressed']} "
            f"compressed, {counts['removed']} removed", flush=True)
    return counts


def find_nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        raise SystemExit(f"error: {NGINX_MISSING}")
    return found


def _parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return (host or "0.0.0.0"), int(port)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def _prepare(imported: str) -> None:
    """Run the function ``imported`` as ``f`` in a fresh interpreter; exit with its message if it fails."""
    code = f"import sys\n{imported}\ntry:\n    f()\nexcept Exception as exc:\n    sys.exit(f'error: {{exc}}')"
    if subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode != 0:
        raise SystemExit(1)


class Stack:
    """The dashboard processes and nginx of one run, stopped together."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, cmd: list[str], log: Path) -> subprocess.Popen:
        # Own session: Ctrl-C reaches this script only, which stops nginx first, then the dashboards.
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def exited(self) -> tuple[str, subprocess.Popen, Path] | None:
        return next((item for item in self.procs if item[1].poll() is not None), None)

    def stop(self) -> None:
        for _, proc, _ in reversed(self.procs):       # nginx (started last) first
            if proc.poll() is None:
                proc.terminate()
        deadline = time.time() + 15
        for _, proc, _ in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(args: argparse.Namespace) -> int:
    nginx = find_nginx()
    host, port = _parse_listen(args.listen)
    ports = args.ports or [args.first_port + i for i in range(args.processes)]
    if len(ports) < 1:
        raise SystemExit("error: need at least one dashboard process")
    busy = [p for p in ports if not _port_free("127.0.0.1", p)] + ([port] if not _port_free(host, port) else [])
    if busy:
        raise SystemExit(f"error: port(s) {', '.join(map(str, busy))} already in use; choose others "
                         "(--first-port / --ports for the dashboards, DASHBOARD_PORT or --listen for nginx)")
    run_dir = Path(args.run_dir).resolve()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    site = run_dir / "fengtai-site.conf"
    modules = brotli_modules()
    site.write_text(render_site(ports, f"{host}:{port}", "_", str(run_dir), static_cache=args.static_cache,
                                brotli=bool(modules)), encoding="utf-8")
    # Run as root, nginx would hand its workers to `nobody`, who may not reach the run folder:
    # this local runner keeps them as the invoking user (the system nginx uses www-data).
    user = "user root;" if os.geteuid() == 0 else ""
    conf = run_dir / "nginx.conf"
    conf.write_text(MAIN_CONF.format(run=run_dir, site=site, user=user,
                                     modules="".join(f"load_module {m};\n" for m in modules)), encoding="utf-8")
    nginx_cmd = [nginx, "-p", str(run_dir), "-e", str(run_dir / "error.log"), "-c", str(conf)]
    check = subprocess.run([*nginx_cmd, "-t", "-q"], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"error: nginx rejected {conf}:\n{check.stderr.strip()}")

    # Once, before N processes start: the vendored Leaflet files, and the sample store when it
    # is what they will serve (otherwise every process would build or copy them at once).
    _prepare("from dashboard.maps.assets import install_vendor_assets as f")
    precompress(args.static_cache)
    if not os.environ.get("DASHBOARD_STORE"):
        _prepare("from loaders.build import ensure_sample_store as f")

    stack = Stack()
    stopping: list[int] = []

    def on_signal(signum, frame):  # noqa: ANN001 - signal handler signature
        stopping.append(signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for p in ports:
            stack.start(f"dashboard :{p}", [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                                            "--server.port", str(p), "--server.address", "127.0.0.1",
                                            "--server.headless", "true"], run_dir / f"dashboard-{p}.log")
        pending = set(ports)
        deadline = time.time() + args.timeout
        while pending and not stopping:
            if (dead := stack.exited()) is not None:
                print(f"error: {dead[0]} exited during start ({dead[2]}):\n{_tail(dead[2])}", file=sys.stderr)
                return 1
            if time.time() > deadline:
                print(f"error: dashboard port(s) {sorted(pending)} not healthy after {args.timeout:.0f} s; "
                      f"logs in {run_dir}", file=sys.stderr)
                return 1
            pending = {p for p in pending if not _healthy(f"http://127.0.0.1:{p}/_stcore/health")}
            time.sleep(0.3)
        if stopping:
            return 0
        stack.start("nginx", nginx_cmd, run_dir / "nginx.out")
        shown = "localhost" if host in ("0.0.0.0", "::") else host
        probe = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        deadline = time.time() + 20
        while not _healthy(f"http://{probe}:{port}/_stcore/health"):
            if stack.exited() is not None or time.time() > deadline:
                print(f"error: nginx did not start:\n{_tail(run_dir / 'error.log')}{_tail(run_dir / 'nginx.out')}",
                      file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"Serving {len(ports)} dashboard processes (127.0.0.1:{', '.join(map(str, ports))}) behind nginx "
              f"at http://{shown}:{port}/  (config and logs: {run_dir}; Ctrl-C stops all)", flush=True)
        while not stopping:
            if (dead := stack.exited()) is not None:
                print(f"error: {dead[0]} exited ({dead[2]}):\n{_tail(dead[2])}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/serve.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ports_arg = {"type": lambda s: [int(p) for p in s.split(",") if p.strip()],
                 "help": "comma list of the dashboards' loopback ports"}
    r = sub.add_parser("run", help="N dashboard processes and nginx, in the foreground")
    r.add_argument("processes", type=int, nargs="?", default=2)
    r.add_argument("--listen", default=os.environ.get("DASHBOARD_PORT", "8080"),
                   help="nginx's [address:]port (default $DASHBOARD_PORT or 8080, all interfaces)")
    r.add_argument("--first-port", type=int, default=8501, help="the first dashboard's port (default 8501)")
    r.add_argument("--ports", **ports_arg)
    r.add_argument("--run-dir", default=str(ROOT / "build" / "serve"), help="config, pid and logs")
    r.add_argument("--timeout", type=float, default=120, help="seconds the dashboards may take to start")
    cache_arg = {"default": str(STATIC_CACHE),
                 "help": "the precompressed copy of the static files nginx serves (default build/static-cache)"}
    r.add_argument("--static-cache", **cache_arg)
    s = sub.add_parser("site", help="print the nginx site for /etc/nginx/sites-available")
    s.add_argument("--ports", required=True, **ports_arg)
    s.add_argument("--listen", help='nginx\'s listen value (default "80", or "443 ssl" with --tls-cert)')
    s.add_argument("--server-name", default="_", help="the host name(s) browsers use (default _: any)")
    s.add_argument("--log-dir", default="/var/log/nginx")
    s.add_argument("--tls-cert", help="certificate chain (PEM): serve https on 443, redirect 80 to it")
    s.add_argument("--tls-key", help="the certificate's private key (PEM)")
    s.add_argument("--static-cache", **cache_arg)
    s.add_argument("--brotli", action=argparse.BooleanOptionalAction, default=None,
                   help="serve brotli too (needs Debian's libnginx-mod-http-brotli-static and -filter; "
                        "default: when this machine has them)")
    c = sub.add_parser("precompress", help="fill the precompressed copy of the static files nginx serves")
    c.add_argument("--static-cache", **cache_arg)
    args = parser.parse_args(argv)
    if args.command == "precompress":
        _prepare("from dashboard.maps.assets import install_vendor_assets as f")
        precompress(args.static_cache)
        return 0
    if args.command == "site":
        try:
            text = render_site(args.ports, args.listen, args.server_name, args.log_dir, args.tls_cert, args.tls_key,
                               args.static_cache, args.brotli)
        except ValueError as exc:
            parser.error(str(exc))
        sys.stdout.write(text)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
