"""Stand-ins for what surrounds an API proxy on a device, each a real server on the
device's loopback address: Docker's embedded DNS (module names → the device), edgeHub's
HTTPS endpoint, the proxy module's own token server, and a blob storage module. Each keeps
the requests it saw, so a test can tell which server a request reached, with which URI and
headers."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dnslib import QTYPE, RCODE, RR, A  # type: ignore[import-untyped]
from dnslib.server import BaseResolver, DNSServer  # type: ignore[import-untyped]

#: Where each device's DNS stand-in listens (Docker's is 127.0.0.11:53, one per network).
DNS_PORT = 1053


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body_size: int
    http_version: str = "HTTP/1.1"


@dataclass
class HttpStandIn:
    """A threaded HTTP(S) server that records each request and answers `answer(request)`."""

    address: str
    port: int
    answer: Callable[[SeenRequest], tuple[int, dict[str, str], bytes]]
    tls: tuple[Path, Path] | None = None  # certificate chain, key
    seen: list[SeenRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = SeenRequest(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    len(body),
                    self.request_version,
                )
                stand_in.seen.append(request)
                status, headers, payload = stand_in.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((self.address, self.port), Handler)
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _DeviceNames(BaseResolver):  # type: ignore[misc]
    """Answers A queries for the device's module names (case-insensitive, as DNS is)."""

    def __init__(self, names: set[str], address: str) -> None:
        self.names = {name.lower().rstrip(".") for name in names}
        self.address = address

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        if name not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.A:
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(self.address), ttl=5))
        return reply


class DnsStandIn:
    """Docker's embedded DNS for one device: its module names resolve to its address."""

    def __init__(self, names: set[str], address: str) -> None:
        self.address = address
        self.server = DNSServer(
            _DeviceNames(names, address), port=DNS_PORT, address=address, logger=_Quiet()
        )

    def start(self) -> None:
        self.server.start_thread()

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()


class _Quiet:
    """dnslib's logger interface, silenced."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None
