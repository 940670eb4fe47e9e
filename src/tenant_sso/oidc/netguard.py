"""Where requests to identity providers may go: https to public addresses, nothing else.

Every tenant's identity provider may be hostile, and its discovery document names the URLs the
app will call with the authorization code, the PKCE verifier and the client secret. Two checks
hold every such call (docs/security.md, "Requests to identity providers"):

1. :meth:`NetworkPolicy.check_url`, before anything is sent: the URL parses, its host is a valid
   (IDNA) host name, the scheme is ``https``, and a literal internal address or ``localhost`` is
   refused. ``http://`` is accepted only for a loopback host, and only when the policy allows
   loopback (the development setting ``TENANT_SSO_ALLOW_LOOPBACK_HTTP``).
2. :class:`GuardedBackend`, when the connection is opened: the host name is resolved once, every
   address it resolves to is checked, and the socket connects to one of those checked addresses
   (then its peer address is checked again). A public-looking name that resolves to 127.0.0.1,
   10.0.0.0/8 or 169.254.169.254, or that re-resolves to one after a first check (DNS rebinding),
   is never connected to. No connection is attempted to an internal address, so whether a
   service listens there cannot be learned from the answer.

No Django imports: the policy is built from settings by :mod:`tenant_sso.wiring`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import idna

from ..exceptions import ProviderError, URLRefused

#: Longest URL accepted from a provider.
MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def parse_address(text: str) -> IPAddress | None:
    """An IP address literal (``[::1]``, ``fe80::1%eth0`` too), or None for a host name."""
    text = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_loopback(ip: IPAddress) -> bool:
    embedded = _embedded_ipv4(ip)
    return ip.is_loopback or (embedded is not None and embedded.is_loopback)


def is_internal(ip: IPAddress) -> bool:
    """Loopback, private, link-local (169.254.169.254), unique-local, unspecified, multicast,
    reserved, shared (100.64.0.0/10): every address that is not a public unicast address."""
    candidates: list[IPAddress] = [ip]
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        candidates.append(embedded)
    return any(
        not a.is_global or a.is_multicast or a.is_reserved or a.is_unspecified or a.is_link_local
        for a in candidates
    )


_ASCII_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def check_host_name(host: str) -> None:
    """Raise ``ValueError`` (``idna.IDNAError`` included) unless ``host`` is a usable DNS name.

    The IDNA codec fails at connection time on what the URL parser let through (``a..b``, a
    64-character label, an invalid ``xn--`` A-label): refuse those here, with a reason code.
    Plain ASCII names keep the letters, digits, ``-`` and ``_`` DNS allows in practice.
    """
    name = host.rstrip(".")
    if not name.isascii() or any(label.lower().startswith("xn--") for label in name.split(".")):
        name = idna.encode(name, uts46=True).decode("ascii")
    if len(name) > 253 or not all(_ASCII_LABEL.fullmatch(label) for label in name.split(".")):
        raise ValueError("not a valid host name")


def _is_localhost_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")  # RFC 6761 6.3


def describe(url: object) -> str:
    """A URL for an error's detail: shortened and escaped (never raw provider text in the audit)."""
    return repr(url[:200] if isinstance(url, str) else type(url).__name__)


@dataclass(frozen=True)
class NetworkPolicy:
    """``allow_loopback``: development only; http:// and connections to loopback addresses."""

    allow_loopback: bool = False

    def address_allowed(self, ip: IPAddress) -> bool:
        if is_loopback(ip):
            return self.allow_loopback
        return not is_internal(ip)

    def check_url(self, url: object) -> None:
        """Raise :class:`~tenant_sso.exceptions.URLRefused` unless a request to ``url`` is allowed (before DNS).

        Codes: ``endpoint_invalid`` (not a URL with a valid host), ``insecure_endpoint`` (not
        https, or plaintext outside development), ``internal_address`` (a literal internal
        address or ``localhost``).
        """
        if (
            not isinstance(url, str)
            or not url
            or len(url) > MAX_URL_LENGTH
            or not url.isprintable()  # control characters, lone surrogates
            or any(c.isspace() or c == "\\" for c in url)
        ):
            raise URLRefused("endpoint_invalid", describe(url), detail=f"{describe(url)} is not a URL")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
            parsed = httpx.URL(url)  # the client's own parser decides where the request goes
            host = parsed.raw_host.decode("ascii")  # IDNA-encoded, as it will be resolved
            other = parts.hostname or ""
            if host and parse_address(host) is None:
                check_host_name(host)
                if not other.isascii():
                    other = idna.encode(other.rstrip("."), uts46=True).decode("ascii") + "." * other.endswith(".")
        except (ValueError, UnicodeError, httpx.InvalidURL) as exc:  # IDNAError is a UnicodeError
            raise URLRefused("endpoint_invalid", describe(url), detail=f"{describe(url)}: {type(exc).__name__}") from exc
        if not host or parts.username is not None or parts.password is not None or parsed.userinfo:
            raise URLRefused("endpoint_invalid", describe(url), detail=f"{describe(url)} has no host or has credentials")
        if other.lower() != host.lower() or parts.scheme.lower() != parsed.scheme:
            # Two URL parsers reading two different hosts is how checks get bypassed: refuse.
            raise URLRefused("endpoint_invalid", describe(url), detail=f"{describe(url)} is ambiguous")
        address = parse_address(host)
        loopback = _is_localhost_name(host) or (address is not None and is_loopback(address))
        if parsed.scheme == "http" and loopback and self.allow_loopback:
            return
        if parsed.scheme != "https":
            raise URLRefused("insecure_endpoint", describe(url), detail=f"{describe(url)} is not https")
        if loopback and not self.allow_loopback:
            raise URLRefused("internal_address", describe(url), detail=f"{describe(url)} is a loopback host")
        if address is not None and not self.address_allowed(address):
            raise URLRefused("internal_address", describe(url), detail=f"{describe(url)} is an internal address")

    def is_secure_url(self, url: object) -> bool:
        try:
            self.check_url(url)
        except ProviderError:
            return False
        return True


class AddressRefused(httpcore.ConnectError):
    """The host resolved to an address the policy refuses (raised before any connection)."""


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, connecting only to addresses the policy allows."""

    def __init__(
        self,
        policy: NetworkPolicy,
        inner: httpcore.NetworkBackend | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self.policy = policy
        self.inner = inner or httpcore.SyncBackend()
        self.resolve = resolve

    def _addresses(self, host: str, port: int) -> list[str]:
        literal = parse_address(host)
        if literal is not None:
            return [str(literal)]
        try:
            # The system resolver, looked up at each call (tests stand in for DNS by replacing it).
            infos = (self.resolve or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # gaierror; an invalid IDNA label
            raise httpcore.ConnectError(f"cannot resolve host: {type(exc).__name__}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise httpcore.ConnectError("host has no address")
        return addresses

    def _check(self, addresses: Iterable[str]) -> None:
        for text in addresses:
            ip = parse_address(text)
            if ip is None or not self.policy.address_allowed(ip):
                # One refused address refuses the host: never pick among them.
                raise AddressRefused("host resolves to an internal address")

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._addresses(host, port)
        self._check(addresses)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            sock = stream.get_extra_info("socket")
            peer = sock.getpeername()[0] if sock is not None else address
            try:
                self._check([peer])  # the address actually connected to
            except AddressRefused:
                stream.close()
                raise
            return stream
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not identity providers")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connections go through :class:`GuardedBackend`.

    Built without a proxy: the address check needs the direct connection (an egress proxy, when
    a deployment has one, does its own filtering; ``HTTP(S)_PROXY`` are not read).
    """

    def __init__(self, policy: NetworkPolicy, *, resolve: Resolver | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pool = self._pool
        if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - no proxy is passed
            raise TypeError("GuardedTransport needs a direct connection pool")
        pool._network_backend = GuardedBackend(policy, pool._network_backend, resolve)


def refused(exc: BaseException) -> bool:
    """Whether an httpx error was caused by :class:`AddressRefused`."""
    while exc is not None:
        if isinstance(exc, AddressRefused):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False
