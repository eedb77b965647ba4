"""Helpers shared by the whole suite: one rule for what a fresh clone may lack, one data folder."""

from __future__ import annotations

import io
import os
import socket
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest

# The shared data folder beside the project root (../shared/data), present in CI's checkout.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip the test when `condition` is false, but fail it in CI: CI has every service and file."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: nothing may be skipped for a missing service or file)")
    pytest.skip(reason)


def _one_page_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


# A one-page PDF and a one-pixel PNG: files an upload recognises by their content.
PDF = _one_page_pdf()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def content_security_policy(response) -> dict[str, list[str]]:
    """A response's Content-Security-Policy header as {directive: [sources]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives if name}


# --- A name server that rebinds, and a record of every connection (tests of outgoing calls) -------

# A public address that the tests never really reach (Network refuses or redirects it).
PUBLIC_ADDRESS = "93.184.216.34"
_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


@dataclass
class Network:
    """`answers[name]` is a list of answers, one per lookup (the last repeats); an IP address
    resolves to itself, as it does without asking any name server. `public_goes_to` sends a
    connection to a public address to a local port instead, standing for that public server."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)
    public_goes_to: int | None = None

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        self.lookups.append(host)
        answers = self.answers[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses
        ]

    def create_connection(self, address, *args, **kwargs):
        host, port = address
        # What the socket is asked to connect to, as the resolver answers it.
        (resolved,) = {info[4][0] for info in socket.getaddrinfo(host, port)}
        self.connections.append((resolved, port))
        if resolved == "127.0.0.1":
            return _real_create_connection(address, *args, **kwargs)
        if self.public_goes_to is not None:
            return _real_create_connection(("127.0.0.1", self.public_goes_to), *args, **kwargs)
        raise ConnectionRefusedError(111, "Connection refused")
