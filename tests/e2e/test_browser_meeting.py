"""Meeting mode in a real browser (Debian's Chromium, headless, no internet): the whole screen
at 1920×1080 and 1366×768 with nothing scrolling or cut, projector-sized KPI figures, the map
drawn, arrow keys and ``?auto=`` moving through the slides, the PDF download, and a screenshot
of every slide in ``build/screenshots/meeting_*``.

The app is started from a small launcher that registers the meeting page (and its strings)
when ``dashboard/pages.py`` does not list it yet, then runs the real ``dashboard/app.py``;
once the page is registered the launcher changes nothing.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page

from tests.e2e.harness import REPO_ROOT, SCREENSHOTS, VIEWPORTS, AppServer, _free_port

pytestmark = pytest.mark.e2e

LAUNCHER = '''"""The real app, with the meeting page registered if dashboard/pages.py does not list it yet."""
import runpy
from pathlib import Path

import dashboard
from dashboard import i18n
from dashboard.web import pages
from dashboard.i18n.meeting import STRINGS

for key, value in STRINGS.items():
    i18n.STRINGS.setdefault(key, value)
if "meeting" not in pages.BY_KEY:
    spec = pages.PageSpec("meeting", "meeting.py", "meeting", "page_meeting", ":material/slideshow:")
    pages.PAGES = (*pages.PAGES, spec)
    pages.BY_KEY["meeting"] = spec
runpy.run_path(str(Path(dashboard.__file__).resolve().parent / "app.py"), run_name="__main__")
'''
ORDER = ("changes", "all", "nanzhongzhou", "xishan_yongding", "lize", "zgc_fengtai", "hexi", "fengtai_station", "wulidian",
         "xinfadi")


class MeetingServer(AppServer):
    """:class:`tests.e2e.harness.AppServer` running the launcher instead of ``dashboard/app.py``."""

    def __init__(self, folder: Path, log: Path) -> None:  # noqa: D107 - same as AppServer, another script
        (folder / "app.py").write_text(LAUNCHER, encoding="utf-8")
        # Streamlit serves static files next to the main script: the vendored Leaflet lives in dashboard/static.
        (folder / "static").symlink_to(REPO_ROOT / "dashboard" / "static", target_is_directory=True)
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items()
               if k not in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH", "DASHBOARD_BASEMAP")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def meeting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from loaders.build import ensure_sample_store
    ensure_sample_store()
    server = MeetingServer(tmp_path_factory.mktemp("meeting_app"), tmp_path_factory.mktemp("logs") / "meeting.log")
    server.wait()
    yield server.url
    server.stop()


def slide_of(page: Page) -> str | None:
    return page.locator('[data-testid="mt-slide"]').first.get_attribute("data-slide")


def map_frame(page: Page, slide: str, timeout: float = 60) -> Frame:
    """The meeting map's frame once Leaflet shows ``slide`` (the follower marks its body)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate("(s) => typeof L === 'object' && document.body.dataset.slide === s && "
                                  "document.querySelectorAll('.leaflet-overlay-pane path').length > 0", slide):
                    return frame
            except Exception:  # noqa: BLE001 - a frame navigating or detached: poll again
                pass
        page.wait_for_timeout(100)
    raise AssertionError(f"the map never showed slide {slide!r}")


def open_meeting(rp, url: str, slide: str) -> tuple[Page, Frame]:  # noqa: ANN001 - RecordedPage
    page = rp.page
    page.goto(url)
    page.locator(f'[data-testid="mt-done"][data-slide="{slide}"]').wait_for(timeout=90_000)
    return page, map_frame(page, slide)


def wait_slide(page: Page, slide: str, timeout: float = 30) -> float:
    """Seconds until the page and its map both show ``slide``."""
    started = time.time()
    page.locator(f'[data-testid="mt-slide"][data-slide="{slide}"]').wait_for(timeout=timeout * 1000)
    map_frame(page, slide, timeout)
    elapsed = time.time() - started
    # and the run has drawn the strip too (its last element), so its buttons are this run's
    page.locator(f'[data-testid="mt-done"][data-slide="{slide}"]').wait_for(timeout=timeout * 1000)
    return elapsed


FIT_REPORT = """() => {
  const scrolling = [];
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (/(auto|scroll)/.test(s.overflowY + s.overflowX) &&
        (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) {
      scrolling.push((el.getAttribute('data-testid') || el.className || el.tagName).toString().slice(0, 60));
    }
  }
  const doc = document.scrollingElement;
  const outside = [];
  const check = (sel) => document.querySelectorAll(sel).forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.top < -1 || r.left < -1 || r.bottom > innerHeight + 1 || r.right > innerWidth + 1)
      outside.push(sel + ' ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
  });
  ['.mt-slide', '.mt-kpi', '.st-key-mt_map iframe', '.st-key-mt_strip', '.mt-compare', '.mt-changes', '[data-banner]',
   '[data-testid="ft-built-at"]'].forEach(check);
  const clipped = [...document.querySelectorAll('.mt-kpi-value, .mt-kpi-label, .mt-headline, .mt-name')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent);
  const px = (sel) => [...document.querySelectorAll(sel)].map(el => parseFloat(getComputedStyle(el).fontSize));
  return {scrolling, outside, clipped, docScroll: [doc.scrollHeight, innerHeight, doc.scrollWidth, innerWidth],
          figures: px('.mt-kpi-value .mt-num'), labels: px('.mt-kpi-label'), marks: px('[data-banner], .ft-asof'),
          changes: px('.mt-changes li')};
}"""


@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_every_slide_fills_the_screen_and_nothing_scrolls(meeting_server: str, new_page, width: int,
                                                          height: int) -> None:  # noqa: ANN001
    rp = new_page(width, height)
    page, _ = open_meeting(rp, f"{meeting_server}/meeting", ORDER[0])   # the meeting opens on 本月变化
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, slide in enumerate(ORDER, start=1):
        if number > 1:
            page.keyboard.press("ArrowRight")
            wait_slide(page, slide)
        page.wait_for_timeout(400)  # let the last paint settle for the picture
        report = page.evaluate(FIT_REPORT)
        assert report["scrolling"] == [], (slide, report)
        assert report["docScroll"][0] <= report["docScroll"][1] and report["docScroll"][2] <= report["docScroll"][3]
        assert report["outside"] == [], (slide, report["outside"])
        assert report["clipped"] == [], (slide, report["clipped"])
        assert report["marks"] and min(report["marks"]) >= 12, report["marks"]   # small but legible
        if width == 1920 and slide == "changes":   # streets and warnings, read from the back of the room
            assert report["changes"] and min(report["changes"]) >= 24, report["changes"]
        elif width == 1920:
            assert report["figures"] and min(report["figures"]) >= 48, report["figures"]
            assert min(report["labels"]) >= 24, report["labels"]
        page.screenshot(path=str(SCREENSHOTS / f"meeting_{width}x{height}_{number}_{slide}.png"))
        assert page.url.endswith(f"zone={slide}") or f"zone={slide}&" in page.url, page.url
    assert rp.outside_requests() == []
    header = page.locator('header[data-testid="stHeader"]')
    assert header.count() == 0 or not header.first.is_visible()   # no Streamlit chrome on this page


def press_to(page: Page, key: str, expected: str, current: str) -> float:
    """Press ``key`` and wait for ``expected``; a press that lands while the page is re-running
    (a loaded CI machine) can be lost, so one more press is allowed, only if the slide did not move."""
    page.keyboard.press(key)
    try:
        return wait_slide(page, expected, timeout=10)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: check where we are, then retry once
        assert slide_of(page) == current, f"moved to {slide_of(page)!r}, not {expected!r}"
        page.keyboard.press(key)
        return wait_slide(page, expected)


def test_arrow_keys_move_and_name_the_zone_in_the_url(meeting_server: str, new_page) -> None:  # noqa: ANN001
    page, frame = open_meeting(new_page(1920, 1080), f"{meeting_server}/meeting?zone=lize", "lize")
    headline = page.locator('[data-testid="mt-headline"]').inner_text()
    timings = []
    for current, expected in (("lize", "zgc_fengtai"), ("zgc_fengtai", "hexi")):
        timings.append(press_to(page, "ArrowRight", expected, current))
        assert f"zone={expected}" in page.url
    assert page.locator('[data-testid="mt-headline"]').inner_text() != headline
    timings.append(press_to(page, "ArrowLeft", "zgc_fengtai", "hexi"))
    assert "zone=zgc_fengtai" in page.url
    # the key press reached the map too: a click on the map moves focus into its iframe
    frame = map_frame(page, "zgc_fengtai", 30)
    frame.locator(".leaflet-container").click(position={"x": 30, "y": 30})
    timings.append(press_to(page, "ArrowRight", "hexi", "zgc_fengtai"))
    print(f"key press to new slide drawn (page and map): {', '.join(f'{t:.2f} s' for t in timings)}")


def test_auto_advances_and_a_key_press_pauses(meeting_server: str, new_page) -> None:  # noqa: ANN001
    page, _ = open_meeting(new_page(1366, 768), f"{meeting_server}/meeting?zone=wulidian&auto=2", "wulidian")
    assert page.locator('[data-testid="mt-slide"]').first.get_attribute("data-playing") == "1"
    wait_slide(page, "xinfadi", timeout=15)         # advances by itself (2 s; generous under CI load)
    assert "zone=xinfadi" in page.url
    wait_slide(page, "changes", timeout=15)         # and round to the opening slide
    page.keyboard.press("x")                        # any key pauses
    page.locator('[data-testid="mt-slide"][data-playing="0"]').wait_for(timeout=5000)
    shown = slide_of(page)
    page.wait_for_timeout(4500)
    assert slide_of(page) == shown and page.locator('[data-testid="mt-slide"]').first.get_attribute(
        "data-playing") == "0"
    page.keyboard.press(" ")                        # Space plays again
    page.locator('[data-testid="mt-slide"][data-playing="1"]').wait_for(timeout=5000)


def test_strip_moves_lists_the_slides_and_downloads_the_brief(meeting_server: str, new_page) -> None:  # noqa: ANN001
    page, _ = open_meeting(new_page(1920, 1080), f"{meeting_server}/meeting?zone=lize", "lize")
    page.locator(".st-key-mt_next button").first.click()
    wait_slide(page, "zgc_fengtai")
    page.locator(".st-key-mt_prev button").first.click()
    wait_slide(page, "lize")
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-mt_pdf button").first.click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF") and download.value.suggested_filename.startswith("brief_lize_")
    page.locator(".st-key-mt_pick [data-testid='stSelectbox']").click()
    page.get_by_role("option", name="7. 河西地区").click()
    wait_slide(page, "hexi")
    assert "zone=hexi" in page.url
