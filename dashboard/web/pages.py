"""The page registry: every page of the app, declared once, importable by any module.

``st.navigation`` is built from :data:`PAGES` in ``app.py``; a page that links to another
asks :func:`path` for its file (``st.switch_page`` and ``st.page_link`` accept it), so no
page object travels through session state. Each page file defines one ``render()`` and
runs it when Streamlit executes the file (Streamlit runs page files as ``__main__``).

Each page declares the roles that may open it (:mod:`dashboard.security.access`): ``app.py`` checks
them on every run before the page touches the store, and leaves a page out of the
navigation of a viewer who may not open it. A new page is one line here, e.g.
``PageSpec("meeting", "meeting.py", "meeting", "page_meeting", ":material/slideshow:", EVERYONE)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.security.access import ADMINS, DOWNLOADERS, EVERYONE, MEETING_VIEWERS

SCREENS_DIR = Path(__file__).resolve().parent.parent / "screens"


@dataclass(frozen=True)
class PageSpec:
    """One page: its key, file under ``dashboard/screens/``, URL path, title key, icon and the
    roles that may open it."""

    key: str
    file: str
    url_path: str          # "" is the default page (the overview at ``/``)
    title_key: str
    icon: str
    roles: frozenset[str] = EVERYONE

    @property
    def path(self) -> Path:
        return SCREENS_DIR / self.file


# Not "pages/": Streamlit would treat that folder as a legacy multipage app and run a page
# without app.py (no banners, no access check) when a deep link like /zone is opened first.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", "", "page_overview", ":material/map:", EVERYONE),
    PageSpec("zone", "zone.py", "zone", "page_zone", ":material/location_city:", EVERYONE),
    PageSpec("projects", "projects.py", "projects", "page_projects", ":material/construction:", EVERYONE),
    PageSpec("needs", "needs.py", "needs", "page_needs", ":material/handshake:", EVERYONE),
    PageSpec("downloads", "downloads.py", "downloads", "page_downloads", ":material/download:", DOWNLOADERS),
    PageSpec("ranking", "ranking.py", "ranking", "page_ranking", ":material/leaderboard:", EVERYONE),
    PageSpec("quality", "quality.py", "quality", "page_quality", ":material/fact_check:", EVERYONE),
    PageSpec("meeting", "meeting.py", "meeting", "page_meeting", ":material/slideshow:", MEETING_VIEWERS),
    PageSpec("audit", "audit.py", "audit", "page_audit", ":material/policy:", ADMINS),
)
BY_KEY: dict[str, PageSpec] = {spec.key: spec for spec in PAGES}


def path(key: str) -> str:
    """The page's file, relative to ``dashboard/app.py``, for ``st.switch_page`` / ``st.page_link``."""
    if key not in BY_KEY:
        raise KeyError(f"unknown page {key!r}; expected one of {', '.join(BY_KEY)}")
    return f"screens/{BY_KEY[key].file}"
