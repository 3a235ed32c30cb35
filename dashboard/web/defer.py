"""Tables and charts beside or below a page's map, drawn once the map is.

A new browser session pays for Streamlit's chart (Vega, ~0.8 MB) and table (Arrow and the
data grid, ~1.3 MB) bundles the first time a page draws one: fetched, compiled and run on
the same thread that mounts the map. Measured on this machine, a table and a chart under a
bare ``st_folium`` map delayed its drawing by about a second. So a map page draws its map
first and these parts in a second, fragment-only run:

- each part is an ``st.fragment`` with a key (:func:`later`); until the map is ready it shows
  a placeholder line;
- a tiny inline component (:data:`_JS`, ``st.components.v2``) waits until Leaflet has drawn
  a path in a map frame of the page (at most :data:`WAIT_MS`) and sends ``ready``;
- its callback marks the session ready and reruns only those fragments (``st.rerun`` scoped
  to their keys): the map, the filters and everything else stay as they are. The component
  sits in a fragment of its own, so its message is a fragment's rerun: the browser keeps the
  page's timed fragments (``run_every``) going.

A navigation must win over that message (a click on a page link lost to it was seen in CI):

- ``runner.fastReruns`` is off (``.streamlit/config.toml``): with it, the click's run gets a
  second script thread, and the rerun below, already begun in the first, set the session's
  page after the click had;
- ``st.rerun`` names the page it ran on, and Streamlit merges it with a rerun already waiting,
  keeping the newer request's page: so the callback does not rerun when a rerun waits (that
  run draws everything: the session is ready);
- the component holds its message back for a moment after a click on a link, and sends it
  only if the page is still there.

Once a session is ready, every later run draws everything at once (the bundles are loaded).
A run with no browser behind it (``AppTest``, a headless script run: no request headers)
has nobody to report a map, so it draws everything at once too.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.config import DashboardError
from dashboard.store import data

READY = "_map_ready"        # the session's map has been drawn once: draw everything at once
KEYS = "_deferred_keys"     # the fragments this run deferred (what the trigger reruns)
HOLD_MS = 1500              # a click on a link holds the ready message back this long (see _JS)
WAIT_MS = 4000              # no drawn map after this long (a page whose map failed): draw anyway

_JS = """
export default function(component) {
  const { setTriggerValue } = component;
  const started = performance.now();
  let done = false;
  let held = 0;          // until when a click on a link holds the message back
  let heldAt = '';
  // A click on a link of this tab (the page navigation) or a step back in the history before
  // the map is drawn: this page may be being left, so hold the message back. Sent now, it
  // would carry this page and could reach the server just behind the navigation's request,
  // which Streamlit merges into one run of this page: the click would be lost. When the page
  // did not change after all (its own link), the message goes once the app is idle again.
  const leave = (event) => {
    const link = event.type === 'click' && event.target.closest && event.target.closest('a[href]');
    if (event.type === 'popstate' || (link && link.target !== '_blank')) {
      held = performance.now() + %(hold)d;
      heldAt = location.href;
    }
  };
  const stop = () => {
    done = true;
    document.removeEventListener('click', leave, true);
    window.removeEventListener('popstate', leave);
  };
  document.addEventListener('click', leave, true);
  window.addEventListener('popstate', leave);
  const idle = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !app || app.getAttribute('data-test-script-state') !== 'running';
  };
  const send = () => { if (!done) { stop(); setTriggerValue('ready', true); } };
  const drawn = () => {
    for (const frame of document.querySelectorAll('iframe')) {
      try {
        const doc = frame.contentDocument;
        if (doc && doc.querySelector('.leaflet-overlay-pane .leaflet-interactive, .leaflet-marker-icon')) {
          return true;
        }
      } catch (e) { /* a frame of another origin: not a map of this page */ }
    }
    return false;
  };
  const poll = () => {
    if (done) return;
    if (held) {
      if (performance.now() < held || !idle()) { setTimeout(poll, 40); return; }
      if (location.href !== heldAt || !(component.parentElement && component.parentElement.isConnected)) {
        stop(); return;   // another page is shown: it has a trigger of its own
      }
      held = 0;
    }
    if (drawn() || performance.now() - started > %(wait)d) { send(); return; }
    setTimeout(poll, 40);
  };
  poll();
  return stop;   // unmounted (another page): no message, no listeners left behind
}
""" % {"wait": WAIT_MS, "hold": HOLD_MS}

_trigger = st.components.v2.component("fengtai_map_ready", js=_JS)


def _browser() -> bool:
    """A browser is behind this session (it sent request headers)."""
    try:
        return bool(st.context.headers)
    except Exception:  # noqa: BLE001 - no session context: a bare run
        return False


def waiting() -> bool:
    """This run draws the map first and the deferred parts after it."""
    return not st.session_state.get(READY) and _browser()


def later(key: str, draw: Callable[..., None], *args: object, placeholder: str = "…",
          early: Callable[..., None] | None = None) -> None:
    """``draw(*args)`` in a fragment keyed ``key``: now, or, while the page's map is not yet
    drawn in this session, once it is; until then ``early(*args)`` (a lighter drawing of the
    same part, e.g. the KPI cards without their sparklines) or a placeholder line."""
    def part(*part_args: object) -> None:
        if waiting():
            if early is not None:
                early(*part_args)
            else:
                st.caption(placeholder)
            return
        try:
            draw(*part_args)
        except data.StoreChanged:   # a new build swapped in between the map's run and this one
            st.rerun(scope="app")
        except DashboardError as exc:
            st.error(str(exc))

    if waiting():
        keys = st.session_state.setdefault(KEYS, [])
        if key not in keys:
            keys.append(key)
    st.fragment(part, key=key)(*args)


def begin() -> None:
    """At the start of a full run: no part deferred yet."""
    st.session_state[KEYS] = []


def _rerun_pending() -> bool:
    """Another rerun of this session is already waiting (e.g. the user clicked a page link
    while this run started)."""
    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    # Streamlit has no public reading of this; it is pinned, and with another version the
    # attribute's absence only brings back the plain behaviour below.
    state = getattr(requests, "_state", None)
    return getattr(state, "name", None) == "RERUN"


def _ready() -> None:
    st.session_state[READY] = True
    keys = st.session_state.pop(KEYS, [])
    if keys and not _rerun_pending():
        # ``st.rerun`` names this run's page. Streamlit merges it with a rerun already waiting
        # and keeps the newer request's page, so a navigation the user asked for meanwhile
        # would be turned back to this page. That waiting run draws everything anyway (READY).
        st.rerun(scope=keys)


def trigger() -> None:
    """At the end of a map page: the component that says when the map is drawn (only while
    some part waits for it)."""
    if waiting() and st.session_state.get(KEYS):
        # In a fragment of its own: its message is then a fragment's rerun, which leaves the
        # page's timed fragments running (a full-run message would stop their timers, e.g. the
        # store-down note's check that the database is back).
        st.fragment(_mount_trigger, key="ft_map_ready_host")()


def _mount_trigger() -> None:
    _trigger(key="ft_map_ready", on_ready_change=_ready, height=0)
