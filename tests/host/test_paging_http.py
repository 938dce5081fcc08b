"""`page` and `per_page` over HTTP, read as Mattermost reads them (server/channels/web/params.go, ParamsFromRequest
and getPerPageFromQuery): Go's strconv.Atoi, so an optional sign and ASCII digits within int64; anything else (a
value past int64, a fraction, an exponent, a space, other digits), or a negative number, is the default (page 0,
per_page 60); a per_page over 200 is 200. The plugin's paging fields are int32: a page past that is past the end.
Never a 500 (it was one: 99999999999999999999 overflowed the protobuf field)."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.host.test_security_http import make_app

ROUTES = ("/api/v4/oauth/apps", "/api/v4/users/me/oauth/apps/authorized", "/api/v4/oauth/audits")
# Not Atoi-able, or negative: the default.
DEFAULTED = ("99999999999999999999", str(2 ** 63), str(-2 ** 63 - 1), "-1", "-99999999999999999999", "1.5", "2.0",
             "1e3", "1e999", " 2", "2 ", "0x10", "1_0", "\u0662", "", "NaN", "inf", "++1")


@pytest.fixture(scope="module")
def apps(api, admin) -> list[str]:
    """Ids of the admin's first three apps, in the order the list gives them."""
    for n in range(3):
        make_app(api, admin.token, name=f"Paged app {n}")
    listed = api.get("/api/v4/oauth/apps?per_page=200", token=admin.token)
    assert listed.status == 200, listed.body
    return [a["id"] for a in listed.json][:3]


def q(**params) -> str:
    """The query string, every character of the values escaped (a bare "+" would be a space)."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def ids(api, token: str, query: str) -> list[str]:
    reply = api.get("/api/v4/oauth/apps?" + query, token=token)
    assert reply.status == 200, (query, reply.status, reply.body)
    return [a["id"] for a in reply.json]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("value", DEFAULTED + (str(2 ** 31), str(2 ** 63 - 1), str(-2 ** 31 - 1), "+3", "0"))
def test_any_page_or_per_page_answers_200_with_a_list(api, admin, route, value):
    for query in (q(page=value), q(per_page=value), q(page=value, per_page=value)):
        reply = api.get(f"{route}?{query}", token=admin.token)
        assert reply.status == 200, (route, query, reply.status, reply.body)
        assert isinstance(reply.json, list)


@pytest.mark.parametrize("value", DEFAULTED)
def test_a_page_that_is_not_a_whole_number_within_int64_or_is_negative_is_the_first(api, admin, apps, value):
    assert ids(api, admin.token, q(page=value, per_page=2)) == apps[:2]


@pytest.mark.parametrize("value", DEFAULTED)
def test_a_per_page_that_is_not_a_whole_number_within_int64_or_is_negative_is_60(api, admin, apps, value):
    assert ids(api, admin.token, q(per_page=value))[:3] == apps
    assert ids(api, admin.token, q(page=1, per_page=value)) == []  # 60 per page: one page


def test_a_page_past_int32_within_int64_is_past_the_end(api, admin, apps):
    for page in (2 ** 31 - 1, 2 ** 31, 2 ** 63 - 1):
        assert ids(api, admin.token, f"page={page}&per_page=2") == []


def test_a_per_page_past_200_within_int64_is_200(api, admin, apps):
    for per_page in (201, 2 ** 31, 2 ** 63 - 1):
        assert ids(api, admin.token, f"per_page={per_page}")[:3] == apps


def test_a_signed_page_is_read_as_go_reads_it(api, admin, apps):
    assert ids(api, admin.token, q(page="+1", per_page=2)) == apps[2:3]
