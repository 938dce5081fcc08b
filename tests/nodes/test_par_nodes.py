"""Pushed authorization requests (RFC 9126) on two nodes over one PostgreSQL: a request pushed to one node is
opened and decided on the other, and of the two nodes answering it at once only one issues a code."""
from __future__ import annotations

import concurrent.futures
import urllib.parse

import pytest

from tests import postgres
from tests.forms import hidden_fields

from .conftest import CALLBACK, create_app, exchange, form, pkce, sign_up, start_nodes


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        started = start_nodes(tmp_path_factory.mktemp("par-cluster"), dsn)
        yield started
        for node in started:
            node.process.stop()


@pytest.fixture(scope="module")
def admin_token(nodes) -> str:
    return sign_up(nodes[0].api, "paradmin")[1]


def push(api, app: dict, challenge: str, **fields) -> str:
    reply = api.post("/oauth/par", **form(
        client_id=app["id"], client_secret=app["client_secret"], response_type="code", redirect_uri=CALLBACK,
        state="s", code_challenge=challenge, code_challenge_method="S256", **fields))
    assert reply.status == 201, reply.body
    return reply.json["request_uri"]


def by_reference(app: dict, request_uri: str) -> str:
    return "/oauth/authorize?" + urllib.parse.urlencode({"client_id": app["id"], "request_uri": request_uri})


def decide(api, token: str, page) -> int:
    return api.post("/oauth/authorize/decision", token=token, **form(**hidden_fields(page.body),
                                                                      decision="allow")).status


def test_a_request_pushed_to_one_node_is_answered_by_the_other_once(nodes, admin_token):
    a, b = nodes
    app = create_app(a.api, admin_token, "Pushing on nodes")
    verifier, challenge = pkce()
    request_uri = push(a.api, app, challenge)
    page = b.api.get(by_reference(app, request_uri), token=admin_token)
    assert page.status == 200, page.body
    decided = a.api.post("/oauth/authorize/decision", token=admin_token,
                         **form(**hidden_fields(page.body), decision="allow"))
    assert decided.status == 303, decided.body
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(decided.headers["Location"]).query)["code"][0]
    assert exchange(b.api, app, code, verifier).status == 200
    assert b.api.get(by_reference(app, request_uri), token=admin_token).status == 400
    assert a.api.get(by_reference(app, request_uri), token=admin_token).status == 400


def test_of_two_nodes_deciding_one_pushed_request_at_once_one_wins(nodes, admin_token):
    a, b = nodes
    app = create_app(a.api, admin_token, "Racing on nodes")
    for _ in range(5):
        request_uri = push(b.api, app, pkce()[1], scope="openid", prompt="consent")  # the page every time
        page = a.api.get(by_reference(app, request_uri), token=admin_token)
        assert page.status == 200, page.body
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda node: decide(node.api, admin_token, page), [a, b, a, b]))
        assert sorted(statuses) == [303, 400, 400, 400], statuses
