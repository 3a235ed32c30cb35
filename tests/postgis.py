"""A throwaway PostgreSQL + PostGIS server for the tests: a real server, never a mock.

It runs ``initdb`` and ``pg_ctl`` from Debian's ``postgresql`` packages (``.ci/run``
installs them) in a temporary folder, on a free loopback port, as the ``postgres``
system user when the tests run as root (initdb refuses root). If the binaries are
missing the fixture fails with a message saying what to install: it never skips.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). "
                           "Install them: apt-get install postgresql postgresql-15-postgis-3 "
                           "(.ci/run does this).")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostGISServer:
    """Start with :meth:`start`, get :attr:`url`, stop with :meth:`stop`."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fengtai-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://tester@127.0.0.1:{self.port}/fengtai"
        # The least-privilege roles of deploy/postgis-roles.sql (after :meth:`with_roles`).
        self.writer_url = f"postgresql://fengtai_writer@127.0.0.1:{self.port}/fengtai"
        self.reader_url = f"postgresql://fengtai_reader@127.0.0.1:{self.port}/fengtai"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> "PostGISServer":
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        psql = [self.bin / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-v",
                "ON_ERROR_STOP=1", "-c"]
        self._run(*psql, "CREATE ROLE tester LOGIN SUPERUSER")
        self._run(*psql, "CREATE DATABASE fengtai OWNER tester")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                self._run(self.bin / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tester",
                          "-d", "fengtai", "-c", "CREATE EXTENSION IF NOT EXISTS postgis")
                return self
            except subprocess.CalledProcessError as exc:
                last = exc.stderr
                time.sleep(0.5)
        raise RuntimeError(f"PostGIS extension could not be created: {last}")

    def psql(self, sql: str, user: str = "postgres") -> str:
        """Run ``sql`` with psql as ``user`` in the fengtai database; its output."""
        cmd = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", "fengtai",
               "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def with_roles(self) -> "PostGISServer":
        """Apply deploy/postgis-roles.sql as the superuser (the operator's step): then build with
        :attr:`writer_url` and serve the dashboard with :attr:`reader_url`."""
        script = Path(__file__).resolve().parent.parent / "deploy" / "postgis-roles.sql"
        cmd = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "fengtai",
               "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, input=script.read_text(encoding="utf-8"), check=True, capture_output=True, text=True)
        return self

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server (fast shutdown: sessions are cut), wait, start it again on the same port."""
        self.stop_server()
        time.sleep(down_seconds)
        self.start_server()

    def stop_server(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
