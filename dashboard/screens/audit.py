"""审计与用户 Audit and users (``/audit``, admins only): the audit trail with filters and a CSV
export, the open sessions (an admin may end them), and the users of the users file (never
their password hashes)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard import i18n
from dashboard.exports.writers import ExportInfo, neutralise_formulas
from dashboard.security import access, audit, sessions
from dashboard.security.session_store import SessionStoreError
from dashboard.security.users import listing
from dashboard.store import data
from dashboard.web import ui

LIMIT = 10_000
A_PERIOD, A_USER, A_EVENT, A_LAYER, A_EXPORT = "a_period", "a_user", "a_event", "a_layer", "a_export"
A_SESSIONS_PICK, A_SESSIONS_END = "a_sessions_pick", "a_sessions_end"


def _local(stamp: pd.Series) -> pd.Series:
    """UTC times as this server's local time, to the second."""
    tz = datetime.now().astimezone().tzinfo
    return stamp.dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M:%S")


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` for display: event and role names in the session's language, blanks for missing."""
    out = frame.astype(object).where(frame.notna(), "")
    if "event" in out.columns:
        out["event"] = [audit.EVENTS.get(e, (e, e))[1 if lang == "en" else 0] for e in out["event"]]
    if "role" in out.columns:
        out["role"] = [i18n.role_label(r, lang) if r in access.ROLES else (r or "") for r in out["role"]]
    return out.rename(columns=lambda c: i18n.t(f"ac_{c}", lang) if f"ac_{c}" in i18n.STRINGS else c)


def _log_tab(log: audit.AuditLog, lang: str) -> None:
    st.caption(ui.t("a_append_only", where=log.target if log.is_file else "PostgreSQL table audit_log"))
    today = date.today()
    c = st.columns([1.3, 1.2, 1.6, 1.2])
    period = c[0].date_input(ui.t("a_period"), (today - timedelta(days=7), today), key=A_PERIOD, max_value=today)
    start, end = (period if isinstance(period, tuple) and len(period) == 2 else (today, today))
    since = datetime.combine(start, time.min).astimezone()
    until = datetime.combine(end + timedelta(days=1), time.min).astimezone()
    recent = log.read(since=since, until=until, limit=LIMIT)
    users = c[1].multiselect(ui.t("a_user"), sorted(recent["user"].dropna().unique()), key=A_USER,
                             placeholder=ui.t("f_all"))
    events = c[2].multiselect(ui.t("a_event"), list(audit.EVENTS), key=A_EVENT, placeholder=ui.t("f_all"),
                              format_func=lambda e: audit.EVENTS[e][1 if lang == "en" else 0])
    layers = c[3].multiselect(ui.t("a_layer"), sorted(recent["layer"].dropna().unique()), key=A_LAYER,
                              placeholder=ui.t("f_all"))
    shown = log.read(since=since, until=until, users=users, events=events, layers=layers, limit=LIMIT)
    shown = shown.drop(columns="id").assign(at=lambda f: _local(f["at"]))
    st.caption(ui.t("a_count", n=i18n.fmt_int(len(shown)), limit=i18n.fmt_int(LIMIT)))
    st.dataframe(_labelled(shown, lang), hide_index=True, width="stretch", height=420)
    viewer = sessions.current_viewer()
    info = ExportInfo(user=viewer.name, role=viewer.role or "-", layer="audit_log",
                      filters=audit.filters_text({"from": str(start), "to": str(end), "user": users, "event": events,
                                                  "layer": layers}),
                      fmt="csv", crs=None, rows=len(shown), personal_data=access.PERSONAL_NONE)
    st.download_button(ui.t("a_export"), key=A_EXPORT, icon=":material/download:", on_click="ignore",
                       file_name=f"audit_log_{start:%Y%m%d}-{end:%Y%m%d}.csv", mime="text/csv",
                       data=ui.audited_download(lambda _: neutralise_formulas(shown).to_csv(index=False)
                                                .encode("utf-8-sig"), info, page="audit"))


def _users_tab(lang: str) -> None:
    st.caption(ui.t("a_users_note"))
    path = data.settings().users
    if path is None:
        st.info(ui.t("a_no_users_file"))
        return
    rows = pd.DataFrame(listing(path, sessions.now()),
                        columns=["name", "role", "grants", "scopes", "status", "created", "changed"])
    rows["status"] = [ui.t("a_status_active") if s == "active" else ui.t("a_status_disabled") if s == "disabled"
                      else ui.t("a_status_locked", until=s.removeprefix("locked until ")) for s in rows["status"]]
    st.dataframe(_labelled(rows, lang), hide_index=True, width="stretch")


def _end_chosen() -> None:
    """The end button's callback: end the chosen sessions (each recorded)."""
    chosen = st.session_state.get(A_SESSIONS_PICK) or []
    n = sessions.end_sessions(data.settings(), [c.split(" ", 1)[0] for c in chosen])
    st.session_state[A_SESSIONS_PICK] = []
    st.toast(ui.t("a_sessions_ended", n=n))


def _sessions_tab(lang: str) -> None:
    st.caption(ui.t("a_sessions_note"))
    try:
        rows = sessions.session_rows(data.settings())
    except SessionStoreError as exc:
        st.error(str(exc))
        return
    if not rows:
        st.info(ui.t("a_sessions_none"))
        return
    frame = pd.DataFrame(rows, columns=["ref", "user", "created", "last_seen", "client", "status", "id_hash"])
    for column in ("created", "last_seen"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["status"] = [ui.t(f"a_session_{s}") for s in frame["status"]]
    st.dataframe(_labelled(frame.drop(columns="id_hash"), lang), hide_index=True, width="stretch")
    # the options carry the full hash (never the session id); they are shown by reference and user
    labels = {f"{r['id_hash']} {r['user']}": f"{r['ref']} · {r['user']} · {r['client']}" for r in rows}
    st.multiselect(ui.t("a_sessions_pick"), list(labels), key=A_SESSIONS_PICK, format_func=labels.get,
                   placeholder=ui.t("a_sessions_pick"))
    st.button(ui.t("a_sessions_end"), key=A_SESSIONS_END, on_click=_end_chosen, icon=":material/logout:",
              disabled=not st.session_state.get(A_SESSIONS_PICK))


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_audit")
    log = sessions.audit_log(data.settings())
    tab_log, tab_sessions, tab_users = st.tabs([ui.t("a_log"), ui.t("a_sessions"), ui.t("a_users")])
    with tab_log:
        try:
            _log_tab(log, lang)
        except audit.AuditError as exc:
            st.error(str(exc))
    with tab_sessions:
        _sessions_tab(lang)
    with tab_users:
        _users_tab(lang)


if __name__ == "__main__":
    render()
