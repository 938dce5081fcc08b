"""Helpers the HTTP-level tests share: the hidden fields of a page's form, and a PKCE pair."""
from __future__ import annotations

import base64
import hashlib
import html.parser
import secrets


class _HiddenFields(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""


def hidden_fields(page: bytes) -> dict[str, str]:
    """name -> value of every hidden input (the consent form's request parameters and CSRF token)."""
    parser = _HiddenFields()
    parser.feed(page.decode())
    return parser.fields


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
