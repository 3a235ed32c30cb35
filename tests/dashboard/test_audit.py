"""The audit trail: append-only in both stores, out of the builds' reach, and a download that
cannot be recorded is never served; exported files say who exported them and masked or not."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.exports import writers as export
from dashboard.exports.writers import ExportInfo
from dashboard.security import audit
from dashboard.security.audit import AuditError, AuditLog, Entry
from loaders.build import build
from loaders.store import sqlalchemy_url
from tests.postgis import PostGISServer

PROJECTS = ("project_id,name,status,level,industry,investment_total,lon,lat,street\n"
            "A1,审计测试项目甲,在建,区级,金融,12.5,116.30,39.85,\n"
            "A2,审计测试项目乙,储备,市级,数字经济,3,116.32,39.86,\n")


def tiny_source(folder):  # noqa: ANN001, ANN201
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    return folder


def test_sqlite_log_is_append_only(tmp_path):
    log = AuditLog(str(tmp_path / "store.gpkg.audit.sqlite"))
    log.record(Entry("signin", user="wang", role="admin", client="10.0.0.9"))
    log.record(Entry("download", user="wang", layer="projects", format="csv", crs="wgs84", rows=7,
                     personal_data="none", filters=audit.filters_text({"zone": "lize", "status": ""})))
    engine = create_engine(f"sqlite:///{log.target}")
    for statement in ("UPDATE audit_log SET user = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(SQLAlchemyError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    entries = log.read()
    assert list(entries["event"]) == ["download", "signin"] and entries["rows"].iloc[0] == 7
    assert entries["filters"].iloc[0] == '{"zone": "lize"}'
    assert (tmp_path / "store.gpkg.audit.sqlite").stat().st_mode & 0o777 == 0o600


def test_read_filters_by_time_user_event_and_layer(tmp_path):
    log = AuditLog(str(tmp_path / "a.audit.sqlite"))
    now = datetime.now(timezone.utc)
    log.record(Entry("signin", user="old"), at=now - timedelta(days=30))
    log.record(Entry("download", user="wang", layer="projects", rows=3))
    log.record(Entry("download", user="li", layer="enterprises", rows=5))
    assert list(log.read(since=now - timedelta(days=1))["user"]) == ["li", "wang"]
    assert list(log.read(users=["wang"])["rows"]) == [3]
    assert list(log.read(events=["signin"])["user"]) == ["old"]
    assert list(log.read(layers=["enterprises"])["user"]) == ["li"]


def test_an_unknown_event_is_a_bug_not_a_record():
    with pytest.raises(ValueError, match="unknown audit event"):
        Entry("download_maybe", user="x")


def test_the_gpkg_log_survives_a_nightly_build(tmp_path):
    """The store file is replaced by every build: the log beside it is not."""
    store = tmp_path / "district.gpkg"
    build(tiny_source(tmp_path / "a"), str(store), progress=False)
    log = AuditLog(audit.target_for(str(store)))
    log.record(Entry("signin", user="wang"))
    inode = store.stat().st_ino
    build(tiny_source(tmp_path / "b"), str(store), progress=False)
    assert store.stat().st_ino != inode, "the build replaced the store file"
    log.record(Entry("signout", user="wang"))
    assert list(log.read()["event"]) == ["signout", "signin"]


def test_a_download_that_cannot_be_recorded_is_not_served(tmp_path):
    info = ExportInfo(user="wang", role="planner", layer="projects", filters=None, fmt="csv", crs="wgs84", rows=2,
                      personal_data="none")
    made = []

    def produce(stamped: ExportInfo) -> bytes:
        made.append(stamped)
        return b"file"
    good = AuditLog(str(tmp_path / "ok.audit.sqlite"))
    assert audit.served_after_record(good, info, "downloads", "10.0.0.9", produce)() == b"file"
    entry = good.read().iloc[0]
    assert (entry["event"], entry["layer"], entry["rows"], entry["format"], entry["crs"], entry["client"]) == \
        ("download", "projects", 2, "csv", "wgs84", "10.0.0.9")
    assert made[0].at and entry["detail"] == f"watermark: {made[0].watermark}"
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    broken = AuditLog(str(blocker / "x.audit.sqlite"))
    with pytest.raises(AuditError):
        audit.served_after_record(broken, info, "downloads", "local", produce)()
    # no sign-in configured (sample only, or DASHBOARD_AUTH=none): served as before there was a log
    assert audit.served_after_record(broken, info, "downloads", "local", produce, required=False)() == b"file"


# ---------------------------------------------------------------- the file says who and masked or not
@pytest.fixture()
def enterprises() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"uscc": ["1"], "name": ["企业甲"], "contact_person": ["张*"],
                             "contact_phone": ["138****0000"]}, geometry=[Point(116.3, 39.85)], crs="EPSG:4326")


INFO = ExportInfo(user="t_analyst", role="analyst", layer="enterprises", filters='{"zone": "lize"}', fmt="",
                  crs="wgs84", rows=1, personal_data="masked").at_now()


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "xlsx", "shp"])
def test_exports_carry_who_when_and_masked(tmp_path, enterprises, fmt):
    payload = export.to_bytes(enterprises, export.ExportOptions(fmt, "wgs84", "enterprises", INFO))
    if fmt == "geojson":
        meta = json.loads(payload)["fengtai_export"]
        assert len(gpd.read_file(io.BytesIO(payload))) == 1
    elif fmt == "gpkg":
        path = tmp_path / "x.gpkg"
        path.write_bytes(payload)
        meta = {k.removeprefix("fengtai_"): v for k, v in pyogrio.read_info(path)["layer_metadata"].items()}
    elif fmt == "xlsx":
        sheets = pd.read_excel(io.BytesIO(payload), sheet_name=None)
        assert list(sheets)[0] == "enterprises" and len(sheets["enterprises"]) == 1
        readme = sheets["说明 README"]
        meta = dict(zip(readme["key"], readme["内容 value"]))
    else:
        text_ = zipfile.ZipFile(io.BytesIO(payload)).read("export_info.txt").decode("utf-8")
        meta = {"user": "t_analyst" if "导出人 exported by: t_analyst" in text_ else None,
                "personal_data": "masked" if "personal data (full / masked / omitted / none): masked" in text_ else None,
                "watermark": INFO.watermark if INFO.watermark in text_ else None}
    assert meta["user"] == "t_analyst" and meta["personal_data"] == "masked" and meta["watermark"] == INFO.watermark


@pytest.mark.postgis
def test_postgis_audit_log_is_append_only_and_no_build_touches_it(tmp_path):
    server = PostGISServer().start()
    try:
        build(tiny_source(tmp_path / "a"), server.url, progress=False)
        log = AuditLog(audit.target_for(server.url))
        assert log.target == server.url and not log.is_file
        log.record(Entry("download", user="wang", layer="projects", rows=2, personal_data="none"))
        build(tiny_source(tmp_path / "b"), server.url, progress=False)
        log.record(Entry("signout", user="wang"))
        assert list(log.read()["event"]) == ["signout", "download"]
        engine = create_engine(sqlalchemy_url(server.url))
        for statement in ("UPDATE audit_log SET rows = 0", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(SQLAlchemyError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        assert len(AuditLog(server.url).read()) == 2, "a second process sees the same log"
        engine.dispose()
        log.dispose()
    finally:
        server.stop()
