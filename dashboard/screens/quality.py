"""数据质量 Data quality (``/quality``): the last build report."""
from __future__ import annotations

import pandas as pd
import streamlit as st
from shapely.errors import GEOSException

from dashboard import i18n, state
from dashboard.exports.writers import neutralise_formulas
from dashboard.security import access, sessions
from dashboard.store import data
from dashboard.store.queries import with_zones, zone_labels, zone_names
from dashboard.web import ui, views
from loaders.schema import ZONE_MISMATCH


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` for display: layer codes as labels, headers in the session's language."""
    out = frame.copy()
    for column, kind in (("layer", "layer"), ("kind", "warning_kind"), ("precision", "precision")):
        if column in out.columns:
            out[column] = [i18n.enum_label(kind, v, lang) for v in out[column]]
    for column in ("row", "count"):  # whole numbers, empty where there is none (not "None")
        if column in out.columns:
            numbers = pd.to_numeric(out[column], errors="coerce")
            out[column] = ["" if pd.isna(v) else f"{int(round(v))}" for v in numbers]
    return out.rename(columns=lambda col: i18n.column_label(col, lang))


def in_language(frame: pd.DataFrame, column: str, lang: str) -> pd.DataFrame:
    """The report's text in the reader's language: ``column`` (Chinese) or ``column_en``, where the
    report has it (a report built before both were stored has Chinese only), the other dropped."""
    english = f"{column}_en"
    if lang == "en" and english in frame.columns:
        frame = frame.assign(**{column: frame[english].where(frame[english].notna(), frame.get(column))})
    return frame.drop(columns=[english], errors="ignore")


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_quality")
    report = data.report()
    if not report:
        st.warning(ui.t("q_report_missing"))
        return
    st.caption(f"{ui.t('q_built')}: {report.get('built_at', i18n.DASH)}")
    left, right = st.columns([1, 1.3], gap="medium")
    with left:
        _layer_counts(report, lang)
        _provenance(report, lang)
    with right:
        _rejects(report, lang)
    _warnings(report, lang)
    _repairs(report, lang)
    _zone_mismatches(lang)


def _layer_counts(report: dict, lang: str) -> None:
    layers = report.get("layers", {})
    counts = pd.DataFrame([{"layer": name, ui.t("q_read"): v.get("read"), ui.t("q_loaded"): v.get("loaded"),
                            ui.t("q_rejected"): v.get("rejected")} for name, v in layers.items()])
    if not counts.empty:
        counts.insert(0, i18n.column_label("layer", lang), [i18n.enum_label("layer", v, lang) for v in counts["layer"]])
        counts = counts.drop(columns="layer")  # the label says it; the raw code only doubled the column
    st.markdown(f"**{ui.t('q_layers')}**")
    st.dataframe(counts, hide_index=True, width="stretch",
                 column_config={ui.t(k): st.column_config.NumberColumn(format="localized")
                                for k in ("q_read", "q_loaded", "q_rejected")})


def _provenance(report: dict, lang: str) -> None:
    st.markdown(f"**{ui.t('q_provenance')}**")
    prov = report.get("provenance", {}) or {}
    # The titles are Chinese only: in English the layer's label names the row.
    rows = [{"layer": k, **({"title": v.get("title")} if lang == "zh" else {}), "precision": v.get("precision"),
             "note": v.get("display_zh") if lang == "zh" else v.get("notes"),
             "source": v.get("source"), "licence": v.get("licence")} for k, v in prov.items() if isinstance(v, dict)]
    st.dataframe(_labelled(pd.DataFrame(rows), lang), hide_index=True, width="stretch")


def _rejects(report: dict, lang: str) -> None:
    # The reason first after the place: on a projector the value column can be cut, the reason must not.
    rejects = pd.DataFrame(report.get("rejects", []),
                           columns=["layer", "file", "row", "column", "reason", "reason_en", "value"])
    rejects = in_language(rejects, "reason", lang)
    st.markdown(f"**{i18n.counted(ui.t('q_rejects'), len(rejects), lang)}**")
    c = st.columns([1, 2])
    pick = c[0].multiselect(ui.t("d_layer"), sorted(rejects["layer"].dropna().unique()), key=state.Q_LAYER,
                            placeholder=ui.t("f_all"), format_func=lambda v: i18n.enum_label("layer", v, lang))
    query = c[1].text_input(ui.t("q_search"), key=state.Q_SEARCH)
    shown = rejects
    if pick:
        shown = shown[shown["layer"].isin(pick)]
    if query:
        text = shown["reason"].astype(str) + " " + shown["value"].astype(str) + " " + shown["column"].astype(str)
        shown = shown[text.str.contains(query, case=False, regex=False)]
    st.dataframe(_labelled(shown, lang), hide_index=True,
                 width="stretch", height=300,
                 column_config={i18n.column_label("reason", lang): st.column_config.TextColumn(width="large")})
    if access.may_download(sessions.current_viewer(), "rejects"):   # roles allowed every layer
        info = ui.export_info(layer="rejects", filters={"layer": pick, "search": query}, fmt="csv", crs=None,
                              rows=len(shown), personal=sessions.current_viewer().personal)
        st.download_button(ui.t("q_download_rejects"), key=state.Q_DOWNLOAD,
                           data=ui.audited_download(lambda _: neutralise_formulas(shown).to_csv(index=False)
                                                    .encode("utf-8-sig"), info, page="quality"),
                           file_name=f"rejects_{str(report.get('built_at', ''))[:10]}.csv", mime="text/csv",
                           on_click="ignore")


def _warnings(report: dict, lang: str) -> None:
    st.markdown(f"**{i18n.counted(ui.t('q_warnings'), len(report.get('warnings', [])), lang)}**")
    warnings = pd.DataFrame([w if isinstance(w, dict) else {"message": str(w)} for w in report.get("warnings", [])])
    warnings = in_language(warnings, "message", lang).drop(columns=list(REPAIR_SHAPES), errors="ignore")
    st.dataframe(_labelled(warnings, lang), hide_index=True, width="stretch", height=220,
                 column_config={i18n.column_label("message", lang): st.column_config.TextColumn(width="large")})


REPAIR_SHAPES = ("geometry_before", "geometry_after")


def _repairs(report: dict, lang: str) -> None:
    """A before/after picture of every boundary the build repaired (kept with a warning)."""
    repaired = [w for w in report.get("warnings", []) if isinstance(w, dict) and w.get("kind") == "geometry_repaired"
                and w.get("geometry_before") and w.get("geometry_after")]
    if not repaired:
        return
    st.markdown(f"**{i18n.counted(ui.t('q_repairs'), len(repaired), lang)}**")
    for w in repaired:
        label = str(w.get("value") or w.get("layer") or "")
        with st.expander(label, expanded=len(repaired) <= 2):
            st.caption(w.get("message_en") if lang == "en" and w.get("message_en") else w.get("message", ""))
            try:
                st.markdown(views.repair_picture_svg(w["geometry_before"], w["geometry_after"], label, lang),
                            unsafe_allow_html=True)
            except (ValueError, TypeError, AttributeError, GEOSException) as exc:   # unreadable: say so
                st.caption(ui.t("q_repair_unreadable", error=str(exc)[:200]))


def _zone_mismatches(lang: str) -> None:
    projects = data.layer("projects")
    if ZONE_MISMATCH not in projects.columns:
        return
    names = zone_names(data.layer("zones"), lang)
    mism = with_zones(projects[projects[ZONE_MISMATCH].fillna(False).astype(bool)], "project_id",
                      data.members("projects"))
    st.markdown(f"**{i18n.counted(ui.t('q_mismatch'), len(mism), lang)}**")
    table = pd.DataFrame({i18n.column_label("project_id", lang): mism["project_id"],
                          i18n.column_label("name", lang): mism["name"],
                          i18n.column_label("zone_declared", lang): [names.get(z, z) for z in mism["zone_declared"]],
                          i18n.column_label("zone_ids", lang): [zone_labels(z, names, i18n.list_sep(lang))
                                                                for z in mism["zones"]],
                          i18n.column_label("street", lang): mism["street"]})
    st.dataframe(table, hide_index=True, width="stretch", height=220)


if __name__ == "__main__":
    render()
