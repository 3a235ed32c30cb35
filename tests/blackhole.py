"""A loopback TCP proxy that can turn into a silent network (a black hole), for the tests.

``BlackholeProxy(target_port)`` listens on ``127.0.0.1:<free port>`` (:attr:`port`) and
forwards every connection to ``127.0.0.1:target_port``. :meth:`blackhole` makes it silent:
it stops forwarding in both directions and stops reading from its sockets without closing
them, and it still accepts new connections but never forwards them (a firewall that drops
packets, not one that refuses them: nobody gets a reset or an end of file). :meth:`restore`
forwards again (connections that were open carry on, as after a network outage);
:meth:`close` ends it.

What the client sees is what a server that stops answering looks like from the client's
side: its kernel still acknowledges what it sends (the proxy's kernel does), so TCP's own
keepalives and ``tcp_user_timeout`` do not notice; only an application-level deadline does.

Bounded: at most ``max_connections`` at a time (more are closed at once), two small threads
per connection, and it closes itself after ``lifetime`` seconds so a test that forgets it
cannot leave it running. Loopback only. Standard library only.
"""
from __future__ import annotations

import select
import socket
import threading
import time


class BlackholeProxy:
    """Start on construction; use as a context manager or call :meth:`close`."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", max_connections: int = 64,
                 lifetime: float = 600.0) -> None:
        if target_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the proxy forwards to loopback only")
        self.target = (target_host, int(target_port))
        self.max_connections = max_connections
        self._silent = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._threads: list[threading.Thread] = []
        self.accepted = 0            # connections accepted so far
        self.accepted_silent = 0     # of which while silent (held, never forwarded)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._deadline = time.monotonic() + lifetime
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"blackhole-accept-{self.port}",
                                          daemon=True)
        self._acceptor.start()

    # ------------------------------------------------------------ control
    def blackhole(self) -> None:
        """Go silent: nothing is forwarded, nothing read, nothing closed; new connections are
        accepted and held without an answer."""
        self._silent.set()

    def restore(self) -> None:
        """Forward again."""
        self._silent.clear()

    @property
    def silent(self) -> bool:
        return self._silent.is_set()

    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def close(self) -> None:
        """Stop accepting, close every socket, wait for the threads (a few tenths of a second)."""
        self._stop.set()
        self._silent.clear()
        if threading.current_thread() is not self._acceptor:
            self._acceptor.join(timeout=5)   # it sees the stop within a tenth of a second
        _close(self._listener)
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _close(client)
            _close(upstream)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def __enter__(self) -> "BlackholeProxy":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ work
    def _expired(self) -> bool:
        return self._stop.is_set() or time.monotonic() > self._deadline

    def _accept_loop(self) -> None:
        try:
            while not self._expired():
                try:
                    ready, _, _ = select.select([self._listener], [], [], 0.1)
                    if not ready:
                        continue
                    client, _addr = self._listener.accept()
                except (OSError, ValueError):   # the listener closed
                    break
                self.accepted += 1
                with self._lock:
                    full = len(self._pairs) >= self.max_connections
                if full:
                    _close(client)
                    continue
                if self._silent.is_set():
                    # A silent network: the connection is taken and never answered, never closed.
                    self.accepted_silent += 1
                    with self._lock:
                        self._pairs.append((client, None))
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
                upstream.settimeout(None)
                with self._lock:
                    self._pairs.append((client, upstream))
                for src, dst, name in ((client, upstream, "up"), (upstream, client, "down")):
                    thread = threading.Thread(target=self._pump, args=(src, dst, client, upstream),
                                              name=f"blackhole-{self.port}-{name}", daemon=True)
                    self._threads.append(thread)
                    thread.start()
                self._threads = [t for t in self._threads if t.is_alive()]
        finally:
            if not self._stop.is_set():   # lifetime over: close everything
                self.close()

    def _pump(self, src: socket.socket, dst: socket.socket, client: socket.socket,
              upstream: socket.socket) -> None:
        """Copy ``src`` to ``dst`` while not silent; while silent, read nothing and wait."""
        try:
            while not self._expired():
                if self._silent.is_set():
                    time.sleep(0.05)
                    continue
                ready, _, _ = select.select([src], [], [], 0.1)
                if not ready or self._silent.is_set():
                    continue
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except (OSError, ValueError):   # a socket closed under it (close(), the other pump)
            pass
        if self._silent.is_set() and not self._expired():
            return   # silent: a closed end is not passed on either
        with self._lock:
            if (client, upstream) in self._pairs:
                self._pairs.remove((client, upstream))
        _close(client)
        _close(upstream)


def _close(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
