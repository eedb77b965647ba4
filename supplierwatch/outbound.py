"""Calls to addresses that others choose (webhook receivers, feeds): the one HTTP client that
connects only to an address it has checked.

Checking a URL's host before the call is not enough: the HTTP client resolves the name again, and a
hostile name server answers a public address to the check and 127.0.0.1 to the client (DNS
rebinding). Here the name is resolved once, when a connection is opened; every address it resolves
to is checked, and the socket connects to a checked address, while the request keeps the host name
(so the Host header, TLS SNI and the certificate's verification are the original host's). Each
connection is checked so, redirects included. Pure: no Django.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

REFUSED_ADDRESS = "the host resolves to a private, loopback or reserved address"
# A response body read through `read_limited` stops here unless the caller says otherwise.
MAX_RESPONSE_BYTES = 1024 * 1024


class DestinationRefused(httpx.TransportError):
    """The host resolves to an address we do not call (or to none). An httpx error, so a caller
    that handles any failed request handles it; one that must tell it apart catches it first."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResponseTooLarge(Exception):
    pass


def address_refusal(address: str) -> str | None:
    """Why we may not connect to this IP address (loopback, private, link-local such as cloud
    metadata, shared, reserved, multicast), or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return REFUSED_ADDRESS
    return None


def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The host's addresses, each of them checked; DestinationRefused when any is refused (a name
    with one bad address among good ones is a rebinding attempt as well), httpcore.ConnectError when
    the name does not resolve (perhaps for now). `allow_private` (development) checks nothing."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpcore.ConnectError(f"the host name does not resolve: {error}") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise httpcore.ConnectError("the host name does not resolve")
    if not allow_private:
        for address in addresses:
            if refusal := address_refusal(address):
                raise DestinationRefused(refusal)
    return addresses


def destination_refusal(host: str, port: int, *, allow_private: bool) -> str | None:
    """Why a call to this host would be refused now, or None: to tell whoever gives us a URL at
    once. The client checks again at every connection, which is what keeps the promise.
    `allow_private` (development) asks nothing, not even whether the name resolves."""
    if allow_private:
        return None
    try:
        resolve_checked(host, port, allow_private=allow_private)
    except DestinationRefused as refusal:
        return refusal.reason
    except httpcore.ConnectError:
        return "the host name does not resolve"
    return None


class _PinnedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting to the addresses `resolve_checked` gave for the host
    and to nothing else: the IP address is what the socket connects to, never a name that a
    second lookup could turn elsewhere."""

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_checked(host, port, allow_private=self._allow_private)
        deadline = None if timeout is None else time.monotonic() + timeout
        failure: Exception | None = None
        for address in addresses:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # resolve_checked returns at least one address
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, whose connection pool opens its connections through _PinnedBackend.

    httpx (0.28) takes no network backend, so the pool it builds is replaced by one that is the
    same but for the backend; tests/test_outbound.py fails if a later httpx stops using it.
    """

    def __init__(self, *, allow_private: bool, verify: ssl.SSLContext | bool = True) -> None:
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(allow_private=allow_private),
        )


def guarded_client(
    *,
    allow_private: bool,
    timeout: float,
    connect_timeout: float | None = None,
    follow_redirects: bool = False,
    max_redirects: int = 5,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client for addresses that others chose: no proxies or credentials from the
    environment, bounded time, redirects only when asked (each new connection checked as the first
    one), and responses uncompressed, so a body read through `read_limited` cannot inflate."""
    return httpx.Client(
        transport=GuardedTransport(allow_private=allow_private, verify=verify),
        timeout=httpx.Timeout(timeout, connect=connect_timeout or timeout),
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )


class ResponseTooSlow(Exception):
    pass


def read_limited(
    response: httpx.Response,
    *,
    max_bytes: int = MAX_RESPONSE_BYTES,
    max_seconds: float | None = None,
) -> bytes:
    """The body of a streamed response; ResponseTooLarge past `max_bytes`, read no further.

    The client's timeout bounds each read, not the whole body: a server trickling a byte a second
    would keep a worker forever. `max_seconds` bounds the whole (ResponseTooSlow)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"the response is larger than {max_bytes} bytes")
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise ResponseTooLarge(f"the response is larger than {max_bytes} bytes")
        if deadline is not None and time.monotonic() > deadline:
            raise ResponseTooSlow(f"the response took longer than {max_seconds:g} seconds")
    return bytes(body)
