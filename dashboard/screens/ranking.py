"""接诉即办排名 The 12345 street ranking (``/ranking?month=YYYY-MM&street=<name>``): the month's
ranking of the 26 streets and towns from ``street_ranking`` (街道 and 镇 ranked separately, as
Beijing publishes them), the lowest three highlighted, a map of the ranks and one street's rank
over 12 months. Reads, calls pure helpers, draws."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n
from dashboard.briefing import change
from dashboard.maps import draw
from dashboard.store import data
from dashboard.store.queries import display_name
from dashboard.web import ui, views

GROUPS = (("街道", "rk_group_street"), ("镇", "rk_group_town"))
LOWEST = 3
DEFAULT_WEIGHTS = (0.10, 0.45, 0.45)


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_ranking")
    ranking = data.street_ranking()
    scope = data.current_scope()
    if ranking.empty and not scope.whole:   # a zone scope ranks no street: say that, not "rebuild"
        st.info(ui.t("scope_no_streets", scope=ui.scope_label(scope)))
        return
    if ranking.empty:
        st.info(ui.t("rk_none"))
        return
    ranking = ranking.assign(_m=pd.to_datetime(ranking["month"]).dt.strftime("%Y-%m"))
    months = sorted(ranking["_m"].unique())
    month = _pick_month(months)
    st.caption(_weights_note())
    streets = data.streets_table()
    names = {s: display_name(s, streets["name_en"].get(s) if "name_en" in streets else None, lang)
             for s in ranking["street"].unique()}
    this = ranking[ranking["_m"] == month]
    cols = st.columns(len(GROUPS), gap="medium")
    for col, (group, key) in zip(cols, GROUPS):
        with col:
            _group_table(this[this["group"] == group], ui.t(key), names, lang)
    left, right = st.columns([1.3, 1], gap="medium")
    with left:
        clicked = _rank_map(this, streets, names, month, lang)
    with right:
        _rank_line(ranking, months, month, names, clicked, lang)


def _pick_month(months: list[str]) -> str:
    """The month on screen: ``?month=`` when the ranking has it (else the latest, said); the URL
    is the state, so a shared link and a reload show the same month."""
    asked = st.query_params.get("month")
    chosen = change.pick_period(asked, months)
    if asked and asked != chosen:
        st.info(ui.t("rk_no_month", month=asked, shown=chosen))
    newest_first = list(reversed(months))
    month = st.selectbox(ui.t("rk_month"), newest_first, index=newest_first.index(chosen))
    if st.query_params.get("month") != month:
        st.query_params["month"] = month
    return month


def _weights_note() -> str:
    weights = data.report().get("ranking_weights") or DEFAULT_WEIGHTS
    if isinstance(weights, dict):
        weights = (weights.get("response"), weights.get("resolution"), weights.get("satisfaction"))
    r, s, m = (f"{float(w):g}" for w in weights)
    return ui.t("rk_weights", r=r, s=s, m=m)


def change_text(value: object, lang: str) -> str:
    """``↑3`` / ``↓2`` / ``—`` (same rank) / ``新上榜`` (not ranked last month)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return i18n.t("rk_new", lang)
    n = int(value)
    return i18n.t("rk_up", lang, n=n) if n > 0 else i18n.t("rk_down", lang, n=-n) if n < 0 else "—"


def ranking_table(rows: pd.DataFrame, names: dict[str, str], lang: str) -> pd.DataFrame:
    """One group's rows for people, best first: rank, street, change, score, the rates, cases."""
    rows = rows.sort_values(["rank", "street"])
    return pd.DataFrame({
        i18n.t("rk_rank", lang): rows["rank"].astype(int).to_numpy(),
        i18n.column_label("street", lang): [names.get(s, s) for s in rows["street"]],
        i18n.t("rk_change", lang): [change_text(v, lang) for v in rows["rank_change"]],
        i18n.t("rk_score", lang): rows["score"].round(1).to_numpy(),
        ui.metric_label("response_rate", lang): [i18n.fmt_pct(v, lang) for v in rows["response_rate"]],
        ui.metric_label("resolution_rate", lang): [i18n.fmt_pct(v, lang) for v in rows["resolution_rate"]],
        ui.metric_label("satisfaction_rate", lang): [i18n.fmt_pct(v, lang) for v in rows["satisfaction_rate"]],
        i18n.t("rk_cases", lang): rows["cases"].astype(int).to_numpy(),
        i18n.t("rk_per_10k", lang): [i18n.DASH if pd.isna(v) else f"{v:,.1f}" for v in rows["cases_per_10k"]],
    })


def _group_table(rows: pd.DataFrame, title: str, names: dict[str, str], lang: str) -> None:
    st.markdown(f"**{title}**（{len(rows)}）" if lang != "en" else f"**{title}** ({len(rows)})")
    if rows.empty:
        st.caption(ui.t("no_data"))
        return
    table = ranking_table(rows, names, lang)
    lowest = min(LOWEST, len(rows) - 1)   # of two towns only the lower one is "the lowest"
    worst = set(rows.sort_values("rank", ascending=False).head(lowest)["street"].map(lambda s: names.get(s, s)))
    street_col = i18n.column_label("street", lang)
    styled = table.style.apply(lambda r: ["background-color: #fde0dc; color: #8b1a10" if r[street_col] in worst
                                          else "" for _ in r], axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", height=38 + 35 * len(table),
                 column_config={i18n.t("rk_score", lang): st.column_config.NumberColumn(format="%.1f")})
    st.caption(ui.t("rk_lowest"))


def _rank_map(this: pd.DataFrame, streets: pd.DataFrame, names: dict[str, str], month: str, lang: str) -> str | None:
    """The ranks on the map: each street coloured by its rank within its group (darker = lower)."""
    st.markdown(f"**{ui.t('rk_map')} · {month}**")
    by_street = this.set_index("street")
    size = this.groupby("group")["rank"].transform("max").set_axis(this["street"])
    summary = pd.DataFrame({"rank_share": by_street["rank"] / size.reindex(by_street.index)},
                           index=by_street.index).reindex(streets.index)
    summary["rank"] = by_street["rank"].reindex(streets.index)
    bm = ui.basemap()
    street_shapes = views.streets_for_map(draw.display_polygons(data.layer("streets"), bm.display_crs), summary,
                                          "rank_share", ui.t("rk_rank"), lambda v: "", lang)
    ranks = summary["rank"].reindex(street_shapes["name"]).to_numpy()
    street_shapes["tip"] = [f"<b>{views.esc(names.get(n, n))}</b><br>{views.esc(ui.t('rk_rank'))} "
                            f"{'—' if pd.isna(r) else int(r)}" for n, r in zip(street_shapes["name"], ranks)]
    zones = views.zones_for_map(draw.display_polygons(data.layer("zones"), bm.display_crs), data.zones_table(),
                                None, "", str, lang)
    m = draw.overview_map(zones=zones, streets=street_shapes, target="streets", legend_title=ui.t("rk_map_legend"),
                          fmt=lambda v: f"{v:.0%}", no_data=ui.t("no_data"), basemap=bm, note=ui.basemap_note(bm),
                          layer_names=(ui.t("lyr_zones"), ui.t("lyr_streets")), breaks=(0.0, 0.25, 0.5, 0.75, 1.0))
    result = st_folium(m, render=False, key="ranking_map", height=460, use_container_width=True,
                       returned_objects=["last_active_drawing"])
    name = ui.clicked_properties(result).get("name")
    return name if isinstance(name, str) else None


def rank_series(ranking: pd.DataFrame, street: str, months: list[str], month: str) -> pd.DataFrame:
    """The street's rank in each of the 12 months up to ``month`` that ranked it."""
    window = [m for m in months if m <= month][-12:]
    rows = ranking[(ranking["street"] == street) & ranking["_m"].isin(window)]
    return rows[["_m", "rank"]].rename(columns={"_m": "month"}).sort_values("month")


def _rank_line(ranking: pd.DataFrame, months: list[str], month: str, names: dict[str, str], clicked: str | None,
               lang: str) -> None:
    options = sorted(ranking["street"].unique(), key=lambda s: names.get(s, s))
    asked = clicked or st.query_params.get("street")
    index = options.index(asked) if asked in options else 0
    street = st.selectbox(ui.t("rk_pick_street"), options, index=index, format_func=lambda s: names.get(s, s))
    if st.query_params.get("street") != street:
        st.query_params["street"] = street
    series = rank_series(ranking, street, months, month)
    st.markdown(f"**{ui.t('rk_line_title', street=names.get(street, street))}**")
    if series.empty:
        st.caption(ui.t("no_data"))
        return
    worst = int(ranking.groupby("group")["rank"].max().max())
    chart = alt.Chart(series).mark_line(point=True).encode(
        x=alt.X("month:O", title=None),
        y=alt.Y("rank:Q", title=ui.t("rk_rank"), scale=alt.Scale(reverse=True, domain=[1, worst]),
                axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("month:O", title=ui.t("rk_month")), alt.Tooltip("rank:Q", title=ui.t("rk_rank"))])
    st.altair_chart(chart.properties(height=300), width="stretch")


if __name__ == "__main__":
    render()
