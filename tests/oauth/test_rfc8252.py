"""RFC 8252 §7.3: a loopback callback matches on any port; nothing else is loosened."""
from __future__ import annotations

import pytest

from plugin.oauth.rfc8252 import redirect_uri_matches

from .conftest import CHALLENGE, VERIFIER, app_request


@pytest.mark.parametrize("registered, presented", [
    ("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback"),
    ("http://127.0.0.1:8080/callback", "http://127.0.0.1:61000/callback"),
    ("http://[::1]/cb?x=1", "http://[::1]:3000/cb?x=1"),
    ("http://127.0.0.1", "http://127.0.0.1:9000"),
    ("https://app.example.com/cb", "https://app.example.com/cb"),
])
def test_matches(registered, presented):
    assert redirect_uri_matches(registered, presented)


@pytest.mark.parametrize("registered, presented", [
    ("http://localhost/callback", "http://localhost:53124/callback"),  # a host name: exact only
    ("https://127.0.0.1/callback", "https://127.0.0.1:8443/callback"),  # not plain http
    ("http://127.0.0.1/callback", "http://127.0.0.1:53124/other"),  # another path
    ("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback?x=1"),  # another query
    ("http://127.0.0.1/callback", "http://127.0.0.1:99999/callback"),  # not a port
    ("http://127.0.0.1/callback", "http://127.0.0.1.evil.example/callback"),
    ("http://127.0.0.1/callback", "http://127.0.0.1:80@evil.example/callback"),
    ("http://127.0.0.1/cb", "http://127.0.0.2:80/cb"),
    ("http://[::1]/cb", "http://[::2]:80/cb"),
    ("https://app.example.com/cb", "https://app.example.com:443/cb"),
])
def test_does_not_match(registered, presented):
    assert not redirect_uri_matches(registered, presented)


def test_a_native_app_signs_in_through_a_port_chosen_at_run_time(provider, flow, admin):
    app = provider.create_app(admin, app_request(is_public=True, callback_urls=["http://127.0.0.1/callback"]))
    port_uri = "http://127.0.0.1:49152/callback"
    code = flow.code_for(admin, app, redirect_uri=port_uri, code_challenge=CHALLENGE, code_challenge_method="S256")
    tokens = flow.exchange(app, code, redirect_uri=port_uri, code_verifier=VERIFIER)
    assert provider.validate_token(tokens.access_token).user_id == admin.user_id
