"""Refresh under load (issue 12): a build swaps in while readers query, on both stores.

A reader loop does what every dashboard page run does (``dashboard/data.py``): note the
build token, read, check the token again; a read whose token held must be one whole build
(the projects it reads, the report's count and ``zone_stats`` agree), never a mix. A read
that straddles a swap is seen (the token moved) and is read again, as the page reruns.
Two builds into one store at once: the second fails at once, clearly, and the store is the
first one's. The PostGIS half runs with the least-privilege roles of deploy/postgis-roles.sql:
the build as the writer, the readers as the read-only role.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from loaders.__main__ import main
from loaders.build import build
from loaders.errors import BuildError
from loaders.rowfilter import RowFilter
from loaders.store import open_store
from tests.postgis import PostGISServer

HEADER = "项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属街镇\n"


def _projects(n: int) -> str:
    """``n`` projects in Lize (their ids tell the build: B<n>-i)."""
    rows = [f"B{n}-{i},项目{n}-{i},在建,区级,金融,{1000 + i},{116.300 + i * 1e-4:.4f},39.8660,"
            for i in range(n)]
    return HEADER + "\n".join(rows) + "\n"


def _source(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projects.csv").write_text(_projects(n), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def postgis():
    server = PostGISServer().start().with_roles()
    yield server
    server.stop()


@pytest.fixture(params=["gpkg", "postgis"])
def stores(request, tmp_path: Path) -> tuple[str, str]:  # noqa: ANN001
    """(where builds write, where readers read): the same store."""
    if request.param == "gpkg":
        target = str(tmp_path / "store.gpkg")
        return target, target
    server = request.getfixturevalue("postgis")
    return server.writer_url, server.reader_url


def _one_read(reader_target: str) -> tuple[str, int, int, float, set[str]] | None:
    """(token, projects read, report's loaded, zone_stats projects in Lize, build prefixes) of one
    page-like read; None when a swap happened during it (the page would run again)."""
    store = open_store(reader_target)
    before = store.build_token()
    projects = store.read("projects", columns=["project_id"])
    report = store.read_report()
    zone_stats = store.read("zone_stats").set_index("zone_id")
    in_lize = store.count("projects", RowFilter("projects", zones=("lize",)))
    if store.build_token() != before:
        return None
    prefixes = {pid.split("-")[0] for pid in projects["project_id"]}
    return (before, len(projects), report["layers"]["projects"]["loaded"],
            float(zone_stats.loc["lize", "projects"]), prefixes | {f"lize:{in_lize}"})


def test_readers_see_the_old_build_or_the_new_never_a_mix(stores: tuple[str, str], tmp_path: Path) -> None:
    writer, reader = stores
    build(_source(tmp_path / "a", 30), writer, progress=False)
    stop, seen, errors, straddled = threading.Event(), [], [], [0]

    def loop() -> None:
        while not stop.is_set():
            try:
                got = _one_read(reader)
            except Exception as exc:  # noqa: BLE001 - every failure of a read is the finding
                errors.append(repr(exc))
                continue
            if got is None:
                straddled[0] += 1
            else:
                seen.append(got)

    readers = [threading.Thread(target=loop) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        time.sleep(0.3)
        build(_source(tmp_path / "b", 45), writer, progress=False)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert not errors, errors[:3]
    by_size = {}
    for token, n, loaded, lize_stats, prefixes in seen:
        # one whole build: the rows, the report and the indicators agree
        assert n == loaded == lize_stats, (token, n, loaded, lize_stats)
        assert prefixes == {f"B{n}", f"lize:{n}"}, prefixes
        by_size.setdefault(n, set()).add(token)
    assert set(by_size) == {30, 45}, f"readers saw builds {sorted(by_size)} (straddled reads: {straddled[0]})"
    assert all(len(tokens) == 1 for tokens in by_size.values()), by_size


def test_two_builds_at_once_the_second_fails_clearly(stores: tuple[str, str], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    writer, reader = stores
    build(_source(tmp_path / "a", 3), writer, progress=False)
    before = open_store(reader).build_token()
    with open_store(writer).build_lock():  # a build is under way
        with pytest.raises(BuildError, match="另一个构建正在写入.*another build is writing"):
            build(_source(tmp_path / "b", 5), writer, progress=False)
        assert main(["build", "--source", str(tmp_path / "b"), "--store", writer, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "another build is writing" in err and "Traceback" not in err
    assert open_store(reader).build_token() == before          # the store is untouched
    assert len(open_store(reader).read("projects")) == 3
    build(_source(tmp_path / "b", 5), writer, progress=False)   # the lock is free again afterwards
    assert len(open_store(reader).read("projects")) == 5


def test_processes_that_start_together_build_the_sample_once(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Two dashboard processes (or a test and an app) find the sample store missing at once:
    the first builds it, the second waits for that build instead of failing or building again."""
    import loaders.build as build_module

    built: list[float] = []

    def slow_build(source, target, progress=True, _locked=False):  # noqa: ANN001, ANN202
        assert _locked, "the sample is built under the lock ensure_sample_store holds"
        time.sleep(0.5)
        built.append(time.monotonic())
        Path(target).write_bytes(b"built")

    monkeypatch.setattr(build_module, "build", slow_build)
    monkeypatch.setattr(build_module, "_sample_current", lambda path: Path(path).exists())
    target = tmp_path / "sample.gpkg"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(build_module.ensure_sample_store(target)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [str(target)] * 3
    assert len(built) == 1
