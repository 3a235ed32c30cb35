"""The nginx site sends less: precompressed, long-cached frontend; a second visit costs little (issue 21).

``scripts/serve.py run 1`` (what ``bash scripts/dev.sh serve 1`` runs: it fills the precompressed
copy of Streamlit's frontend first) on the bundled sample, on free loopback ports. Checked against
that real nginx: a hashed Streamlit bundle comes from nginx's precompressed copy (brotli, or gzip
with a Content-Length for a browser without brotli) and is cached ``immutable``; index.html and
``/_stcore/*`` are not; a second visit of the overview in the same browser context transfers a
small fraction of the first (Chromium's own count, CDP ``Network.loadingFinished`` plus the bytes
nginx sent on the WebSocket). Fails, never skips, when nginx or its brotli modules are missing.
"""
from __future__ import annotations

import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from loaders.build import ensure_sample_store
from scripts.bench.site import Site, Transfer, _Counter, _ws_wire_bytes
from scripts.serve import brotli_modules
from tests.e2e.harness import SCREENSHOTS, map_frame

pytestmark = [pytest.mark.e2e]

BUNDLE = re.compile(r'src="\./(static/js/index\.[A-Za-z0-9_-]+\.js)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    assert shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK), (
        "nginx is not installed: apt-get install -y nginx (bash scripts/dev.sh test installs it)")
    assert brotli_modules(), ("nginx's brotli modules are missing: apt-get install -y libnginx-mod-http-brotli-static "
                              "libnginx-mod-http-brotli-filter (bash scripts/dev.sh test installs them)")
    running = Site(ensure_sample_store(), tmp_path_factory.mktemp("site_caching"))
    try:
        running.wait()
        yield running
    finally:
        running.stop()


def _get(url: str, encoding: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=30) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_hashed_bundles_come_precompressed_and_immutable_index_and_stcore_do_not(site: Site) -> None:
    headers, body = _get(site.url + "/", "br, gzip")
    assert "immutable" not in headers.get("cache-control", ""), headers
    assert headers.get("x-upstream"), "index.html should come from the dashboard process"
    found = BUNDLE.search(body.decode() if headers.get("content-encoding") is None else "")
    if found is None:   # compressed on the fly: read it plain
        headers, body = _get(site.url + "/", "identity")
        found = BUNDLE.search(body.decode())
    assert found, f"no hashed index bundle named in index.html: {body[:500]!r}"
    bundle = site.url + "/" + found.group(1)

    br_headers, br_body = _get(bundle, "gzip, deflate, br")
    assert br_headers.get("content-encoding") == "br", br_headers
    assert "immutable" in br_headers.get("cache-control", ""), br_headers
    assert "max-age=31536000" in br_headers["cache-control"], br_headers
    assert "x-upstream" not in br_headers, "the bundle should come from nginx's copy, not a process"
    gz_headers, gz_body = _get(bundle, "gzip")
    assert gz_headers.get("content-encoding") == "gzip", gz_headers
    # gzip_static sends the .gz file with its length; nginx's on-the-fly gzip would be chunked
    assert int(gz_headers.get("content-length", "0")) == len(gz_body), gz_headers
    _, plain = _get(bundle, "identity")
    assert len(br_body) < len(gz_body) < len(plain) * 0.4, (len(br_body), len(gz_body), len(plain))
    assert "immutable" in gz_headers.get("cache-control", "")

    for path in ("/_stcore/health", "/_stcore/host-config"):
        headers, _ = _get(site.url + path, "gzip")
        assert "immutable" not in headers.get("cache-control", ""), (path, headers)
        assert "max-age" not in headers.get("cache-control", ""), (path, headers)

    # the vendored Leaflet: from the copy, revalidated (no hash in its name)
    headers, _ = _get(site.url + "/app/static/vendor/leaflet/leaflet.js", "br, gzip")
    assert headers.get("content-encoding") == "br" and headers.get("cache-control") == "no-cache", headers
    assert headers.get("etag"), headers


def test_a_second_visit_transfers_a_small_fraction_of_the_first(site: Site, browser: Browser) -> None:
    tag = "fengtai-e2e-site-caching"
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome/{browser.version} {tag}")
    visits: list[Transfer] = []
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        counter = _Counter()
        cdp.on("Network.requestWillBeSent", counter.on_request)
        cdp.on("Network.loadingFinished", counter.on_finished)
        cdp.on("Network.webSocketFrameReceived", counter.on_frame)
        cdp.send("Network.enable")
        for _ in range(2):
            page.goto(site.url + "/", wait_until="commit")
            assert map_frame(page, 90).evaluate(
                "() => document.querySelectorAll('.leaflet-interactive').length") > 0
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                state="attached", timeout=60_000)
            page.wait_for_timeout(1500)
            visits.append(counter.reset())
            page.goto("about:blank")
            counter.reset()
    finally:
        context.close()
    access_log = Path(site.run_dir) / "fengtai.access.log"
    for nth, visit in enumerate(visits, start=1):
        wire = _ws_wire_bytes(access_log, tag, nth)
        assert wire is not None, f"WebSocket #{nth} of the context not in nginx's log"
        visit.ws = wire
    first, second = visits
    assert first.frontend > 300_000, f"the first visit should fetch Streamlit's frontend: {first.note}"
    assert second.frontend < 5_000, (f"Streamlit's frontend should come from the browser's cache: "
                                     f"{second.note}; {second.largest()}")
    assert second.total < first.total / 10, f"first {first.note}; second {second.note} ({second.largest()})"
    assert second.total < 150_000, f"second visit {second.total / 1e3:.0f} kB: {second.note} ({second.largest()})"
    # the WebSocket is compressed (permessage-deflate, .streamlit/config.toml)
    assert first.ws < first.ws_payload * 0.6, first.note


def _icon_font_file() -> Path:
    from scripts.serve import ICON_FONT, _static_sources
    return next(p for p in (_static_sources()[0][0] / "media").iterdir() if ICON_FONT.match(p.name))


def test_the_icon_font_holds_every_icon_named_and_little_else(site: Site) -> None:
    """Streamlit's icon font (375 kB, loaded by every page) comes as the subset of the icons its
    frontend and the dashboard name: each of them still draws the same glyph."""
    import io

    from fontTools.ttLib import TTFont

    from scripts.serve import icon_glyph, icon_ligatures, icon_names

    original = _icon_font_file()
    headers, body = _get(f"{site.url}/static/media/{original.name}", "br, gzip")
    assert "immutable" in headers.get("cache-control", ""), headers
    assert len(body) < original.stat().st_size / 10, (len(body), original.stat().st_size)
    served, full = TTFont(io.BytesIO(body)), TTFont(original)
    served_ligatures, full_ligatures = icon_ligatures(served), icon_ligatures(full)
    names = icon_names()
    assert {"map", "logout", "expand_more", "close"} <= names   # the app's and Streamlit's own
    wrong = {n: icon_glyph(served, served_ligatures, n) for n in names
             if icon_glyph(full, full_ligatures, n) and
             icon_glyph(served, served_ligatures, n) != icon_glyph(full, full_ligatures, n)}
    assert wrong == {}
    assert icon_glyph(served, served_ligatures, "delete_forever") is None   # an icon nobody names


def test_the_pages_icons_are_drawn_as_icons_with_the_subset(site: Site, browser: Browser) -> None:
    """In the browser, through nginx: each icon the dashboard names is one 24 px glyph in the
    icon font (its name as text would be wider, or nothing)."""
    app_icons = sorted({m for p in (Path(__file__).parents[2] / "dashboard").rglob("*.py")
                        for m in re.findall(r":material/([a-z0-9_]+):", p.read_text(encoding="utf-8"))})
    assert len(app_icons) >= 10, app_icons
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        page.locator('[data-testid="stTopNavLink"]').first.wait_for(timeout=60_000)
        widths = page.evaluate("""async (names) => {
            await document.fonts.load('24px "Material Symbols Rounded"');
            const out = {};
            for (const name of names) {
              const s = document.createElement('span');
              s.style.cssText = 'font-family:"Material Symbols Rounded";font-size:24px;position:absolute;white-space:nowrap';
              s.textContent = name;
              document.body.appendChild(s);
              out[name] = s.getBoundingClientRect().width;
              s.remove();
            }
            return out;
        }""", app_icons)
        page.screenshot(path=str(SCREENSHOTS / "site_icons_1366x768.png"))
    finally:
        context.close()
    not_icons = {name: w for name, w in widths.items() if not 18 <= w <= 30}
    assert not_icons == {}, not_icons
