"""Per-process start-up of the web server: TCP_NODELAY on the listening socket, warm caches."""

from __future__ import annotations

import socket
import sys

import pytest

from victim_support.web.server import tcp_nodelay_on_listeners

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")


@linux_only
def test_listener_bound_by_a_supervisor_gets_tcp_nodelay_and_passes_it_on():
    # As uvicorn --workers binds it: proto 0, so asyncio would not set TCP_NODELAY on accepted sockets.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client = peer = None
    try:
        listener.bind(("127.0.0.1", 0))
        assert listener.proto == 0
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert tcp_nodelay_on_listeners() >= 1  # bound, not yet listening (workers listen later)
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        peer, _ = listener.accept()
        assert peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # inherited
        assert tcp_nodelay_on_listeners() == 0  # already set; connected sockets are left alone
    finally:
        for sock in (peer, client, listener):
            if sock is not None:
                sock.close()


def test_warm_up_renders_a_sample_certificate():
    from ledgers.certificates.pdf import warm_up

    assert warm_up() in (True, False)  # False only without a Japanese font
