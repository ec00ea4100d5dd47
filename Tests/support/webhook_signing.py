"""Signs 8x8 webhooks for the Python test suites, as 8x8 documents it
(../shared/notes/8x8-chat-gateway.md): a JWS (RFC 7515) with a detached,
unencoded payload (RFC 7797) over the CRC32 of the raw body and the x-8x8-*
headers, RS256 with an RSA key made at test time (the `cryptography` package).

Independent of the relay's Swift verifier and of the simulator's signer, so
each implementation is checked against a third one.

The relay fetches the public key by `kid` from its 8x8 provider: the embedded
simulator serves keys registered with `PUT /sim/admin/keys/{kid}`
(`register_with_simulator`), conftest.Fake8x8 serves `jwk` for its own keys.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import zlib
from typing import Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def now_ms() -> int:
    return int(time.time() * 1000)


class SigningKey:
    """An RSA-2048 key pair and its kid; `headers()` gives a webhook's x-8x8-* headers, signed."""

    def __init__(self, kid: Optional[str] = None):
        self.kid = kid or f"test-{secrets.token_hex(6)}"
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def jwk(self) -> dict:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "kid": self.kid, "n": _uint(numbers.n), "e": _uint(numbers.e), "alg": "RS256", "use": "sig"}

    def signature(self, body: bytes, headers: dict, kid: Optional[str] = None) -> str:
        protected = json.dumps({"alg": "RS256", "kid": kid or self.kid, "b64": False, "crit": ["b64"]},
                               separators=(",", ":")).encode()
        q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731  (JSON string literal, Jackson-style escapes)
        payload = (f'{{"checksum":{zlib.crc32(body)},"cid":{q(headers["x-8x8-customer-id"])},'
                   f'"eid":{q(headers["x-8x8-event-id"])},"retry":{headers["x-8x8-retry"]},'
                   f'"tid":{q(headers["x-8x8-tenant-id"])},"tt":{headers["x-8x8-transmission-time"]}}}')
        signing_input = b64url(protected).encode() + b"." + payload.encode()
        sig = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return b64url(protected) + ".." + b64url(sig)

    def headers(self, body: bytes, event_id: str, tenant: str, customer: str = "test-customer",
                sent_ms: Optional[int] = None, retry: int = 0) -> dict:
        headers = {"x-8x8-tenant-id": tenant, "x-8x8-customer-id": customer, "x-8x8-event-id": event_id,
                   "x-8x8-retry": str(retry), "x-8x8-transmission-time": str(now_ms() if sent_ms is None else sent_ms)}
        headers["x-8x8-signature"] = self.signature(body, headers)
        return headers


_shared: Optional[SigningKey] = None


def shared_key() -> SigningKey:
    """One key per test session: RSA key generation is slow."""
    global _shared
    if _shared is None:
        _shared = SigningKey()
    return _shared
