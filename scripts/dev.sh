#!/usr/bin/env bash
# One entry point for a fresh machine:
#   bash scripts/dev.sh run    set up, build the sample store, start the dashboard
#   bash scripts/dev.sh test   set up (incl. Chromium, PostgreSQL/PostGIS, CJK fonts), run every test
#   bash scripts/dev.sh bench  set up, run the benchmark script (prints its figures)
#   bash scripts/dev.sh serve N  set up, start N dashboard processes behind nginx on ${DASHBOARD_PORT:-8080}
#                              (scripts/serve.py; Ctrl-C stops all; deploy/README.md for a server)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha"
  local want
  want=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # XStatic-Bootstrap's sdist still imports pkg_resources, which setuptools>=81 dropped:
    # build it with an older setuptools, without build isolation.
    "$VENV/bin/python" -m pip install -q "setuptools<81" wheel
    "$VENV/bin/python" -m pip install -q --no-build-isolation "$(grep -i '^xstatic-bootstrap' requirements.txt)"
    "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
    echo "$want" > "$stamp"
  fi
  # The project itself, editable: dashboard/, loaders/ and geodata/ import from any folder.
  if ! (cd / && "$VENV/bin/python" -c \
      "import loaders, sys; sys.exit(0 if loaders.__file__.startswith('$ROOT/') else 1)") 2>/dev/null; then
    (cd /tmp && "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT")
  fi
}

have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }

setup_system() {
  # Browser tests need Debian's Chromium; PostGIS tests a real PostgreSQL server;
  # screenshots need CJK fonts. Installed once, when missing (needs root, as in CI).
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
  fc-list 2>/dev/null | grep -qi "WenQuanYi Zen Hei" || need+=(fonts-wqy-zenhei)  # TrueType CJK: embeddable in PDF briefs
  have_nginx || need+=(nginx)  # the deployment test puts two dashboard processes behind a real nginx
  # nginx sends the precompressed .br copies of Streamlit's frontend (tests/e2e/test_site_caching.py)
  [ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || need+=(libnginx-mod-http-brotli-static)
  [ -f /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so ] || need+=(libnginx-mod-http-brotli-filter)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)  # the deployment test's self-signed TLS certificate
  if [ ${#need[@]} -gt 0 ]; then
    echo "Installing system packages: ${need[*]}"
    if [ "$(id -u)" -ne 0 ]; then
      echo "error: need root (or sudo) to install ${need[*]}" >&2; exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

case "${1:-}" in
  run)
    setup_python
    if [ -z "${DASHBOARD_STORE:-}" ] && [ ! -f data/sample_store.gpkg ]; then
      "$VENV/bin/python" -m loaders build   # the bundled sample store, ~30 s once
    fi
    exec "$VENV/bin/python" -m streamlit run dashboard/app.py "${@:2}"
    ;;
  test)
    setup_system
    setup_python
    exec "$VENV/bin/python" -m pytest "${@:2}"
    ;;
  bench)
    setup_python
    exec "$VENV/bin/python" -m scripts.bench "${@:2}"
    ;;
  serve)
    n=${2:-2}
    case "$n" in ''|*[!0-9]*|0) echo "usage: bash scripts/dev.sh serve N (N dashboard processes, N >= 1)" >&2; exit 64;; esac
    if ! have_nginx; then
      if [ "$(id -u)" -ne 0 ]; then echo "error: nginx is missing: apt-get install -y nginx (as root)" >&2; exit 1; fi
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    fi
    setup_python
    if [ -z "${DASHBOARD_STORE:-}" ] && [ ! -f data/sample_store.gpkg ]; then
      "$VENV/bin/python" -m loaders build   # the bundled sample store, ~30 s once
    fi
    exec "$VENV/bin/python" scripts/serve.py run "$n" "${@:3}"
    ;;
  *)
    echo "usage: bash scripts/dev.sh run|test|bench|serve [args...]" >&2; exit 64;;
esac
