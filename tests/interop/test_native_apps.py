"""Native apps (RFC 8252) and dynamically registered clients with a client nobody here wrote: Authlib registers a
public client for a loopback callback and signs in through a port chosen at run time (RFC 8252 section 7.3), and a
client registered for client_secret_basic, as the metadata offers, authenticates that way."""
from __future__ import annotations

import urllib.parse

import pytest

requests = pytest.importorskip("requests")
authlib_client = pytest.importorskip("authlib.integrations.requests_client")

from authlib.common.security import generate_token  # noqa: E402

from tests.conftest import HostProcess, free_port  # noqa: E402
from tests.interop.test_oauth_clients import Host, consent_via_page  # noqa: E402

LOOPBACK = "http://127.0.0.1/callback"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("native-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("ServiceSettings", {}).update(
        EnableDynamicClientRegistration=True))
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


def register(host: Host, **metadata) -> dict:
    reply = requests.post(host.metadata["registration_endpoint"], json=metadata)
    assert reply.status_code == 201, reply.text
    return reply.json()


def sign_in(host: Host, client, redirect_uri: str) -> dict:
    """Authlib's code flow with PKCE, the user consenting on the page; the tokens and the user."""
    user_id, _, session_token = host.new_user()
    verifier = generate_token(48)
    url, state = client.create_authorization_url(host.endpoint("authorization_endpoint"), code_verifier=verifier)
    callback = consent_via_page(host, session_token, url)
    assert callback.startswith(redirect_uri + "?"), callback  # back to the port the app listens on
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["state"] == state
    token = client.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                               code_verifier=verifier)
    me = client.get(host.url + "/api/v4/users/me")
    assert me.status_code == 200 and me.json()["id"] == user_id
    return token


def test_a_native_app_signs_in_through_a_loopback_port_chosen_at_run_time(host):
    registered = register(host, redirect_uris=[LOOPBACK], token_endpoint_auth_method="none",
                          client_name="Desktop app")
    assert "client_secret" not in registered
    port_uri = f"http://127.0.0.1:{free_port()}/callback"
    client = authlib_client.OAuth2Session(registered["client_id"], None, scope="user", redirect_uri=port_uri,
                                          code_challenge_method="S256", token_endpoint_auth_method="none")
    token = sign_in(host, client, port_uri)
    assert token["access_token"] and not token.get("refresh_token")  # public clients get no refresh token


def test_a_loopback_callback_on_another_path_or_a_named_host_is_refused(host):
    registered = register(host, redirect_uris=[LOOPBACK, "http://localhost/callback"],
                          token_endpoint_auth_method="none")
    _, _, session_token = host.new_user()
    for wrong in (f"http://127.0.0.1:{free_port()}/elsewhere", f"http://localhost:{free_port()}/callback"):
        client = authlib_client.OAuth2Session(registered["client_id"], None, scope="user", redirect_uri=wrong,
                                              code_challenge_method="S256")
        url, _ = client.create_authorization_url(host.endpoint("authorization_endpoint"),
                                                 code_verifier=generate_token(48))
        page = requests.get(url, headers=host.bearer(session_token), allow_redirects=False)
        assert page.status_code == 400, (wrong, page.status_code)  # an error page, never a redirect


def test_a_client_registered_for_client_secret_basic_authenticates_with_it(host):
    registered = register(host, redirect_uris=["https://client.example.com/cb"],
                          token_endpoint_auth_method="client_secret_basic")
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"
    assert "client_secret_basic" in host.metadata["token_endpoint_auth_methods_supported"]
    callback = "https://client.example.com/cb"
    client = authlib_client.OAuth2Session(
        registered["client_id"], registered["client_secret"], scope="user", redirect_uri=callback,
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    token = sign_in(host, client, callback)
    refreshed = client.refresh_token(host.endpoint("token_endpoint"))  # Basic again
    assert refreshed["access_token"] != token["access_token"]
