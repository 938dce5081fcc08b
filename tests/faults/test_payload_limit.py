"""ServiceSettings.MaximumPayloadSizeBytes applies to every route that takes a body, the OAuth form endpoints and
the page forms included: a body over it answers 413 `api.context.request_body_too_large.app_error`, whether its
length is declared (Content-Length) or not (chunked), and whoever sends it."""
from __future__ import annotations

import http.client

import pytest

from tests.conftest import HostProcess, free_port
from tests.faults.flow import Client, OAuthHttp
from tests.faults.routes import BODY_METHODS, fill, host_routes
from tests.host.conftest import Reply

LIMIT = 4096
TOO_LARGE = "api.context.request_body_too_large.app_error"
ROUTES = [(method, path) for method, path in host_routes() if method in BODY_METHODS]
KINDS = {
    "json": ("application/json", lambda size: b'{"name": "' + b"a" * (size - 12) + b'"}'),
    "form": ("application/x-www-form-urlencoded", lambda size: b"name=" + b"a" * (size - 5)),
}


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    host = HostProcess(tmp_path_factory.mktemp("limit") / "data", free_port())
    host.data_dir.mkdir(parents=True)
    def change(config):
        config["ServiceSettings"].update(MaximumPayloadSizeBytes=LIMIT)
        config["FileSettings"].update(MaxFileSize=LIMIT)  # the limit of the file uploads (a plugin bundle)
    host.configure(change)
    host.start()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def flow(host) -> OAuthHttp:
    return OAuthHttp(Client(host.url, timeout=30))


def chunked(host, method: str, path: str, body: bytes, headers: dict) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=30)
    try:
        conn.request(method, path, body=iter([body[i:i + 1000] for i in range(0, len(body), 1000)]),
                     headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("method,template", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_body_over_the_limit_is_413_on_every_route(host, flow, method, template, kind):
    content_type, make = KINDS[kind]
    path = fill(template, {"app_id": flow.app["id"], "user_id": flow.admin.id, "plugin_id": "oauth-provider"})
    body = make(LIMIT + 1)
    assert len(body) == LIMIT + 1
    for token in (flow.admin.token, None):
        headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
        for send in ("declared", "chunked"):
            if send == "declared":
                reply = flow.client.request(method, path, body=body, headers=headers)
            else:
                reply = chunked(host, method, path, body, headers)
            assert (reply.status, reply.error_id) == (413, TOO_LARGE), (send, token is not None, reply.status,
                                                                         reply.body[:200])


def test_a_body_at_the_limit_is_read(flow):
    body = KINDS["json"][1](LIMIT)
    reply = flow.client.request("POST", "/api/v4/users/login", body=body, headers={"Content-Type": "application/json"})
    assert reply.status == 400 and reply.error_id == "api.context.invalid_body_param.app_error"
    form = KINDS["form"][1](LIMIT)
    reply = flow.client.request("POST", "/oauth/access_token", body=form,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and reply.json["error"] in ("invalid_request", "unsupported_grant_type")
