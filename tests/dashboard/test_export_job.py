"""Large exports in a background process: the same rows as an export made in memory, progress
to 100 %, personal data masked per role, two people at once get two correct files, every
download audited; and the downloads page that starts them (AppTest)."""
from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import streamlit as st
import streamlit_folium

from dashboard import state
from dashboard.exports import formats
from dashboard.exports import job as export_job
from dashboard.exports import writers as export
from dashboard.exports.writers import ExportInfo
from dashboard.security import access, audit
from loaders.build import ensure_sample_store
from loaders.rowfilter import RowFilter
from loaders.store import GeoPackageStore, open_store
from tests.dashboard.conftest import run_page

BUILT = "2026-11-28T10:00:00"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> str:
    """A store of 3,000 12345 cases and 400 enterprises cut from the sample, with their zones."""
    sample = open_store(ensure_sample_store())
    hotline = next(sample.read_chunks("hotline", chunk_rows=3000))
    enterprises = next(sample.read_chunks("enterprises", chunk_rows=400))
    members = sample.read_members()
    members = members[((members["layer"] == "hotline") & members["record_id"].isin(hotline["case_id"]))
                      | ((members["layer"] == "enterprises") & members["record_id"].isin(enterprises["uscc"]))]
    path = tmp_path_factory.mktemp("small") / "small.gpkg"
    GeoPackageStore(path).write_all({"zones": sample.read("zones"), "hotline": hotline, "enterprises": enterprises,
                                     "zone_members": members}, {"built_at": BUILT, "sample_data": True})
    return str(path)


def spec_for(layer: str, rows: RowFilter | None, fmt: str, crs_key: str = "wgs84", personal: str = "none",
             total: int = 0, **more: object) -> export_job.JobSpec:
    name = export.file_name(layer, "test", fmt, crs_key, built=date(2026, 11, 28))
    info = ExportInfo("wang", "analyst", layer, None, fmt, crs_key, total, personal, built_at=BUILT).at_now()
    return export_job.JobSpec(layer=layer, rows=rows, fmt=fmt, crs_key=crs_key, file_name=name, info=info,
                              personal=personal, total=total, **more)


def read_back(payload: bytes, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(payload), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    if fmt == "xlsx":
        return pd.read_excel(io.BytesIO(payload))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"back.{fmt}"
        path.write_bytes(payload)
        return gpd.read_file(path)


def test_spec_round_trips_through_json():
    flt = RowFilter("hotline", zones=("lize",), date_column="received_at", date_from=date(2026, 1, 1),
                    date_to=date(2026, 3, 31), values={"category": ("parking", "roads")})
    spec = spec_for("hotline", flt, "csv", zone_names={"lize": "丽泽"})
    back = export_job.JobSpec.from_json(spec.to_json())
    assert back == spec and back.rows.where() == flt.where()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_worker_writes_what_an_export_in_memory_writes(small_store, tmp_path, fmt):
    store = open_store(small_store)
    flt = RowFilter("hotline", date_column="received_at", date_from=date(2026, 1, 1), values={"category": ("parking",)})
    expected_rows = store.count("hotline", flt)
    assert 100 < expected_rows < 3000
    spec = spec_for("hotline", flt, fmt, "gcj02", total=expected_rows, headers="labels", chunk_rows=250,
                    zone_names={"lize": "丽泽金融商务区"})
    job = export_job.start(small_store, spec, root=tmp_path)
    seen = []
    while (status := job.status()).state == export_job.RUNNING:
        seen.append(status.done)
    assert status.state == export_job.DONE, (status, (job.folder / export_job.LOG).read_text())
    assert status.done == status.total == expected_rows and status.fraction == 1.0
    assert all(a <= b for a, b in zip(seen, seen[1:])), "progress only moves forward"
    made = read_back(job.read(), fmt)
    memory = read_back(export.to_bytes(store.read("hotline", rows=flt), export.ExportOptions(fmt, "gcj02", "hotline", spec.info, "labels", "zh", {"lize": "丽泽金融商务区"})), fmt)
    key = "工单编号"
    pd.testing.assert_frame_equal(pd.DataFrame(made).sort_values(key).reset_index(drop=True),
                                  pd.DataFrame(memory).sort_values(key).reset_index(drop=True))
    assert set(made["导出坐标系"]) == {"GCJ-02"}
    assert job.output.name == "hotline_test_data20261128_gcj02" + export.FORMATS[fmt].extension
    job.remove()
    assert not job.folder.exists()


def test_two_people_exporting_at_once_get_two_correct_files(small_store, tmp_path):
    store = open_store(small_store)
    asks = [(RowFilter("hotline", values={"category": ("parking",)}), "csv", "wgs84"),
            (RowFilter("hotline", values={"category": ("roads", "property")}), "gpkg", "cgcs2000")]
    jobs = [export_job.start(small_store, spec_for("hotline", flt, fmt, crs, total=store.count("hotline", flt),
                                                   headers="codes", chunk_rows=300), root=tmp_path)
            for flt, fmt, crs in asks]
    assert jobs[0].folder != jobs[1].folder
    for job, (flt, fmt, crs) in zip(jobs, asks):
        status = job.wait(timeout=300)
        assert status.state == export_job.DONE, (job.folder / export_job.LOG).read_text()
        back = read_back(job.read(), fmt)
        expected = store.read("hotline", rows=flt)
        assert sorted(back["case_id"]) == sorted(expected["case_id"])
        assert set(back["category"]) == set(flt.values[0][1])
        assert set(back["export_crs"]) == {export.CRS_TAGS[crs]}
        if fmt == "gpkg":
            assert back.crs.to_epsg() == 4490


def test_personal_data_is_masked_in_every_chunk(small_store, tmp_path):
    store = open_store(small_store)
    phones = set(store.read("enterprises")["contact_phone"].dropna())
    assert phones
    masked = export_job.start(small_store, spec_for("enterprises", None, "csv", personal=access.PERSONAL_MASKED,
                                                     total=400, chunk_rows=150, headers="codes"), root=tmp_path)
    omitted = export_job.start(small_store, spec_for("enterprises", None, "csv", personal=access.PERSONAL_OMITTED,
                                                      total=400, chunk_rows=150, headers="codes"), root=tmp_path)
    assert masked.wait().state == omitted.wait().state == export_job.DONE
    shown = read_back(masked.read(), "csv")
    assert len(shown) == 400 and shown["contact_phone"].str.contains(r"\*").all()
    assert not set(shown["contact_phone"]) & phones
    assert "contact_phone" not in read_back(omitted.read(), "csv").columns


def test_a_worker_that_fails_says_why_without_the_password(tmp_path):
    spec = spec_for("hotline", None, "csv", total=10)
    job = export_job.start("postgresql://reader:s3cret-word@127.0.0.1:1/nowhere", spec, root=tmp_path)
    status = job.wait(timeout=120)
    assert status.state == export_job.FAILED and status.error
    assert "s3cret-word" not in status.error and "s3cret-word" not in (job.folder / export_job.PROGRESS).read_text()
    with pytest.raises(FileNotFoundError):
        job.read()


# ---------------------------------------------------------------- the server's export route
@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes


class AsgiClient:
    """Requests straight into an ASGI app (Starlette's TestClient needs httpx2, not installed)."""

    def __init__(self, app) -> None:  # noqa: ANN001 - an ASGI app
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": b"", "client": ("10.0.0.9", 50000), "server": ("testserver", 80),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        return Answer(start["status"], {k.decode(): v.decode() for k, v in start.get("headers", [])},
                      b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))

    def get(self, path: str, **kwargs) -> Answer:  # noqa: ANN003
        return self.request("GET", path, **kwargs)

    def head(self, path: str) -> Answer:
        return self.request("HEAD", path)


@pytest.fixture()
def route(tmp_path, monkeypatch):
    """A Starlette app with the dashboard's export route, job folders in ``tmp_path``, the audit
    log a file there (sign-in required: a failed record serves nothing); ``route.log`` swaps it."""
    from starlette.applications import Starlette

    from dashboard.web import export_route

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))   # where start() and find() look
    client = AsgiClient(Starlette(routes=export_route.routes()))
    client.log = audit.AuditLog(str(tmp_path / "audit.sqlite"))
    client.required = True
    monkeypatch.setattr(export_route, "audit_target", lambda: (client.log, client.required))
    return client


def finished(store: str, spec: export_job.JobSpec) -> export_job.Job:
    job = export_job.start(store, spec)
    assert job.wait().state == export_job.DONE, (job.folder / export_job.LOG).read_text()
    return job


def test_the_route_serves_the_jobs_file_audited_first_and_removes_it_after(small_store, route, monkeypatch):
    from dashboard.web import export_route

    flt = RowFilter("hotline", values={"category": ("parking",)})
    job = finished(small_store, spec_for("hotline", flt, "csv", total=1))
    made = job.output.read_bytes()
    assert len(job.token) >= 43 and job.token not in (job.folder / export_job.OFFER).read_text()  # 256 bits, hashed
    seen_before_serving = []
    real = export_route.FileResponse

    def response(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - FileResponse's own
        seen_before_serving.append(len(route.log.read()))   # the audit log when the file starts to go out
        return real(*args, **kwargs)

    monkeypatch.setattr(export_route, "FileResponse", response)
    answer = route.get("/" + export_route.link(job.token), headers={"Range": "bytes=0-9"})  # the whole file all the same
    assert answer.status_code == 200 and answer.content == made
    assert answer.headers["content-disposition"].startswith("attachment;") and job.spec.file_name in \
        answer.headers["content-disposition"]
    assert seen_before_serving == [1], "the download is on record before a byte of it is sent"
    entry = route.log.read().iloc[0]
    assert (entry["event"], entry["user"], entry["layer"], entry["format"], entry["rows"]) == \
        ("download", "wang", "hotline", "csv", len(read_back(made, "csv")))
    assert job.spec.info.watermark in entry["detail"]
    assert not job.folder.exists(), "removed once served"
    assert job.status().state == export_job.GONE
    again = route.get("/" + export_route.link(job.token))
    assert again.status_code == 404 and again.content != made and len(route.log.read()) == 1


def test_a_failed_audit_record_serves_nothing_while_sign_in_is_required(small_store, route, tmp_path):
    from dashboard.web import export_route

    job = finished(small_store, spec_for("hotline", RowFilter("hotline", values={"category": ("parking",)}), "csv",
                                         total=1))
    made = job.output.read_bytes()
    (tmp_path / "broken").mkdir()
    route.log = audit.AuditLog(str(tmp_path / "broken"))   # a folder: every write fails
    refused = route.get("/" + export_route.link(job.token))
    assert refused.status_code == 503 and made[:200] not in refused.content
    assert job.output.exists(), "kept: the viewer may try again once the log is back"
    route.required = False   # no sign-in configured: served all the same (said on stderr)
    assert route.get("/" + export_route.link(job.token)).content == made


def test_unknown_expired_and_unfinished_tokens_find_nothing(small_store, route):
    from dashboard.web import export_route

    job = finished(small_store, spec_for("hotline", None, "csv", total=3000))
    assert route.get("/export/" + "A" * 43).status_code == 404
    assert route.get("/export/" + job.token[:-1]).status_code == 404
    assert route.head("/" + export_route.link(job.token)).status_code == 405 and job.output.exists()
    offer = job.folder / export_job.OFFER
    old = time.time() - (export_job.OFFER_HOURS + 0.1) * 3600
    os.utime(offer, (old, old))
    assert route.get("/" + export_route.link(job.token)).status_code == 404 and job.output.exists()
    assert route.log.read().empty, "nothing served, nothing recorded"
    running = export_job.start(small_store, spec_for("hotline", None, "xlsx", total=3000, chunk_rows=20))
    try:
        assert route.get("/" + export_route.link(running.token)).status_code == 404   # not finished
    finally:
        running.cancel()


def test_two_people_exporting_at_once_are_served_two_separate_files(small_store, route):
    from dashboard.web import export_route

    asks = [RowFilter("hotline", values={"category": ("parking",)}), RowFilter("hotline", values={"category": ("roads",)})]
    jobs = [export_job.start(small_store, spec_for("hotline", flt, "csv", total=1, headers="codes")) for flt in asks]
    assert jobs[0].token != jobs[1].token and jobs[0].folder != jobs[1].folder
    assert all(job.wait().state == export_job.DONE for job in jobs)
    made = [job.output.read_bytes() for job in jobs]
    served = [route.get("/" + export_route.link(job.token)).content for job in reversed(jobs)][::-1]
    assert served == made and made[0] != made[1]
    for payload, flt in zip(served, asks):
        assert set(read_back(payload, "csv")["category"]) == set(flt.values[0][1])
    assert not any(job.folder.exists() for job in jobs)


def test_a_scoped_viewers_job_holds_only_their_scope(small_store, tmp_path):
    flt = RowFilter("hotline", scope_zones=("lize",))
    spec = spec_for("hotline", flt, "csv", total=1, headers="codes")
    assert export_job.JobSpec.from_json(spec.to_json()).rows == flt, "the scope survives the trip to the worker"
    job = export_job.start(small_store, spec, root=tmp_path)
    assert job.wait().state == export_job.DONE
    back = read_back(job.read(), "csv")
    store = open_store(small_store)
    assert sorted(back["case_id"]) == sorted(store.read("hotline", rows=flt)["case_id"])
    assert 0 < len(back) < len(store.read("hotline"))


def test_the_xlsx_limit_stops_a_job_before_it_writes_a_broken_file(small_store, tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 500)
    store = open_store(small_store)
    spec = spec_for("hotline", None, "xlsx", total=3000, chunk_rows=200)
    with pytest.raises(export.ExportError, match="CSV or GeoPackage"):
        export_job.produce(store, spec, tmp_path / spec.file_name)
    assert not (tmp_path / spec.file_name).exists()


def test_cancel_stops_the_worker_and_removes_its_files(small_store, tmp_path):
    job = export_job.start(small_store, spec_for("hotline", None, "xlsx", total=3000, chunk_rows=20), root=tmp_path)
    process = export_job._processes[str(job.folder)]
    job.cancel()
    assert process.poll() is not None, "the worker has ended"
    assert not job.folder.exists() and str(job.folder) not in export_job._processes


def test_sweep_removes_only_old_job_folders(tmp_path):
    old, new = tmp_path / f"{export_job.PREFIX}old", tmp_path / f"{export_job.PREFIX}new"
    old.mkdir(), new.mkdir()
    now = time.time()   # the process's clock (it may be shifted, as under faketime), not the disk's
    os.utime(old, (now - 2 * 3600, now - 2 * 3600))
    os.utime(new, (now, now))
    assert export_job.sweep(tmp_path, older_than_hours=1) == 1
    assert not old.exists() and new.exists()


# ---------------------------------------------------------------- the page (AppTest, bundled sample)
@pytest.fixture()
def sample_page(monkeypatch):
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()


def test_page_filters_12345_by_date_and_category_and_refuses_xlsx_beyond_the_limit(sample_page, monkeypatch):
    at = run_page("downloads", {"layer": "hotline"})
    assert not at.exception, at.exception
    everything = int(at.metric[0].value.replace(",", ""))
    assert export_job.needs_background(everything)
    assert not at.get("download_button") and at.button(key=state.DL_PREPARE)   # made in the background
    at.multiselect(key=state.DL_CATEGORY).set_value(["parking"]).run()
    first, last = at.date_input(key=state.DL_RECEIVED).value
    at.date_input(key=state.DL_RECEIVED).set_value((first, first.replace(day=28))).run()
    picked = int(at.metric[0].value.replace(",", ""))
    store = open_store(ensure_sample_store())
    flt = RowFilter("hotline", date_column="received_at", date_from=first, date_to=first.replace(day=28),
                    values={"category": ("parking",)})
    assert picked == store.count("hotline", flt) and 0 < picked < everything
    assert at.get("download_button"), "a small selection downloads at once"
    preview = at.dataframe[-1].value
    assert set(preview["诉求类别"]) == {"停车难"} and set(preview["诉求类别代码"]) == {"parking"}
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", picked - 1)
    at.radio(key=state.DL_FORMAT).set_value("xlsx").run()
    assert not at.get("download_button") and any("CSV" in w.value for w in at.warning)
    name = at.text_input[0].value
    assert name.endswith("_wgs84.xlsx") and "_data" in name and "parking" in name


def test_page_prepares_a_large_selection_in_the_background(sample_page, monkeypatch):
    monkeypatch.setattr(export_job, "BACKGROUND_ROWS", 50)
    at = run_page("downloads", {"layer": "hotline", "zone": "lize"})
    at.multiselect(key=state.DL_CATEGORY).set_value(["roads"]).run()
    at.radio(key=state.DL_FORMAT).set_value("csv").run()
    rows = int(at.metric[0].value.replace(",", ""))
    assert rows > 50 and not at.get("download_button")
    at.button(key=state.DL_PREPARE).click().run()
    job = at.session_state[state.DL_JOB]
    try:
        assert job.wait(timeout=300).state == export_job.DONE
        at.run()
        assert any(job.spec.file_name in s.value for s in at.success)
        assert not at.get("download_button"), "not through Streamlit's in-memory media store"
        links = [m.value for m in at.markdown if 'data-testid="ft-export-link"' in m.value]
        assert len(links) == 1 and f'href="export/{job.token}"' in links[0] and f'download="{job.spec.file_name}"' in links[0]
        back = read_back(job.read(), "csv")
        assert len(back) == rows and set(back["导出坐标系"]) == {"EPSG:4326"} and set(back["诉求类别代码"]) == {"roads"}
        job.remove()   # as the export route does once it has served the file
        at.run()
        assert any(job.spec.file_name in i.value and "删除" in i.value for i in at.info), "the page says it is gone"
        assert not [m for m in at.markdown if 'data-testid="ft-export-link"' in m.value]
    finally:
        job.remove()
