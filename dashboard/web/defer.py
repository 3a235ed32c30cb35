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

Once a session is ready, every later run draws everything at once (the bundles are loaded).
A run with no browser behind it (``AppTest``, a headless script run: no request headers)
has nobody to report a map, so it draws everything at once too.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.config import DashboardError
from dashboard.store import data

READY = "_map_ready"        # the session's map has been drawn once: draw everything at once
KEYS = "_deferred_keys"     # the fragments this run deferred (what the trigger reruns)
WAIT_MS = 4000              # no drawn map after this long (a page whose map failed): draw anyway

_JS = """
export default function(component) {
  const { setTriggerValue } = component;
  const started = performance.now();
  let sent = false;
  const send = () => { if (!sent) { sent = true; setTriggerValue('ready', true); } };
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
    if (sent) return;
    if (drawn() || performance.now() - started > %(wait)d) { send(); return; }
    setTimeout(poll, 40);
  };
  poll();
}
""" % {"wait": WAIT_MS}

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


def _ready() -> None:
    st.session_state[READY] = True
    keys = st.session_state.pop(KEYS, [])
    if keys:
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
