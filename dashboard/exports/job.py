"""Large exports in their own OS process, so that a million-row file never holds the server.

The downloads page makes a small selection (:data:`BACKGROUND_ROWS` rows or fewer) in memory
when the button is clicked. A larger one is a **job**: :func:`start` spawns
``python -m dashboard.exports.job <folder>`` (a new process with a lower priority, ``nice``),
which streams the store's rows (:meth:`loaders.store.Store.read_chunks`: a server-side cursor
on PostGIS, an Arrow stream on GeoPackage), masks personal columns as the viewer's role
requires (:func:`dashboard.security.access.for_viewer`, on every chunk), writes them chunk by chunk
(:class:`dashboard.exports.writers.FileWriter`) into a file in the job's own temporary folder and
reports its progress in ``progress.json`` there. The page polls :meth:`Job.status` and, when
the file is complete, offers it by a link holding the job's **token** (256 random bits, made
at :func:`start`; the folder keeps only its SHA-256). The link is answered by the server's own
route (:mod:`dashboard.web.export_route`), which calls :func:`claim`: the download is recorded
in the audit log first, with the very metadata the file carries (a failed record with sign-in
required: nothing is served), then the file is streamed from disk (never read into the
server's memory) and its folder removed once the last byte is sent (:meth:`Job.remove`). An
unknown, expired (:data:`OFFER_HOURS`) or already served token finds nothing.

Every job has its own folder (``tempfile.mkdtemp``) and token, so two people exporting at once
get two separate, complete files. The store's address (which may hold a password) reaches the
worker through its environment, never through a file. Folders of jobs older than
:data:`KEEP_HOURS` are removed when a new job starts.

Pure of Streamlit.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from dashboard.exports.writers import FORMATS, ExportInfo, ExportOptions, FileWriter
from dashboard.security.audit import AuditLog, record_download
from loaders.rowfilter import RowFilter

BACKGROUND_ROWS = 20_000     # more rows than this: a background job
CHUNK_ROWS = 20_000          # rows per chunk read and written (and per progress step)
KEEP_HOURS = 6.0             # a job's folder is swept this long after it was made
OFFER_HOURS = 1.0            # a finished job's link works this long after the job started
NICE = 10                    # the worker's lower priority
PREFIX = "fengtai-export-"
STORE_ENV = "FENGTAI_EXPORT_STORE"   # the store's address, for the worker only
SPEC, PROGRESS, LOG, OFFER = "spec.json", "progress.json", "worker.log", "offer.sha256"
TOKEN_BYTES = 32             # 256 bits

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
GONE = "gone"                # the folder is no more: served and removed, or swept


def needs_background(rows: int) -> bool:
    """True when a selection of ``rows`` rows is made by a background job."""
    return rows > BACKGROUND_ROWS


# ---------------------------------------------------------------- what a job is asked to make
def rowfilter_to_dict(flt: RowFilter | None) -> dict | None:
    if flt is None:
        return None
    return {"layer": flt.layer, "zones": list(flt.zones), "streets": list(flt.streets),
            "date_column": flt.date_column,
            "date_from": flt.date_from.isoformat() if flt.date_from else None,
            "date_to": flt.date_to.isoformat() if flt.date_to else None,
            "values": [[column, list(values)] for column, values in flt.values],
            "located_only": flt.located_only,
            "scope_zones": list(flt.scope_zones), "scope_streets": list(flt.scope_streets)}


def rowfilter_from_dict(data: Mapping | None) -> RowFilter | None:
    if data is None:
        return None
    return RowFilter(data["layer"], zones=tuple(data["zones"]), streets=tuple(data["streets"]),
                     date_column=data["date_column"],
                     date_from=date.fromisoformat(data["date_from"]) if data["date_from"] else None,
                     date_to=date.fromisoformat(data["date_to"]) if data["date_to"] else None,
                     values={column: tuple(values) for column, values in data["values"]},
                     located_only=bool(data["located_only"]),
                     scope_zones=tuple(data.get("scope_zones", ())), scope_streets=tuple(data.get("scope_streets", ())))


@dataclass(frozen=True)
class JobSpec:
    """Everything the worker needs besides the store's address: which rows, which file, for whom."""

    layer: str
    rows: RowFilter | None
    fmt: str
    crs_key: str
    file_name: str
    info: ExportInfo              # stamped (``at_now``): the file carries it, the audit entry repeats it
    personal: str                 # full / masked / omitted / none (dashboard.security.access)
    headers: str = "labels"
    lang: str = "zh"
    total: int = 0                # the rows the page counted
    zone_names: Mapping[str, str] = field(default_factory=dict)
    chunk_rows: int = CHUNK_ROWS  # rows read and written at a time (a progress step)

    @property
    def options(self) -> ExportOptions:
        """The file this job writes."""
        return ExportOptions(self.fmt, self.crs_key, self.layer, self.info, self.headers, self.lang, self.zone_names)

    @property
    def request(self) -> tuple:
        """What was asked for (who and when aside): two specs with the same request make the same file."""
        return (self.layer, self.rows, self.fmt, self.crs_key, self.file_name, self.personal, self.headers,
                self.lang, self.info.filters)

    def to_json(self) -> str:
        data = asdict(self)
        data["rows"] = rowfilter_to_dict(self.rows)
        data["info"] = asdict(self.info)
        data["zone_names"] = dict(self.zone_names)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        data = json.loads(text)
        data["rows"] = rowfilter_from_dict(data["rows"])
        data["info"] = ExportInfo(**data["info"])
        return cls(**data)


@dataclass(frozen=True)
class Status:
    """Where a job stands: ``state`` running / done / failed / cancelled, ``done`` rows written
    of ``total``; ``path`` the finished file."""

    state: str
    done: int
    total: int
    error: str = ""
    path: Path | None = None

    @property
    def fraction(self) -> float:
        if self.state == DONE:
            return 1.0
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path is not None and self.path.exists() else 0


def _write_progress(folder: Path, **values: object) -> None:
    """``progress.json``, replaced whole (a reader never sees half of it)."""
    tmp = folder / f".{PROGRESS}.{os.getpid()}"
    tmp.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / PROGRESS)


# ---------------------------------------------------------------- the parent's handle
_processes: dict[str, subprocess.Popen] = {}   # folder -> the worker process this process started


class Job:
    """A background export started by this process (or found again by its folder); ``token``
    (only in the process that started it) is what the download link carries."""

    def __init__(self, folder: Path, spec: JobSpec, pid: int | None = None, token: str = "") -> None:
        self.folder, self.spec, self.pid, self.token = Path(folder), spec, pid, token

    @property
    def output(self) -> Path:
        return self.folder / self.spec.file_name

    def status(self) -> Status:
        if not self.folder.is_dir():
            return Status(GONE, 0, self.spec.total)
        process = _processes.get(str(self.folder))
        exited = process is not None and process.poll() is not None   # poll() also reaps it
        try:
            progress = json.loads((self.folder / PROGRESS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            progress = {"state": RUNNING, "done": 0}
        state = progress.get("state", RUNNING)
        if state == RUNNING and exited:   # ended without saying so: killed, or out of memory
            state, progress["error"] = FAILED, progress.get("error") or f"worker exited ({process.returncode})"
        path = self.output if state == DONE and self.output.exists() else None
        if state == DONE and path is None:
            state, progress["error"] = FAILED, "the file is missing"
        return Status(state, int(progress.get("done", 0)), int(progress.get("total", self.spec.total)),
                      str(progress.get("error", "")), path)

    def wait(self, timeout: float = 600, poll: float = 0.1) -> Status:
        """Block until the job has ended (for tests and command lines; pages poll :meth:`status`)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if status.state != RUNNING or time.monotonic() > deadline:
                return status
            time.sleep(poll)

    def cancel(self) -> None:
        """Stop the worker (this process's own child, by its id) and remove its folder."""
        process = _processes.get(str(self.folder))
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
        self.remove()

    def remove(self) -> None:
        """Remove the job's folder (its file included), once its worker has ended (a worker that
        has not ended within a few seconds is stopped: removing a job means giving it up)."""
        process = _processes.pop(str(self.folder), None)
        if process is not None and process.poll() is None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def read(self) -> bytes:
        status = self.status()
        if status.state != DONE or status.path is None:
            raise FileNotFoundError(f"export {self.spec.file_name} is not ready ({status.state})")
        return status.path.read_bytes()


def sweep(root: Path | None = None, older_than_hours: float = KEEP_HOURS) -> int:
    """Remove job folders older than ``older_than_hours`` (whoever made them); how many went."""
    root = Path(root or tempfile.gettempdir())
    cutoff = time.time() - older_than_hours * 3600
    gone = 0
    for folder in root.glob(f"{PREFIX}*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff and str(folder) not in _processes:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        except OSError:
            continue
    return gone


def start(store_target: str, spec: JobSpec, root: Path | None = None) -> Job:
    """Start a worker process for ``spec`` on ``store_target``; returns at once."""
    if spec.fmt not in FORMATS:
        raise ValueError(f"format {spec.fmt!r} is not available")
    sweep(root)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    (folder / SPEC).write_text(spec.to_json(), encoding="utf-8")
    (folder / OFFER).write_text(_digest(token), encoding="ascii")
    _write_progress(folder, state=RUNNING, done=0, total=spec.total)
    env = {**os.environ, STORE_ENV: str(store_target)}
    with open(folder / LOG, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "dashboard.exports.job", str(folder)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env=env, close_fds=True, start_new_session=True)
    _processes[str(folder)] = process
    return Job(folder, spec, process.pid, token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def find(token: str, root: Path | None = None, max_hours: float = OFFER_HOURS) -> Job | None:
    """The job whose download link carries ``token`` (compared in constant time), if its link
    has not expired (``max_hours`` after the job started); None otherwise."""
    if not token or len(token) > 200:
        return None
    root = Path(root or tempfile.gettempdir())
    want = _digest(token)
    cutoff = time.time() - max_hours * 3600
    for folder in root.glob(f"{PREFIX}*"):
        try:
            offer = folder / OFFER
            if not hmac.compare_digest(offer.read_text(encoding="ascii").strip(), want):
                continue
            if offer.stat().st_mtime < cutoff:
                return None
            return Job(folder, JobSpec.from_json((folder / SPEC).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return None


class NotOffered(LookupError):
    """No finished export answers this token: unknown, expired, not finished, or served already."""


def claim(token: str, log: AuditLog, page: str, client: str, required: bool = True,
          root: Path | None = None) -> Job:
    """The finished job a download link names, once its download is in the audit log (with the
    metadata the file carries and the rows it holds): the caller then streams ``job.output``
    and calls :meth:`Job.remove` after the last byte. :class:`NotOffered` when the token finds
    no finished file; :class:`dashboard.security.audit.AuditError` when the record fails (and
    ``required``, i.e. sign-in is configured): nothing may be served. With ``required`` False a
    failed record is reported on stderr and the file served, as
    :func:`dashboard.security.audit.served_after_record` does."""
    job = find(token, root)
    status = job.status() if job is not None else None
    if job is None or status is None or status.state != DONE or status.path is None:
        raise NotOffered("no such export")
    info = job.spec.info
    record_download(log, info, page, client, rows=status.done,
                    detail=f"watermark: {info.watermark}; made in the background", required=required)
    return job


def file_bytes(store_target: str, spec: JobSpec) -> bytes:
    """A small selection's file, made here and now (the same code as a job's, in this process)."""
    from loaders.store import open_store

    store = open_store(store_target)
    try:
        with tempfile.TemporaryDirectory(prefix=PREFIX) as tmp:
            path = Path(tmp) / spec.file_name
            produce(store, spec, path)
            return path.read_bytes()
    finally:
        engine = getattr(store, "_engine", None)
        if engine is not None:
            engine.dispose()


# ---------------------------------------------------------------- the work itself
def produce(store, spec: JobSpec, path: Path,  # noqa: ANN001 - loaders.store.Store
            progress: Callable[[int], None] | None = None) -> int:
    """Write the rows ``spec`` selects from ``store`` to ``path``, chunk by chunk, personal columns
    as the viewer may see them; ``progress(rows so far)`` after each chunk. The rows written."""
    from dashboard.security.access import for_viewer

    writer = FileWriter(path, spec.options)
    try:
        for chunk in store.read_chunks(spec.layer, spec.rows, chunk_rows=spec.chunk_rows):
            writer.write(for_viewer(chunk, spec.layer, spec.personal))
            if progress is not None:
                progress(writer.rows)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer.rows


def run(folder: Path) -> int:
    """The worker: make the file of the job in ``folder``; 0 when it is complete."""
    from loaders.store import open_store, redact_target

    folder = Path(folder)
    try:
        os.nice(NICE)
    except OSError:
        pass
    spec = JobSpec.from_json((folder / SPEC).read_text(encoding="utf-8"))
    partial = folder / f".partial-{spec.file_name}"
    done = 0

    def stop(_signum, _frame) -> None:  # noqa: ANN001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)

    def report(rows: int) -> None:
        _write_progress(folder, state=RUNNING, done=rows, total=max(spec.total, rows))

    target = os.environ.get(STORE_ENV, "")
    try:
        store = open_store(target)
        done = produce(store, spec, partial, report)
        os.replace(partial, folder / spec.file_name)
        _write_progress(folder, state=DONE, done=done, total=done)
        return 0
    except KeyboardInterrupt:
        partial.unlink(missing_ok=True)
        _write_progress(folder, state=CANCELLED, done=done, total=spec.total)
        return 1
    except Exception as exc:  # noqa: BLE001 - said in the progress file, shown on the page
        partial.unlink(missing_ok=True)
        traceback.print_exc()
        message = (str(exc).splitlines() or [type(exc).__name__])[0].replace(target, redact_target(target))
        _write_progress(folder, state=FAILED, done=done, total=spec.total, error=message[:300])
        return 2


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
