"""Helpers shared by the whole suite: one rule for what a fresh clone may lack, one data folder."""

from __future__ import annotations

import io
import os
import struct
import zlib
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
