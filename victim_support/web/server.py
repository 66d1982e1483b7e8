"""What every server process does once at start-up, before it serves its first request."""

from __future__ import annotations

import os
import socket
import threading

from litestar import Litestar

# The counter flow (窓口): templates its first visitor after a (re)start would otherwise wait for.
COUNTER_TEMPLATES = (
    "base.html",
    "certificates/counter.html",
    "certificates/_counter_results.html",
    "certificates/counter_household.html",
    "certificates/_damage.html",
    "certificates/_certificate_list.html",
)


def _listener(sock: socket.socket) -> bool:
    """Bound to a port and not connected: a server's socket, listening or about to (the workers
    call listen() themselves, maybe after this runs)."""
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        return True
    try:
        sock.getpeername()
    except OSError:
        return sock.getsockname()[1] != 0
    return False


def tcp_nodelay_on_listeners() -> int:
    """Turn Nagle's algorithm off on the TCP sockets this process listens on; returns how many.

    With ``uvicorn --workers N`` (and gunicorn's uvicorn worker) the listening socket is bound by
    the supervisor with ``proto`` 0, so asyncio does not set TCP_NODELAY on the connections it
    accepts (uvicorn issue 3149). A response is written as headers, then body: the body then waits
    for the client's delayed ACK, about 40 ms on Linux, on every keep-alive request after the
    first. Accepted sockets inherit TCP_NODELAY from the listener, so setting it there once is
    enough. Linux only (reads /proc/self/fd); elsewhere, and in single-process ``serve`` (asyncio
    binds and sets it itself), this finds nothing to do."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return 0
    changed = 0
    for fd in descriptors:
        try:
            duplicate = os.dup(fd)
        except OSError:  # closed meanwhile
            continue
        try:
            sock = socket.socket(fileno=duplicate)
        except OSError:  # not a socket
            os.close(duplicate)
            continue
        with sock:
            try:
                if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
                    continue
                if not _listener(sock):
                    continue
                if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
            except OSError:
                continue
    return changed


def warm_up(app: Litestar) -> None:
    """Load the certificate font and sample seal now (once per process, ~0.2 s) and compile the
    counter templates in the background, so the first counter visitor does not wait for them."""
    from ledgers.certificates.pdf import warm_up as warm_up_certificates

    warm_up_certificates()
    engine = getattr(getattr(app, "template_engine", None), "engine", None)
    if engine is None:
        return

    def compile_templates() -> None:
        for name in COUNTER_TEMPLATES:
            try:
                engine.get_template(name)
            except Exception:  # noqa: BLE001  (a broken template shows up when it is used)
                return

    threading.Thread(target=compile_templates, name="warm-templates", daemon=True).start()


def on_startup(app: Litestar) -> None:
    tcp_nodelay_on_listeners()
    warm_up(app)
