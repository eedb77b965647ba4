"""The guarded HTTP client connects only to an address it checked: a name that resolves to a public
address once and to 127.0.0.1 the next time (DNS rebinding) never gets a connection to 127.0.0.1;
every address of a name is checked; redirects are checked like the first connection; the request
keeps the host name for Host, TLS SNI and the certificate; a response is read up to a limit.

Nothing here leaves the machine: a fake resolver stands for the name server, and "public" servers
are local ones that the connection is redirected to after the client chose the public address.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import trustme

from supplierwatch import outbound
from supplierwatch.outbound import DestinationRefused, ResponseTooLarge, guarded_client
from tests.helpers import PUBLIC_ADDRESS as PUBLIC

HOST = "hooks.example"

# --- A local HTTP(S) server that records what reached it ----------------------------------------


@dataclass
class Seen:
    hosts: list[str] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    status: int = 200
    location: str = ""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        seen: Seen = self.server.seen  # type: ignore[attr-defined]
        seen.hosts.append(self.headers.get("Host", ""))
        body = b"internal secret"
        self.send_response(seen.status)
        if seen.location:
            self.send_header("Location", seen.location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a refused TLS handshake is what some tests want


@contextmanager
def local_server(seen: Seen, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = seen  # type: ignore[attr-defined]
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: seen.server_names.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _client(**options) -> httpx.Client:
    return guarded_client(allow_private=False, timeout=2.0, **options)


# --- DNS rebinding ---------------------------------------------------------------------------------


def test_a_name_that_rebinds_to_loopback_never_gets_a_connection_there(network):
    seen = Seen()
    with local_server(seen) as port:
        network.answers[HOST] = [[PUBLIC], ["127.0.0.1"]]
        with _client() as client, pytest.raises(httpx.ConnectError):
            client.get(f"http://{HOST}:{port}/admin")
        # Connecting to the public address failed; the next attempt resolves again, and refuses.
        with _client() as client, pytest.raises(DestinationRefused):
            client.get(f"http://{HOST}:{port}/admin")
    assert network.connections == [(PUBLIC, port)]
    assert network.lookups == [HOST, HOST]  # once per connection, never again behind the check
    assert seen.hosts == []


def test_every_address_of_a_name_is_checked(network):
    network.answers[HOST] = [[PUBLIC, "10.0.0.7"]]
    with _client() as client, pytest.raises(DestinationRefused, match="private"):
        client.get(f"http://{HOST}/")
    assert network.connections == []


def test_a_redirect_is_checked_like_the_first_connection(network):
    internal, public = Seen(), Seen(status=302)
    with local_server(internal) as internal_port, local_server(public) as public_port:
        public.location = f"http://127.0.0.1:{internal_port}/latest/meta-data"
        network.answers[HOST] = [[PUBLIC]]
        network.public_goes_to = public_port
        with _client(follow_redirects=True) as client, pytest.raises(DestinationRefused):
            client.get(f"http://{HOST}/feed")
        with _client() as client:
            assert client.get(f"http://{HOST}/feed").status_code == 302  # not followed
    assert len(public.hosts) == 2 and internal.hosts == []


def test_a_name_that_does_not_resolve_is_a_connection_error_worth_retrying(network):
    with _client() as client, pytest.raises(httpx.ConnectError) as raised:
        client.get("http://no-such-host.invalid/")
    assert not isinstance(raised.value, DestinationRefused)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.0.10", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # shared address space (carrier NAT)
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("::7f00:1", True),  # IPv4-compatible, reserved
        (PUBLIC, False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_addresses_inside_a_network_are_refused(address, refused):
    assert (outbound.address_refusal(address) is not None) is refused


# --- The pinned connection keeps the host name ------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def _tls_server_context(authority: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert(name).configure_cert(context)
    return context


def _trusting(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def test_the_request_goes_to_the_checked_address_with_the_host_name_for_host_sni_and_certificate(
    network, authority
):
    seen = Seen()
    with local_server(seen, tls=_tls_server_context(authority, HOST)) as port:
        network.answers[HOST] = [["127.0.0.1"]]
        # The guard's loopback allowance, as in development: the address is still the resolved one.
        with guarded_client(allow_private=True, timeout=2.0, verify=_trusting(authority)) as client:
            response = client.get(f"https://{HOST}:{port}/hooks")
    assert response.status_code == 200
    assert network.connections == [("127.0.0.1", port)]
    assert seen.server_names == [HOST]
    assert seen.hosts == [f"{HOST}:{port}"]


def test_the_certificate_is_verified_for_the_host_name_not_the_address(network, authority):
    seen = Seen()
    with local_server(seen, tls=_tls_server_context(authority, "other.example")) as port:
        network.answers[HOST] = [["127.0.0.1"]]
        with (
            guarded_client(allow_private=True, timeout=2.0, verify=_trusting(authority)) as client,
            pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            client.get(f"https://{HOST}:{port}/hooks")
    assert seen.hosts == []


# --- Bounded reading -------------------------------------------------------------------------------


def test_a_response_is_read_up_to_a_limit():
    declared = httpx.Response(200, content=b"x" * 2048)
    with pytest.raises(ResponseTooLarge):
        outbound.read_limited(declared, max_bytes=1024)
    streamed = httpx.Response(200, content=iter([b"x" * 600] * 4))
    assert "Content-Length" not in streamed.headers
    with pytest.raises(ResponseTooLarge):
        outbound.read_limited(streamed, max_bytes=1024)
    assert outbound.read_limited(httpx.Response(200, content=b"ok"), max_bytes=2) == b"ok"


def test_the_client_takes_nothing_from_the_environment(monkeypatch, network):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    network.answers[HOST] = [[PUBLIC]]
    with _client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://{HOST}/")
    assert network.connections == [(PUBLIC, 80)]
