"""RateLimiter on its own (the real SqliteStore, a FakeClock): a request is settled in the window it was charged in,
whatever the time is when it ends."""
from __future__ import annotations

from plugin.clock import FakeClock
from plugin.oauth.ratelimit import WINDOW_MS, RateLimiter
from plugin.oauth.settings import Settings


def test_a_request_ending_in_the_next_window_is_taken_back_from_the_window_it_was_counted_in(store):
    clock = FakeClock(10 * WINDOW_MS - 1)
    limiter = RateLimiter(store, clock)
    settings = Settings(rate_limit_per_client_per_minute=1, rate_limit_per_address_per_minute=0)
    window, over = limiter.charge(settings, "client", "")
    assert over is None
    clock.advance(1)  # the request ends in the next window
    limiter.settle(settings, window, "client", "", 0)
    assert store.hit_rate_limits([("client:client", 0)], window) == [0]
    assert limiter.charge(settings, "client", "")[1] is None  # the new window starts from nothing
    assert limiter.charge(settings, "client", "")[1].status == 429


# --- a public client's window counts only requests that show something of its own ----------------------------

from plugin.oauth import Caller, TokenRequest  # noqa: E402
from plugin.oauth.rfc6749 import TokenActionRequest  # noqa: E402

from .conftest import VERIFIER, app_error_of  # noqa: E402

LIMITED = dict(site_url="https://mm.example.com", rate_limit_per_client_per_minute=3,
               rate_limit_per_address_per_minute=0)


def junk_exchange(app) -> TokenRequest:
    return TokenRequest(grant_type="authorization_code", code="nope", client_id=app.id, code_verifier=VERIFIER,
                        redirect_uri=app.callback_urls[0])


def test_naming_a_public_client_with_junk_does_not_use_up_its_budget(provider, flow, public_app, admin):
    provider.configure(Settings(**LIMITED))
    attacker = Caller(remote_addr="198.51.100.7")
    for _ in range(10):
        assert app_error_of(provider.token, junk_exchange(public_app), attacker).oauth_error == "invalid_grant"
        provider.revoke(TokenActionRequest(token="nope", client_id=public_app.id), attacker)
    tokens = flow.exchange(public_app, flow.code_for(admin, public_app))  # the real client is not locked out
    assert tokens.access_token


def test_a_public_clients_own_codes_and_tokens_count_against_its_window(provider, flow, public_app, admin):
    provider.configure(Settings(**LIMITED))
    tokens = flow.exchange(public_app, flow.code_for(admin, public_app))  # 1
    provider.revoke(TokenActionRequest(token=tokens.access_token, client_id=public_app.id))  # 2
    spent = flow.code_for(admin, public_app)
    flow.exchange(public_app, spent)  # 3
    error = app_error_of(flow.exchange, public_app, flow.code_for(admin, public_app))
    assert (error.status, error.oauth_error) == (429, "temporarily_unavailable")
