"""The per-address budget of password checks on a real host (server_stub/web/login_throttle.py): 30 wrong passwords
at once, then one every 2 s; right passwords and locked accounts cost nothing. Each test speaks from loopback
addresses of its own (127.0.1.N)."""
from __future__ import annotations

import itertools
import math
import time

import pytest

from server_stub.web import login_throttle
from tests.host.conftest import USER_PASSWORD, Api
from tests.host.test_pages import Browser, inputs

RATE_LIMITED = "api.user.login.rate_limited.app_error"
_addresses = itertools.count(2)


@pytest.fixture
def client(host):
    """A client at a fresh address: client() -> Api."""
    return lambda: Api(host.url, source_address=f"127.0.1.{next(_addresses)}")


def login(api, login_id: str, password: str):
    return api.post("/api/v4/users/login", {"login_id": login_id, "password": password})


def test_right_passwords_never_use_up_an_addresss_budget(client, new_user):
    user, api = new_user(), client()
    for _ in range(login_throttle.BURST + 10):
        assert login(api, user.username, USER_PASSWORD).status == 200


def test_an_address_out_of_wrong_guesses_waits_and_no_other_does(client, new_user):
    user, guesser, bystander = new_user(), client(), client()
    started, refused = time.monotonic(), None
    for attempt in range(2 * login_throttle.BURST):
        reply = login(guesser, f"nobody{attempt}", "wrong")  # unknown accounts: each still costs a hash
        if reply.status == 429:
            refused = attempt
            break
        assert reply.status == 401
    allowed = login_throttle.BURST + math.ceil((time.monotonic() - started) * login_throttle.REFILL_PER_SECOND)
    assert refused is not None and login_throttle.BURST <= refused <= allowed
    assert reply.error_id == RATE_LIMITED and int(reply.headers["Retry-After"]) >= 1
    assert reply.json["message"] == "Too many password attempts from your address. Please try again later."

    # Everything that checks a password from that address waits too, before any hash: a right login, the log-in
    # page, a password change.
    assert login(guesser, user.username, USER_PASSWORD).error_id == RATE_LIMITED
    page = Browser(guesser)
    form = inputs(page.get("/login").body)
    assert page.post("/login", {**form, "login_id": user.username, "password": USER_PASSWORD}).status == 429
    change = guesser.put("/api/v4/users/me/password", {"current_password": USER_PASSWORD,
                                                        "new_password": "Brand-New-Pass1"}, token=user.token)
    assert (change.status, change.error_id) == (429, RATE_LIMITED)

    assert login(bystander, user.username, USER_PASSWORD).status == 200


def test_a_locked_account_costs_an_address_nothing(client, new_user):
    user, api = new_user(), client()
    for _ in range(10):
        assert login(api, user.username, "wrong").status == 401
    for _ in range(2 * login_throttle.BURST):  # answered before any hash: no budget spent
        reply = login(api, user.username, USER_PASSWORD)
        assert (reply.status, reply.error_id) == (401, "api.user.check_user_login_attempts.too_many.app_error")
