"""Webhook signatures, Stripe style: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

Pure Python with no Django import, so that receivers can copy it and tests need no database.
Signing the timestamp with the body lets a receiver refuse a replayed request older than its
tolerance; several `v1=` entries may appear while a secret is being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import time

DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, too old, or matches no secret."""


def compute_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute_signature(secret=secret, timestamp=timestamp, body=body)}"


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a header; unknown schemes are ignored, as Stripe's are."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("the timestamp is not a number") from None
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp (t=) in the signature header")
    if not signatures:
        raise SignatureError("no v1 signature in the signature header")
    return timestamp, signatures


def verify_signature(
    *,
    header: str,
    body: bytes,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """The signed timestamp, or SignatureError. `body` must be the raw bytes as received."""
    timestamp, signatures = parse_signature_header(header)
    now = time.time() if now is None else now
    if tolerance and abs(now - timestamp) > tolerance:
        raise SignatureError("the timestamp is outside the tolerance: a replay, or a wrong clock")
    expected = compute_signature(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("no signature matches the secret")
    return timestamp
