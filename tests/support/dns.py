"""A real DNS server on 127.0.0.1 for the domain verification tests (dnslib's server, UDP + TCP).

Authoritative for whatever zones a test gives it: ``server.zone("acme.test", txt={...})`` makes
``acme.test`` exist (NOERROR) with TXT records per name; any other name under it is NXDOMAIN, as
is every name outside the zones. Two behaviours of real servers on demand: ``slow`` names are
answered only after the test is over (a resolver that never answers in time), ``servfail`` names
answer SERVFAIL. UDP answers above 512 bytes are truncated (TC), so a large RRset is read over
TCP, as from a real server without EDNS. Every query is recorded (``server.queries``).

    with DNSTestServer() as server:
        server.zone("acme.test", txt={"_tenant-sso.acme.test": ["tenant-sso-verification=..."]})
        settings.TENANT_SSO_DNS_RESOLVERS = [server.address]
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

#: TENANT_SSO_DNS_TIMEOUT in the tests that use :class:`DNSTestServer` (seconds).
TEST_TIMEOUT = 0.5


def _txt(value: str) -> TXT:
    """A TXT record, split into 255-byte strings as DNS consoles do for long values."""
    data = value.encode()
    return TXT([data[i : i + 255] for i in range(0, len(data), 255)] or [b""])


@dataclass
class _Zones(BaseResolver):  # type: ignore[misc]
    apexes: set[str] = field(default_factory=set)
    txt: dict[str, list[str]] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    servfail: set[str] = field(default_factory=set)
    queries: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, protocol)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        with self.lock:
            self.queries.append((name, QTYPE[request.q.qtype], handler.protocol))
        reply = request.reply()
        if any(name == s or name.endswith("." + s) for s in self.slow):
            self.released.wait(30)  # past any resolver's deadline; released when the server stops
            return reply
        if any(name == s or name.endswith("." + s) for s in self.servfail):
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if name in self.txt:
            if request.q.qtype in (QTYPE.TXT, QTYPE.ANY):
                for value in self.txt[name]:
                    reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=_txt(value), ttl=60))
            return reply
        if name in self.apexes:
            return reply  # the name exists, no record of that type (NOERROR, empty answer)
        reply.header.rcode = RCODE.NXDOMAIN
        return reply


class _Handler(DNSHandler):  # type: ignore[misc]
    """No EDNS in the server: a UDP answer above 512 bytes is sent truncated (header and question,
    TC set, as real servers do; dnslib's own truncation drops the question), and the client
    retries over TCP."""

    def get_reply(self, data: bytes) -> bytes:
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed: bytes = reply.pack()
        if self.protocol == "udp" and len(packed) > 512:
            truncated = request.reply()
            truncated.header.tc = 1
            packed = truncated.pack()
        return packed


class DNSTestServer:
    """UDP and TCP on one free port of 127.0.0.1; a context manager."""

    def __init__(self) -> None:
        self.zones = _Zones()
        self._servers: list[Any] = []
        self.port = 0

    # -- zones ----------------------------------------------------------------------------------
    def zone(self, apex: str, txt: dict[str, Iterable[str]] | None = None) -> None:
        self.zones.apexes.add(apex)
        for name, values in (txt or {}).items():
            self.zones.txt[name] = list(values)

    def slow(self, apex: str) -> None:
        self.zones.slow.add(apex)

    def servfail(self, apex: str) -> None:
        self.zones.servfail.add(apex)

    @property
    def queries(self) -> list[tuple[str, str, str]]:
        return list(self.zones.queries)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> DNSTestServer:
        logger = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        for _attempt in range(20):  # a UDP port whose TCP twin is free too
            udp = DNSServer(self.zones, address="127.0.0.1", port=0, logger=logger, handler=_Handler)
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(
                    self.zones, address="127.0.0.1", port=port, tcp=True, logger=logger, handler=_Handler
                )
            except OSError:
                udp.server.server_close()
                continue
            self.port, self._servers = port, [udp, tcp]
            break
        else:
            raise RuntimeError("no free port for the DNS test server")
        for server in self._servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        self.zones.released.set()
        for server in self._servers:
            server.stop()
            server.server.server_close()
        self._servers = []

    def __enter__(self) -> DNSTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_udp_port() -> int:
    """A UDP port of 127.0.0.1 nobody listens on (a resolver that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
