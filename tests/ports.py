"""Ports for the servers a test starts as processes of their own (``psm serve``, a private
Kafka or stack).

Such a server binds its port seconds after the test picked it. A port taken from the
kernel's ephemeral range (``bind(0)``) may be handed, in those seconds, to any other
socket that binds port 0 — another test's in-process server, a browser — or to an
outgoing connection; the test then talks to someone else's server (seen: a 401 from
another worker's marketplace). So these ports come from below that range, where the
kernel never hands out a port by itself, and are checked to be free now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOW, DEFAULT_EPHEMERAL_START = 20000, 32768


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_START


def unused_ports(n: int) -> list[int]:
    """``n`` distinct ports, free now, outside the kernel's ephemeral range."""
    top = max(LOW + 1000, _ephemeral_start())
    chosen: list[int] = []
    while len(chosen) < n:
        port = random.randrange(LOW, top)
        if port in chosen:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
    return chosen


def unused_port() -> int:
    return unused_ports(1)[0]
