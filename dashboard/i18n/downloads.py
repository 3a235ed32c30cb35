"""Strings of the downloads page and the files it writes (exports): key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # exports (issue 11: owned by the exports work; add keys here only)
    "dx_yes": ("是", "Yes"),
    "dx_no": ("否", "No"),
    "dx_placement_coordinates": ("按坐标落点", "By coordinates"),
    "dx_placement_snapped": ("吸附至最近街镇", "Snapped to the nearest street"),
    "dx_placement_street": ("按街镇统计（无坐标）", "By street (no coordinates)"),
    "dx_col_export_crs": ("导出坐标系", "Export CRS"),
    "dx_col_source_crs": ("来源坐标系（已转换）", "Source CRS (already converted)"),
    "dx_col_wkt": ("几何(WKT)", "Geometry (WKT)"),
    "dx_headers": ("表头与取值", "Headers and values"),
    "dx_headers_help": ("用于 CSV 和 XLSX：中文表头与取值便于阅读，代码另列（如 status_code）供程序使用；机器表头用英文字段名和代码。"
                        "空间格式（GeoJSON、GeoPackage、Shapefile）始终用字段名和代码。",
                        "For CSV and XLSX: readable headers and labels, with the codes in their own columns (e.g. "
                        "status_code) for programs; machine headers use field names and codes. Spatial formats "
                        "(GeoJSON, GeoPackage, Shapefile) always use field names and codes."),
    "dx_headers_labels": ("中文表头与取值", "Readable headers and labels"),
    "dx_headers_codes": ("机器表头（字段名与代码）", "Machine headers (field names and codes)"),
    "dx_received": ("受理日期", "Received between"),
    "dx_category": ("诉求类别", "Category"),
    "dx_need_status": ("办理状态", "Status"),
    "dx_owner_unit": ("责任单位", "Owner unit"),
    "personal_hidden_needs": ("诉求内容属于个人信息：当前未配置可查看个人信息的角色，已在页面、地图和下载中隐藏。",
                              "The needs' text is personal data: no role allowed to see it is configured, so it is "
                              "hidden in pages, maps and downloads."),
    "personal_masked_needs": ("诉求内容属于个人信息，已隐去（***）；查看完整内容需要 pii 授权。",
                              "The needs' text is personal data, hidden (***); the pii grant is needed to see it."),
    "personal_full_needs": ("本页含完整的诉求内容（个人信息）：查看与下载均记入审计日志，请依法使用。",
                            "This page shows the needs' text in full (personal data): viewing and downloading are "
                            "recorded in the audit log. Use it lawfully."),
    "dx_crs_note": ("文件的 export_crs 列、元数据和文件名注明本文件的坐标系；源数据的坐标系只保留在“来源坐标系（已转换）”列，"
                    "坐标已转换，请勿再次转换。",
                    "The export_crs column, the file's metadata and its name state the file's own coordinate system; "
                    "the source's is kept only as “Source CRS (already converted)”: do not convert the coordinates again."),
    "dx_data_date": ("数据时间 {time}，写入文件名。", "Data as of {time}; the file name carries it."),
    "dx_xlsx_limit": ("所选 {n} 行超过 Excel 单个工作表的上限 {max} 行，无法导出为 XLSX。请改用 CSV 或 GeoPackage，或缩小筛选范围。",
                      "{n} rows are more than an Excel sheet holds ({max}): XLSX is not available. "
                      "Choose CSV or GeoPackage, or narrow the filter."),
    "dx_large": ("共 {n} 行：文件在后台生成，期间看板照常可用。", "{n} rows: the file is made in the background; "
                 "the dashboard stays usable meanwhile."),
    "dx_prepare": ("生成文件", "Prepare the file"),
    "dx_progress": ("正在生成 {name}：{done} / {total} 行", "Preparing {name}: {done} / {total} rows"),
    "dx_ready": ("文件已生成：{name}（{size}）。", "The file is ready: {name} ({size})."),
    "dx_failed": ("文件生成失败：{error}", "The file could not be made: {error}"),
    "dx_cancel": ("取消", "Cancel"),
    "dx_again": ("重新生成", "Prepare again"),
    "dx_served": ("{name} 已下载，文件已从服务器删除；如需再次下载请重新生成。",
                  "{name} was downloaded and removed from the server; prepare it again to download it again."),
    "dx_link_note": ("下载即记入审计日志；文件下载完成后即从服务器删除，链接仅可使用一次。",
                     "The download is recorded in the audit log; the file is removed from the server once "
                     "downloaded: the link works once."),
    "dx_cancelled": ("已取消生成。", "Preparing was cancelled."),
    "dx_stale": ("筛选、格式或坐标系已更改，下面的文件是之前的选择。", "The filter, format or CRS changed: "
                 "the file below is of the earlier selection."),
    # downloads
    "d_layer": ("数据图层", "Layer"),
    "d_format": ("文件格式", "Format"),
    "d_crs": ("坐标系", "Coordinate system"),
    "d_rows": ("将导出行数", "Rows to export"),
    "d_button": ("下载", "Download"),
    "d_filename": ("文件名", "File name"),
    "d_crs_gcj_note": ("GCJ-02 用于高德等国内地图工具；GIS软件中请按 EPSG:4326 读入后理解为GCJ-02偏移坐标。",
                       "GCJ-02 is for Amap-based tools; GIS software reads it as EPSG:4326 with GCJ-02-shifted positions."),
    "d_formula_note": ("CSV/XLSX 中以 = + - @ 开头的单元格已加前缀 ' 以防公式注入。",
                       "Cells starting with = + - @ are prefixed with ' in CSV/XLSX to prevent formula injection."),
    "d_crs_gcj02": ("GCJ-02（高德 Amap）", "GCJ-02 (Amap)"),
    "d_preview": ("预览（前 {n} 行）", "Preview (first {n} rows)"),
    "d_no_coords": ("无坐标的记录在空间格式中几何为空，在CSV/XLSX中经纬度为空。",
                    "Records without coordinates have empty geometry (spatial formats) or empty lon/lat (CSV/XLSX)."),
}
