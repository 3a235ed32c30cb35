"""Session-state keys, named once: widgets and pages refer to these constants.

Widget keys are also what tests drive (``at.radio(key=ZONE_ENTERPRISES)``) and what the URL
seeding writes, so a typo in one place cannot silently create a second, unrelated state.
"""
from __future__ import annotations

# language (ui.py)
LANG_WIDGET = "lang"        # the switch widget; Streamlit gives it a new id on every page
LANG_CHOICE = "_lang"       # the language chosen, kept so it survives page changes
BUILD_TOKEN = "_build_token"  # the build this page run reads (data.begin_run)
STORE_DOWN = "_store_down"          # why the store is unreachable this run (the last good build is shown)

# the month a page's dated figures are for (ui.period_picker)
PERIOD = "ft_period"            # the picker
PERIOD_URL = "_ft_period_url"   # the month the picker last wrote to the URL

# overview
OV_TARGET = "ov_target"     # colour zones or streets
OV_METRIC = "ov_metric"
OV_OPEN = "ov_open"         # "open a zone profile" picker

# zone profile
ZONE_PICK = "zone_pick"
ZONE_URL_SEEN = "_zone_url_seen"  # the zone named in the URL that already seeded the picker
ZONE_ENTERPRISES = "zone_ent"     # enterprises aggregated by street or clustered

# project explorer
PF_SEEDED = "_pf_seeded"
PF_ZONE, PF_STREET, PF_STATUS, PF_LEVEL, PF_INDUSTRY = "pf_zone", "pf_street", "pf_status", "pf_level", "pf_industry"
PF_SCHEDULE = "pf_schedule"
PF_INV, PF_YEAR = "pf_inv", "pf_year"
PF_SELECTED = "pf_sel"
PF_LAST_CLICK, PF_LAST_ROW = "_pf_last_click", "_pf_last_row"
PF_TABLE = "pf_table"
PF_INV_MIN, PF_INV_MAX = "pf_inv_min", "pf_inv_max"  # number inputs, 亿元 (None: no bound)
PF_URL = "_pf_url"      # the explorer parameters this page last wrote to the URL
PF_TOUCHED = "_pf_touched"  # a filter changed since the URL seeded the page

# enterprise needs explorer (/needs)
NF_SEEDED = "_nf_seeded"
NF_ZONE, NF_STREET, NF_CATEGORY, NF_STATUS = "nf_zone", "nf_street", "nf_category", "nf_status"
NF_OVERDUE, NF_OWNER = "nf_overdue", "nf_owner"
NF_URL = "_nf_url"      # the needs parameters this page last wrote to the URL

# downloads
DL_SEEDED = "_dl_seeded"
DL_LAYER, DL_FORMAT, DL_CRS = "dl_layer", "dl_format", "dl_crs"
DL_ZONE, DL_STREET, DL_STATUS, DL_LEVEL, DL_INDUSTRY = "dl_zone", "dl_street", "dl_status", "dl_level", "dl_industry"
DL_INV, DL_YEAR = "dl_inv", "dl_year"
DL_BUTTON = "dl_button"
DL_HEADERS = "dl_headers"            # labels (中文表头与取值) or codes (CSV/XLSX)
DL_RECEIVED, DL_CATEGORY = "dl_received", "dl_category"   # the 12345 layer's date range and categories
DL_NEED_CATEGORY, DL_NEED_STATUS = "dl_need_category", "dl_need_status"   # the enterprise needs' filters
DL_NEED_OWNER = "dl_need_owner"
DL_JOB = "_dl_job"                   # the session's background export (dashboard.exports.job.Job)
DL_PREPARE, DL_CANCEL = "dl_prepare", "dl_cancel"

# quality
Q_LAYER, Q_SEARCH, Q_DOWNLOAD = "q_layer", "q_search", "q_dl"

