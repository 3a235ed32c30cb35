"""Strings of the data-quality page (/quality): key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # quality
    "q_built": ("数据生成时间", "Built at"),
    "q_layers": ("各图层读入、入库与拒收行数", "Rows read, loaded and rejected per layer"),
    "q_read": ("读入", "Read"),
    "q_loaded": ("入库", "Loaded"),
    "q_rejected": ("拒收", "Rejected"),
    "q_rejects": ("拒收记录及原因", "Rejected rows and reasons"),
    "q_search": ("按原因或取值搜索", "Search reason or value"),
    "q_warnings": ("警告", "Warnings"),
    "q_mismatch": ("申报功能区与坐标不一致的项目", "Projects whose declared zone disagrees with their location"),
    "q_provenance": ("边界来源与精度", "Boundary provenance and precision"),
    "q_download_rejects": ("下载拒收记录 (CSV)", "Download rejected rows (CSV)"),
    "q_none": ("无", "none"),
    "q_repairs": ("自动修复的边界", "Boundaries repaired by the build"),
    "q_repair_unreadable": ("无法绘制此边界：{error}", "This boundary cannot be drawn: {error}"),
    "q_report_missing": ("数据库中没有构建报告。", "The store holds no build report."),
}
