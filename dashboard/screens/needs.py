"""企业诉求 Enterprise needs explorer (``/needs``): filters, KPI line, map and table in sync.

The filters (zone, street, category, status, overdue only, owner unit) live in the URL
(``?zone=&street=&category=&status=&overdue=1&owner=``, lists comma-separated) so a link opens
the same view. Rows come only through :func:`dashboard.store.data.rows` (the store runs the
SQL; the viewer's scope and the masking of personal data are applied there); the overdue
filter is applied to that result. A need's text (``summary``) is personal data: never on the
map, in the table only for a viewer with the personal-data grant.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n, state
from dashboard.maps import draw
from dashboard.security.sessions import current_viewer
from dashboard.store import data
from dashboard.store.queries import located_bounds, zone_names
from dashboard.web import ui, views
from loaders.rowfilter import RowFilter
from loaders.schema import NEED_CATEGORY_LABELS, NEED_STATUS_LABELS

# URL parameter -> widget key (lists); ``overdue=1`` is the checkbox.
URL_LISTS: dict[str, str] = {"zone": state.NF_ZONE, "street": state.NF_STREET, "category": state.NF_CATEGORY,
                             "status": state.NF_STATUS, "owner": state.NF_OWNER}
URL_KEYS = (*URL_LISTS, "overdue")
TABLE_COLUMNS = ("need_id", "enterprise_name", "category", "status", "raised_at", "closed_at", "days_open",
                 "overdue", "owner_unit", "station_id")


def _split(value: object) -> list[str]:
    return list(dict.fromkeys(v for v in (s.strip() for s in str(value or "").split(",")) if v))


def _mine(params: dict[str, str]) -> dict[str, str]:
    """The URL parameters this page owns."""
    return {k: str(v) for k, v in params.items() if k in URL_KEYS and v not in (None, "")}


def _seed(options: dict[str, list[str]]) -> None:
    """Fill the widgets from the URL on the first visit and whenever a link brings parameters
    other than the ones this page last wrote; back from another page without parameters, the
    filters this page last wrote return (Streamlit drops the state of widgets not drawn)."""
    mine = _mine(st.query_params.to_dict())
    seeded = bool(st.session_state.get(state.NF_SEEDED))
    complete = all(key in st.session_state for key in (*URL_LISTS.values(), state.NF_OVERDUE))
    if seeded and complete and (not mine or mine == st.session_state.get(state.NF_URL)):
        return
    if seeded and not mine:
        mine = dict(st.session_state.get(state.NF_URL) or {})
    st.session_state.update({key: [v for v in _split(mine.get(param)) if v in options[param]]
                             for param, key in URL_LISTS.items()})
    st.session_state[state.NF_OVERDUE] = mine.get("overdue", "") in ("1", "true", "yes")
    st.session_state[state.NF_URL] = mine
    st.session_state[state.NF_SEEDED] = True


def _reset() -> None:
    st.session_state.update({key: [] for key in URL_LISTS.values()})
    st.session_state[state.NF_OVERDUE] = False


def _overdue_limit() -> float:
    """The build's overdue limit in days (``zone_stats.needs_overdue_days``; 30 for an older store)."""
    stats = data.zone_stats()
    if "needs_overdue_days" in stats:
        known = pd.to_numeric(stats["needs_overdue_days"], errors="coerce").dropna()
        if len(known):
            return float(known.iloc[0])
    return 30.0


def _in_zones(needs: pd.DataFrame, zones: list[str]) -> np.ndarray:
    """Rows whose ``zone_ids`` (",a,b,") names any of ``zones``."""
    ids = needs["zone_ids"].fillna("").astype(str) if "zone_ids" in needs else pd.Series("", index=needs.index)
    hit = np.zeros(len(needs), dtype=bool)
    for z in zones:
        hit |= ids.str.contains(f",{z},", regex=False).to_numpy(bool)
    return hit


def _options(all_needs: gpd.GeoDataFrame, streets_layer: gpd.GeoDataFrame, names: dict[str, str],
             narrow: bool = True) -> dict:
    """Every filter's options: zones and categories in their order, the streets and owner units
    the viewer's needs name (streets narrowed to the chosen zones' unless ``narrow`` is False);
    a chosen value stays listed."""
    chosen_zones = [z for z in st.session_state.get(state.NF_ZONE) or [] if z in names] if narrow else []
    in_zone = all_needs[_in_zones(all_needs, chosen_zones)] if chosen_zones else all_needs
    present = set(in_zone["street"].dropna().astype(str))
    streets = [s for s in streets_layer["name"] if s in present]
    streets += sorted(present - set(streets))
    streets += [s for s in st.session_state.get(state.NF_STREET) or [] if s not in streets]
    owners = sorted(all_needs["owner_unit"].dropna().astype(str).unique()) if "owner_unit" in all_needs else []
    return {"zone": list(names), "street": streets, "category": list(NEED_CATEGORY_LABELS),
            "status": list(NEED_STATUS_LABELS), "owner": owners}


def _filter_widgets(options: dict[str, list[str]], names: dict[str, str], days: str, lang: str) -> None:
    def label(column: str) -> str:
        return i18n.column_label(column, lang, "needs")

    with st.container(border=True):
        c = st.columns([1.5, 1.4, 1.3, 1, 1.6])
        c[0].multiselect(ui.t("f_zone"), options["zone"], key=state.NF_ZONE, placeholder=ui.t("f_all"),
                         format_func=lambda z: names.get(z, z))
        c[1].multiselect(ui.t("f_street"), options["street"], key=state.NF_STREET, placeholder=ui.t("f_all"))
        c[2].multiselect(label("category"), options["category"], key=state.NF_CATEGORY, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("need_category", v, lang))
        c[3].multiselect(ui.t("ne_status"), options["status"], key=state.NF_STATUS, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("need_status", v, lang))
        c[4].multiselect(label("owner_unit"), options["owner"], key=state.NF_OWNER, placeholder=ui.t("f_all"))
        d = st.columns([3, 1], vertical_alignment="center")
        d[0].checkbox(ui.t("ne_overdue_only", days=days), key=state.NF_OVERDUE, help=ui.t("ne_overdue_help", days=days))
        d[1].button(ui.t("reset_filters"), on_click=_reset, width="stretch")


def _selection(names: dict[str, str]) -> gpd.GeoDataFrame:
    """The needs the widgets select: zone, street, category, status and owner unit in the
    store's SQL (through data.py: scope and masking applied), overdue on the result."""
    values = {column: tuple(st.session_state.get(key) or ())
              for column, key in (("category", state.NF_CATEGORY), ("status", state.NF_STATUS),
                                  ("owner_unit", state.NF_OWNER))}
    flt = RowFilter("needs", zones=tuple(z for z in st.session_state.get(state.NF_ZONE) or [] if z in names),
                    streets=tuple(st.session_state.get(state.NF_STREET) or ()),
                    values={c: v for c, v in values.items() if v})
    needs = data.rows(flt)
    if st.session_state.get(state.NF_OVERDUE):
        needs = needs[_overdue_mask(needs)]
    return needs


def _overdue_mask(needs: pd.DataFrame) -> np.ndarray:
    if "overdue" not in needs:
        return np.zeros(len(needs), dtype=bool)
    return needs["overdue"].astype("boolean").fillna(False).to_numpy(bool)


def _kpis(needs: pd.DataFrame, days: str, lang: str) -> None:
    n = len(needs)
    is_open = needs["status"].eq("open").fillna(False).to_numpy(bool) if n else np.zeros(0, dtype=bool)
    closed = int((needs["status"] == "closed").sum()) if n else 0
    open_days = pd.to_numeric(needs.loc[is_open, "days_open"], errors="coerce").dropna() if n else pd.Series(dtype=float)
    median = f"{float(open_days.median()):,.0f} {ui.t('nd_days')}" if len(open_days) else i18n.DASH
    ui.kpi_row([(ui.t("ne_shown"), i18n.fmt_int(n, lang), ui.t("ne_shown_help")),
                (ui.t("nd_open"), i18n.fmt_int(int(is_open.sum()), lang), ui.t("ne_open_help")),
                (ui.t("nd_overdue", days=days), i18n.fmt_int(int(_overdue_mask(needs).sum()), lang),
                 ui.t("ne_overdue_help", days=days)),
                (ui.t("nd_closure"), i18n.fmt_pct(closed / n if n else None, lang), ui.t("ne_closure_help")),
                (ui.t("nd_median"), median, ui.t("ne_median_help"))])


def _needs_map(needs: gpd.GeoDataFrame, zones_layer, streets_layer, limit: float, days: str,  # noqa: ANN001
               lang: str) -> int:
    """The map of the selection's located needs, fitted to them; returns how many are drawn."""
    bm = ui.basemap()
    points = views.needs_explorer_for_map(draw.display_points(needs, bm.display_crs), limit,
                                          draw.NEED_LONG_DAYS, lang)
    located = needs[needs.geometry.notna().to_numpy(bool) & ~needs.geometry.is_empty.to_numpy(bool)]
    bounds = located_bounds(located) or tuple(float(v) for v in streets_layer.total_bounds)
    zones_disp = views.zones_for_map(draw.display_polygons(zones_layer, bm.display_crs),
                                     data.zones_table(), None, "", str, lang)
    streets_disp = views.streets_for_map(draw.display_polygons(streets_layer, bm.display_crs),
                                         data.streets_table(), None, "", str, lang)
    legend = [(ui.t("nd_age_fresh", days=days), draw.NEED_AGE_COLOURS["fresh"]),
              (ui.t("nd_age_overdue", days=days), draw.NEED_AGE_COLOURS["overdue"]),
              (ui.t("nd_age_long", days=f"{draw.NEED_LONG_DAYS:g}"), draw.NEED_AGE_COLOURS["long"]),
              (ui.t("ne_closed"), draw.NEED_CLOSED_COLOUR)]
    m = draw.needs_map(needs=points, zones=zones_disp, streets=streets_disp, bounds=bounds,
                       legend_title=ui.t("ne_map_legend"), legend_items=legend, layer_name=ui.t("ne_layer"),
                       basemap=bm, note=ui.basemap_note(bm))
    st_folium(m, render=False, key="needs_map", height=560, use_container_width=True, returned_objects=[])
    if len(points) > draw.NEEDS_GEOJSON_MAX:
        st.caption(ui.t("ne_clustered"))
    return len(points)


def _table(needs: pd.DataFrame, lang: str) -> None:
    """The selection as a table with Chinese headers: open needs first, longest open on top."""
    def label(column: str) -> str:
        return i18n.column_label(column, lang, "needs")

    order = needs.assign(_open=needs["status"].eq("open").fillna(False).astype(int),
                         _days=pd.to_numeric(needs["days_open"], errors="coerce").fillna(-1)) \
        .sort_values(["_open", "_days", "need_id"], ascending=[False, False, True])
    out = pd.DataFrame({label(c): _column(order, c, lang) for c in TABLE_COLUMNS if c in order})
    if current_viewer().can_see_personal_data() and "summary" in order:
        out[label("summary")] = order["summary"].fillna("").astype(str).to_numpy()
    st.caption(ui.t("table_rows", n=i18n.fmt_int(len(out))))
    st.dataframe(out, hide_index=True, width="stretch", height=420)
    if not current_viewer().can_see_personal_data():
        st.caption(ui.t("nd_summary_hidden"))


def _column(frame: pd.DataFrame, column: str, lang: str) -> np.ndarray:
    values = frame[column]
    if column == "category":
        return np.array([i18n.enum_label("need_category", v, lang) for v in values], dtype=object)
    if column == "status":
        return np.array([i18n.enum_label("need_status", v, lang) for v in values], dtype=object)
    if column in ("raised_at", "closed_at"):
        return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d").fillna(i18n.DASH).to_numpy()
    if column == "days_open":
        return pd.to_numeric(values, errors="coerce").to_numpy()
    if column == "overdue":
        return values.astype("boolean").fillna(False).to_numpy(bool)
    return values.fillna(i18n.DASH).astype(str).to_numpy()


def _write_url() -> None:
    """The URL says the filter (other parameters, e.g. the language, are kept)."""
    params = st.query_params.to_dict()
    query = {k: v for k, v in params.items() if k not in URL_KEYS}
    for param, key in URL_LISTS.items():
        chosen = st.session_state.get(key) or []
        if chosen:
            query[param] = ",".join(chosen)
    if st.session_state.get(state.NF_OVERDUE):
        query["overdue"] = "1"
    st.session_state[state.NF_URL] = _mine(query)
    if params != query:
        st.query_params.from_dict(query)


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_needs")
    limit = _overdue_limit()
    days = f"{limit:g}"
    st.caption(ui.t("ne_intro", as_of=data.as_of() or i18n.DASH))
    zones_layer, streets_layer = data.layer("zones"), data.layer("streets")
    names = zone_names(zones_layer, lang)
    all_needs = data.rows(RowFilter("needs"))
    _seed(_options(all_needs, streets_layer, names, narrow=False))
    options = _options(all_needs, streets_layer, names)
    _filter_widgets(options, names, days, lang)
    needs = _selection(names)
    _kpis(needs, days, lang)
    if not len(needs):
        say, act = st.columns([5, 1.2], vertical_alignment="center")
        say.warning(ui.t("ne_no_match"), icon=":material/filter_alt_off:")
        act.button(ui.t("x_clear"), key="nf_clear_no_match", on_click=_reset, width="stretch")
    n_map = _needs_map(needs, zones_layer, streets_layer, limit, days, lang)
    n_all = len(needs)
    counts = ui.t("ne_counts", n=i18n.fmt_int(n_all), m=i18n.fmt_int(n_map), k=i18n.fmt_int(n_all - n_map))
    st.markdown(f'<div data-testid="ft-needs-counts" data-map="{n_map}" data-table="{n_all}">'
                f"{views.esc(counts)}</div>", unsafe_allow_html=True)
    if n_all:
        _table(needs, lang)
    _write_url()


if __name__ == "__main__":
    render()
