"""The HTTP adaptor: puts a :class:`~.provider.DevIdP` on a loopback socket.

A ``ThreadingHTTPServer`` in a daemon thread; each request is parsed into a
:class:`~.web.Request`, answered by :meth:`DevIdP.handle`, and logged on one line through the
``tenant_sso.devidp`` logger with secrets (codes, tokens, client secrets) shortened.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .web import BadRequest, Request, Response, parse_cookies, parse_params, text_response

if TYPE_CHECKING:
    from .provider import DevIdP

logger = logging.getLogger("tenant_sso.devidp")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_BODY = 64 * 1024
_SECRET_PARAMS = frozenset(
    {
        "code",
        "client_secret",
        "code_verifier",
        "token",
        "refresh_token",
        "access_token",
        "id_token",
        "csrf_token",
        "request_id",
        "state",
        "nonce",
        "code_challenge",
    }
)


def redact_path(path: str) -> str:
    """The request target with secret query values cut to their first 4 characters."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    parts = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        if eq and name in _SECRET_PARAMS and len(value) > 4:
            value = value[:4] + "..."
        parts.append(f"{name}{eq}{value}")
    return f"{base}?{'&'.join(parts)}"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # SO_REUSEADDR: restart on the same port right after a stop (connections left in TIME_WAIT);
    # Linux still refuses a port another server is listening on.
    allow_reuse_address = True
    timeout = None  # handle_request() is only called when the socket is readable

    def __init__(self, address: tuple[str, int], idp: DevIdP, *, keep_alive: bool = False) -> None:
        self.idp = idp
        self.keep_alive = keep_alive
        #: Connections accepted so far, and those open now (closed at stop: no answer after it).
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.connections += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._open_lock:
            open_now, self._open = list(self._open), set()
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up is not worth a traceback on stderr.
        logger.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "devidp/1.0"
    sys_version = ""
    timeout = 30  # seconds a slow client may hold a worker thread
    # Answer even an unparseable request line with a status line and headers (not HTTP/0.9).
    default_request_version = "HTTP/1.0"
    # Headers and body are two writes: without TCP_NODELAY the body of an answer on a kept-alive
    # connection waits for the client's delayed ACK of the headers (about 40 ms on Linux).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # Other standard methods get a clean 404/405 from the router instead of http.server's 501.
    do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        try:
            request = self._parse()
        except BadRequest as exc:
            response = text_response(400, f"Bad Request: {exc}\n")
        else:
            try:
                response = self.server.idp.handle(request)
            except Exception:
                logger.exception("error answering %s %s", self.command, redact_path(self.path))
                response = text_response(500, "Internal Server Error\n")
        self._send(response)

    def _parse(self) -> Request:
        path, _, query = self.path.partition("?")
        headers = {k: v for k, v in self.headers.items()}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        form: dict[str, list[str]] = {}
        body = b""
        if self.command == "POST":
            if self.headers.get("Transfer-Encoding"):
                raise BadRequest("chunked request bodies are not supported")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise BadRequest("invalid Content-Length") from None
            if length < 0 or length > MAX_BODY:
                raise BadRequest("request body too large")
            body = self.rfile.read(length) if length else b""
            if content_type == "application/x-www-form-urlencoded":
                form = parse_params(body.decode("utf-8", "replace"))
        return Request(
            method=self.command,
            path=path,
            query=parse_params(query),
            form=form,
            headers=headers,
            cookies=parse_cookies(self.headers.get("Cookie")),
            content_type=content_type,
            body=body,
        )

    def setup(self) -> None:
        if self.server.keep_alive:
            self.protocol_version = "HTTP/1.1"  # persistent unless the client says close
        super().setup()

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if not self.server.keep_alive:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # On a malformed request line, command and path may not be set yet.
        path = redact_path(getattr(self, "path", "") or "")
        logger.info('%s "%s %s" %s', self.client_address[0], self.command or "-", path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.warning("%s %s", self.client_address[0], format % args)


class DevIdPServer:
    """A running :class:`DevIdP` on ``http://{host}:{port}``; a context manager that stops it.

    ``base_url`` is the Cognito domain (authorize, token, userInfo, logout live under it);
    ``issuer`` is the pool issuer, ``{base_url}/{user_pool_id}``.
    """

    def __init__(self, idp: DevIdP, host: str = "127.0.0.1", port: int = 0, *, keep_alive: bool = False) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"devidp only binds to loopback ({', '.join(LOOPBACK_HOSTS)}), not {host!r}")
        self.idp = idp
        self._httpd = _HTTPServer(("127.0.0.1", port), idp, keep_alive=keep_alive)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        # A socket pair wakes the serving loop at stop(), so stopping takes no polling delay.
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"devidp-{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._httpd and not self._stopping.is_set():
                        self._httpd.handle_request()  # readable: accepts without blocking

    @property
    def connections(self) -> int:
        """TCP connections accepted since the start (with ``keep_alive``, fewer than requests)."""
        return self._httpd.connections

    @property
    def issuer(self) -> str:
        """The pool issuer: ``{base_url}/{user_pool_id}``."""
        return f"{self.base_url}/{self.idp.config.user_pool_id}"

    @property
    def discovery_url(self) -> str:
        """``{issuer}/.well-known/openid-configuration``."""
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        """``{issuer}/.well-known/jwks.json``."""
        return f"{self.issuer}/.well-known/jwks.json"

    def authorize_url(self, client_id: str, redirect_uri: str, **params: str) -> str:
        """An ``/oauth2/authorize`` URL with ``response_type=code`` and ``scope=openid`` defaults."""
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            **params,
        }
        return f"{self.base_url}/oauth2/authorize?{urlencode(query)}"

    def logout_url(self, client_id: str, logout_uri: str) -> str:
        """A Cognito ``/logout`` URL."""
        return f"{self.base_url}/logout?{urlencode({'client_id': client_id, 'logout_uri': logout_uri})}"

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd.close_open_connections()
        self._wake_r.close()
        self._wake_w.close()
        self.idp._detach(self)

    def __enter__(self) -> DevIdPServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopping.is_set() else "running"
        return f"<DevIdPServer {self.base_url} {state}>"
