"""Where the plugin deliberately differs from Mattermost (docs/provider.md, "Where we deliberately differ"), each
proved over gRPC against the launched plugin. Numbers refer to section 6 of the reference."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from oauthplugin.v1 import apps_pb2, discovery_pb2, services
from tests.rpc.flows import (
    CALLBACK,
    CHALLENGE,
    CLIENT_ID_MISMATCH,
    EXPIRED_CODE,
    INVALID_REFRESH,
    OTHER_CALLBACK,
    PERMISSIONS,
    REDIRECT_CALLBACK,
    REDIRECT_MISMATCH,
    VERIFIER,
    OAuthClient,
    Outcome,
    admin,
    db_dump,
    db_execute,
    db_rows,
    expect_error,
    fragment_of,
    member,
    oauth_session,
    ok,
    plain_user,
    query_of,
)

ISSUER = "https://chat.example.com"  # the SiteURL the plugin fixture configures


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def count(client: OAuthClient, table: str, client_id: str) -> int:
    return db_rows(client.plugin, f"SELECT COUNT(*) FROM {table} WHERE client_id = ?", (client_id,))[0][0]


# --- secrets at rest (6.9, 6.20) -----------------------------------------------------------------------------------

def test_the_database_holds_only_hashes_of_secrets_codes_and_tokens(plugin, client):
    """Difference 6.9/6.20: client secrets (created, regenerated, registered), authorization codes, access and
    refresh tokens (code flow, refresh, implicit) are 256-bit random values and only their SHA-256 reaches the
    SQLite file: no value appears in the rows or in the raw bytes of the database and its WAL, and each one's
    hash is there."""
    plugin.configure(plugin={"EnableImplicitGrant": True}, EnableDynamicClientRegistration=True)
    boss, user = admin(), plain_user()
    app = client.create_app(boss)
    regenerated = ok(client.rpc.RegenerateSecret(apps_pb2.AppIdRequest(context=boss, app_id=app.id))).app
    registered = ok(client.register(json.dumps({"redirect_uris": [CALLBACK]}).encode()))
    code = client.code_for(user, regenerated)
    issued = ok(client.exchange(regenerated, code))
    refreshed = ok(client.refresh(regenerated, issued.refresh_token))
    pending = client.code_for(user, regenerated)
    implicit = fragment_of(ok(client.decide(user, regenerated, response_type="token")).redirect_url)["access_token"]
    secrets_in_clear = [app.client_secret, regenerated.client_secret, registered.client_secret, code, pending,
                        issued.access_token, issued.refresh_token, refreshed.access_token, refreshed.refresh_token,
                        implicit]
    assert all(len(value) == 43 for value in secrets_in_clear), "256 bits in URL-safe base64"
    dump, raw = db_dump(plugin)
    for value in secrets_in_clear:
        assert value not in dump and value.encode() not in raw
    for value in [regenerated.client_secret, registered.client_secret, code, pending, refreshed.access_token,
                  refreshed.refresh_token, implicit]:
        assert sha256(value) in dump


def test_the_client_secret_is_shown_only_by_create_and_regenerate(shared):
    """Difference 6.20: create and regenerate-secret return the secret once; get, list, update, app info, the
    authorized-apps list and the consent page's app all return client_secret "" (Mattermost returns it in clear
    to owners and admins). `is_public`, not an empty secret, tells a public client apart."""
    boss, user = admin(), plain_user()
    app = shared.create_app(boss)
    assert app.client_secret
    by_id = apps_pb2.AppIdRequest(context=boss, app_id=app.id)
    shared.code_for(user, app)
    answers = [
        ok(shared.rpc.GetApp(by_id)).app,
        ok(shared.rpc.GetAppInfo(by_id)).app,
        ok(shared.rpc.UpdateApp(apps_pb2.UpdateAppRequest(context=boss, app_id=app.id, app=app))).app,
        ok(shared.begin(plain_user(), app)).app,
        *[a for a in ok(shared.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, per_page=200))).apps
          if a.id == app.id],
        *ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=user, user_id="me"))).apps,
    ]
    assert len(answers) == 6
    assert all(a.client_secret == "" and not a.is_public for a in answers)
    renewed = ok(shared.rpc.RegenerateSecret(by_id)).app
    assert renewed.client_secret and renewed.client_secret != app.client_secret
    assert ok(shared.rpc.GetApp(by_id)).app.client_secret == ""


# --- fresh tokens per grant (6.6) ----------------------------------------------------------------------------------

def test_every_code_exchange_issues_fresh_tokens_and_earlier_ones_stay_valid(shared):
    """Difference 6.6: Mattermost hands the same token pair to every exchange while one is alive and ignores the
    new code's audience. Here each exchange is its own grant: new tokens, its own audience, and the earlier
    tokens keep working and refreshing."""
    app = shared.create_app()
    user = plain_user()
    first = shared.tokens(user, app)
    second = shared.tokens(user, app, authorize=dict(resource="https://api.example.com"))
    assert first.access_token != second.access_token and first.refresh_token != second.refresh_token
    assert (first.audience, second.audience) == ("", "https://api.example.com")
    one, two = ok(shared.validate(first.access_token)), ok(shared.validate(second.access_token))
    assert one.grant_id != two.grant_id and one.user_id == two.user_id == user.user_id
    assert ok(shared.refresh(app, first.refresh_token)).access_token
    assert shared.works(second.access_token)


# --- redirects (6.4) -------------------------------------------------------------------------------------------------

STATE = "a b&c=d?e#f/é%"


@pytest.mark.parametrize("rpc", ["begin", "decide"])
def test_error_redirects_url_encode_the_state_and_merge_into_the_query(shared, rpc):
    """Difference 6.4: an unsupported response_type is answered with a redirect whose error and state are merged
    into the callback's existing query with Go url.Values encoding (Mattermost concatenates "?error=...&state="
    raw). GET answers it at once, before any consent page. Nothing is issued."""
    callback = "https://nowhere.com/cb?simply=lovely"
    app = shared.create_app(callback_urls=[callback])
    response = getattr(shared, rpc)(plain_user(), app, redirect_uri=callback, response_type="weird", state=STATE)
    if rpc == "begin":
        assert response.outcome == Outcome.REDIRECT
    url = ok(response).redirect_url
    assert url.startswith("https://nowhere.com/cb?") and url.count("?") == 1 and "#" not in url
    assert query_of(url) == {"error": "unsupported_response_type", "simply": "lovely", "state": STATE, "iss": ISSUER}
    assert url == ("https://nowhere.com/cb?error=unsupported_response_type&iss=https%3A%2F%2Fchat.example.com"
                   "&simply=lovely&state=a+b%26c%3Dd%3Fe%23f%2F%C3%A9%25")
    assert count(shared, "oauth_codes", app.id) == 0


def test_denied_consent_redirects_with_access_denied_and_the_state(shared):
    """Difference 6.4 (the consent page's Deny): Mattermost appends "?error=access_denied" with no state; here
    the decision is an RPC whose redirect merges error=access_denied and the state into the callback's query.
    No code is issued and no consent remembered; the redirect_uri must still be registered."""
    callback = "https://nowhere.com/cb?simply=lovely"
    app = shared.create_app(callback_urls=[callback])
    user = plain_user()
    url = ok(shared.decide(user, app, allow=False, redirect_uri=callback, state=STATE)).redirect_url
    assert url.count("?") == 1
    assert query_of(url) == {"error": "access_denied", "simply": "lovely", "state": STATE, "iss": ISSUER}
    assert count(shared, "oauth_codes", app.id) == 0
    assert ok(shared.begin(user, app, redirect_uri=callback)).outcome == Outcome.CONSENT
    expect_error(shared.decide(user, app, allow=False, redirect_uri="https://evil.example.com/cb"),
                 REDIRECT_CALLBACK, 400)


# --- authorization codes (6.9) -------------------------------------------------------------------------------------

def exchange_concurrently(client: OAuthClient, app, code: str, attempts: int, stubs) -> list:
    """`attempts` exchanges of one code at once, spread over the given stubs (separate gRPC connections)."""
    barrier = threading.Barrier(attempts)

    def attempt(index: int):
        barrier.wait(timeout=10)
        return OAuthClient(client.plugin, stubs[index % len(stubs)]).exchange(app, code)

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def test_concurrent_exchanges_of_one_code_have_exactly_one_winner(shared):
    """Difference 6.9: the code is consumed by one conditional write. Eight exchanges of the same code at once,
    from eight threads over four separate gRPC connections (four host clients), repeated for ten codes: exactly
    one gets tokens; every other one gets 400 expired_code (invalid_grant)."""
    app = shared.create_app()
    channels = [shared.plugin.new_channel() for _ in range(4)]
    try:
        stubs = [services.PluginStub(channel) for channel in channels]
        for _ in range(10):
            code = shared.code_for(plain_user(), app)
            results = exchange_concurrently(shared, app, code, 8, stubs)
            winners = [r for r in results if not r.HasField("error")]
            assert len(winners) == 1, [r.error for r in results]
            assert winners[0].access_token and winners[0].refresh_token
            for loser in results:
                if loser.HasField("error"):
                    expect_error(loser, EXPIRED_CODE, 400, "invalid_grant")
    finally:
        for channel in channels:
            channel.close()


def test_a_replayed_code_revokes_the_tokens_its_exchange_issued(shared):
    """Difference 6.9 (RFC 6749 section 4.1.2): presenting a spent code again fails and revokes the access and
    refresh tokens issued from it; the user's other grants survive. A replay by another client revokes nothing."""
    app, other_app = shared.create_app(), shared.create_app()
    user = plain_user()
    code = shared.code_for(user, app)
    tokens = ok(shared.exchange(app, code))
    expect_error(shared.exchange(other_app, code), EXPIRED_CODE, 400)
    assert shared.works(tokens.access_token), "another client's replay revokes nothing"
    sibling = shared.tokens(user, app)
    expect_error(shared.exchange(app, code), EXPIRED_CODE, 400, "invalid_grant")
    assert not shared.works(tokens.access_token)
    expect_error(shared.refresh(app, tokens.refresh_token), INVALID_REFRESH, 404)
    assert shared.works(sibling.access_token)


@pytest.mark.parametrize("bad, error_id", [
    (dict(redirect_uri=OTHER_CALLBACK), REDIRECT_MISMATCH),
    (dict(redirect_uri=""), REDIRECT_MISMATCH),
    (dict(code_verifier="x" * 43), "model.authorize.validate_pkce.verification_failed.app_error"),
    (dict(code_verifier=""), "model.authorize.validate_pkce.verifier_required.app_error"),
    (dict(resource="not-a-uri"), "model.authorize.is_valid.resource.not_absolute.app_error"),
    (dict(resource="https://other.example.com"), "api.oauth.get_access_token.resource_mismatch.app_error"),
])
def test_a_failed_exchange_by_the_codes_own_client_burns_the_code(shared, bad, error_id):
    """Difference 6.9: Mattermost leaves the code usable after a failed exchange (a verifier could be guessed for
    600 s). Here a failure by the code's own client (wrong redirect_uri, wrong or missing verifier, bad
    resource) spends it: the correct exchange afterwards is 400 expired_code."""
    app = shared.create_app()
    code = shared.code_for(plain_user(), app, code_challenge=CHALLENGE, code_challenge_method="S256",
                           resource="https://api.example.com")
    expect_error(shared.exchange(app, code, **{"code_verifier": VERIFIER, **bad}), error_id, 400)
    expect_error(shared.exchange(app, code, code_verifier=VERIFIER), EXPIRED_CODE, 400)


def test_another_clients_attempt_or_bad_credentials_do_not_burn_the_code(shared):
    """Difference 6.9, its limit: a different client presenting the code (client_id_mismatch) or the right client
    with a wrong secret (401) cannot spend it for the client it belongs to."""
    app, other_app = shared.create_app(), shared.create_app()
    code = shared.code_for(plain_user(), app)
    expect_error(shared.exchange(other_app, code), CLIENT_ID_MISMATCH, 400)
    expect_error(shared.exchange(app, code, client_secret="wrong"), "model.oauth.validate_grant.credentials.app_error",
                 401)
    assert ok(shared.exchange(app, code)).access_token


def test_a_pending_code_for_a_removed_callback_cannot_be_exchanged(shared):
    """Difference 6.8: Mattermost still exchanges a code bound to a callback the app no longer has; here the
    exchange is 400 redirect_uri."""
    boss = admin()
    app = shared.create_app(boss)
    code = shared.code_for(plain_user(), app, redirect_uri=OTHER_CALLBACK)
    edited = apps_pb2.OAuthApp()
    edited.CopyFrom(app)
    del edited.callback_urls[:]
    edited.callback_urls.append(CALLBACK)
    ok(shared.rpc.UpdateApp(apps_pb2.UpdateAppRequest(context=boss, app_id=app.id, app=edited)))
    expect_error(shared.exchange(app, code, redirect_uri=OTHER_CALLBACK), REDIRECT_MISMATCH, 400)


def test_deleting_an_app_deletes_its_pending_codes(shared):
    """Difference 6.18: Mattermost leaves OAuthAuthData rows behind when an app is deleted; here its pending codes
    go with it (and its grants and consents)."""
    boss = admin()
    app = shared.create_app(boss)
    for _ in range(3):
        shared.code_for(plain_user(), app)
    shared.tokens(plain_user(), app)
    assert count(shared, "oauth_codes", app.id) == 4
    ok(shared.rpc.DeleteApp(apps_pb2.AppIdRequest(context=boss, app_id=app.id)))
    for table in ("oauth_codes", "oauth_grants", "oauth_consents", "oauth_access_tokens", "oauth_refresh_tokens"):
        assert count(shared, table, app.id) == 0, table


# --- refresh tokens (6.7) ------------------------------------------------------------------------------------------

def test_a_refresh_ends_the_previous_access_token_at_once(shared):
    """Difference 6.7: Mattermost leaves the old access token usable from its session cache; here it is invalid
    as soon as the refresh returns. Another grant of the same user and app is untouched."""
    app = shared.create_app()
    user = plain_user()
    first, other = shared.tokens(user, app), shared.tokens(user, app)
    second = ok(shared.refresh(app, first.refresh_token))
    assert not shared.works(first.access_token)
    assert shared.works(second.access_token) and shared.works(other.access_token)


def test_tokens_record_their_grant_and_refresh_token_reuse_revokes_the_family(plugin, client):
    """Difference 6.7 (RFC 9700 section 4.14.2): every token records its grant (refreshes keep the grant id); a
    refresh token presented after it was rotated (here with no grace window) fails and revokes every token of
    that grant, including the newest access and refresh token. The user's other grant survives."""
    plugin.configure(plugin={"RefreshTokenGracePeriodSeconds": 0})
    shared = client
    app = shared.create_app()
    user = plain_user()
    first = shared.tokens(user, app)
    grant_id = ok(shared.validate(first.access_token)).grant_id
    second = ok(shared.refresh(app, first.refresh_token))
    third = ok(shared.refresh(app, second.refresh_token))
    assert ok(shared.validate(third.access_token)).grant_id == grant_id
    other = shared.tokens(user, app)
    assert ok(shared.validate(other.access_token)).grant_id != grant_id
    expect_error(shared.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert not shared.works(third.access_token)
    expect_error(shared.refresh(app, third.refresh_token), INVALID_REFRESH, 404)
    assert shared.works(other.access_token)
    assert db_rows(shared.plugin, "SELECT COUNT(*) FROM oauth_access_tokens WHERE grant_id = ?", (grant_id,)) == [(0,)]


def test_concurrent_refreshes_within_the_grace_window_all_get_the_one_successor(shared):
    """Grace window: six refreshes of one refresh token at once over three gRPC connections, inside the grace window
    (default 30 s): every request gets the same successor, nothing is revoked, one family lives on."""
    app = shared.create_app()
    tokens = shared.tokens(plain_user(), app)
    results = refresh_at_once(shared, app, tokens.refresh_token)
    assert all(not r.HasField("error") for r in results), [r.error for r in results]
    assert len({(r.access_token, r.refresh_token) for r in results}) == 1
    assert shared.works(results[0].access_token)
    assert ok(shared.refresh(app, results[0].refresh_token)).access_token


def test_concurrent_refreshes_of_one_token_without_a_grace_window_revoke_the_family(plugin, client):
    """Difference 6.7 with RefreshTokenGracePeriodSeconds 0: exactly one of six simultaneous refreshes gets
    tokens, the others 404 invalid refresh token; losing the race counts as reuse, so the grant is revoked and
    the winner's new tokens stop working too."""
    plugin.configure(plugin={"RefreshTokenGracePeriodSeconds": 0})
    shared = client
    app = shared.create_app()
    tokens = shared.tokens(plain_user(), app)
    results = refresh_at_once(shared, app, tokens.refresh_token)
    winners = [r for r in results if not r.HasField("error")]
    assert len(winners) == 1, [r.error for r in results]
    for loser in results:
        if loser.HasField("error"):
            expect_error(loser, INVALID_REFRESH, 404, "invalid_grant")
    assert not shared.works(winners[0].access_token)
    expect_error(shared.refresh(app, winners[0].refresh_token), INVALID_REFRESH, 404)


def refresh_at_once(shared, app, refresh_token: str) -> list:
    channels = [shared.plugin.new_channel() for _ in range(3)]
    try:
        stubs = [services.PluginStub(channel) for channel in channels]
        barrier = threading.Barrier(6)

        def attempt(index: int):
            barrier.wait(timeout=10)
            return OAuthClient(shared.plugin, stubs[index % 3]).refresh(app, refresh_token)

        with ThreadPoolExecutor(max_workers=6) as pool:
            return list(pool.map(attempt, range(6)))
    finally:
        for channel in channels:
            channel.close()


def test_an_unused_refresh_token_expires_after_twice_the_session_length(shared):
    """Difference 6.7: Mattermost's refresh tokens never expire; here one expires when unused for 2 x
    SessionLengthSSOInHours (60 days by default). The stored expiry is checked, then the row is aged past it
    (the exact window: tests/oauth, test_unused_refresh_token_expires_after_twice_the_session_length)."""
    app = shared.create_app()
    tokens = shared.tokens(plain_user(), app)
    stored = db_rows(shared.plugin, "SELECT expires_at FROM oauth_refresh_tokens WHERE token_hash = ?",
                     (sha256(tokens.refresh_token),))[0][0]
    assert abs(stored - (time.time() + 2 * 720 * 3600) * 1000) < 60_000
    db_execute(shared.plugin, "UPDATE oauth_refresh_tokens SET expires_at = ? WHERE token_hash = ?",
               (int(time.time() * 1000) - 1000, sha256(tokens.refresh_token)))
    expect_error(shared.refresh(app, tokens.refresh_token), INVALID_REFRESH, 404, "invalid_grant")


# --- OAuth tokens cannot approve apps (6.12) -----------------------------------------------------------------------

def test_an_oauth_token_can_authorize_on_neither_route(shared):
    """Difference 6.12: Mattermost refuses OAuth sessions only on POST /oauth/authorize, so via GET an OAuth token
    could get codes for trusted or already-authorized apps. Here BeginAuthorization and DecideConsent (allow and
    deny) are 403 for an is_oauth caller, even for a trusted app and a remembered consent."""
    trusted, remembered = shared.create_app(admin(), is_trusted=True), shared.create_app()
    user = plain_user()
    shared.code_for(user, remembered)
    assert ok(shared.begin(user, trusted)).outcome == Outcome.REDIRECT
    assert ok(shared.begin(user, remembered)).outcome == Outcome.REDIRECT
    as_token = oauth_session(user)
    for app in (trusted, remembered):
        expect_error(shared.begin(as_token, app), PERMISSIONS, 403)
        expect_error(shared.decide(as_token, app), PERMISSIONS, 403)
        expect_error(shared.decide(as_token, app, allow=False), PERMISSIONS, 403)
    assert count(shared, "oauth_codes", trusted.id) == 1 and count(shared, "oauth_codes", remembered.id) == 2


# --- remembered consent (6.5) and the token response's scope ---------------------------------------------------------

def test_a_remembered_consent_covers_only_what_it_was_given_for(shared):
    """Difference 6.5: Mattermost's stored consent approves any later scope; here a request for a scope the
    consent did not cover asks again, a subset does not (the default scope is "user", full power; an unknown
    value asks for nothing more). Trusted apps still skip consent; the consent page names each scope."""
    app, trusted = shared.create_app(), shared.create_app(admin(), is_trusted=True)
    user = plain_user()
    shared.code_for(user, app, scope="posts:read posts:write")
    assert ok(shared.begin(user, app, scope="posts:read")).outcome == Outcome.REDIRECT
    asked = ok(shared.begin(user, app, scope="user"))
    assert asked.outcome == Outcome.CONSENT and [s.name for s in asked.scopes] == ["user"]
    assert asked.scopes[0].description.startswith("Do anything you can do in Mattermost")
    shared.code_for(user, app)
    assert ok(shared.begin(user, app, scope="admin")).outcome == Outcome.REDIRECT
    assert ok(shared.begin(user, app, scope="channels:read")).outcome == Outcome.REDIRECT
    assert ok(shared.begin(user, trusted, scope="posts:write")).outcome == Outcome.REDIRECT


def test_the_token_response_carries_the_granted_scope(shared):
    """Difference ("Token response"): Mattermost always answers scope ""; here the granted scope ("user" by
    default, or the requested registered ones), on exchange and refresh alike; ValidateToken gives the host the
    API scopes it holds."""
    app = shared.create_app()
    default = shared.tokens(plain_user(), app)
    held = ok(shared.validate(default.access_token)).scopes
    assert "posts:write" in held and "users:read" in held and "system:manage" not in held
    assert default.scope == "user" and ok(shared.refresh(app, default.refresh_token)).scope == "user"
    custom = shared.tokens(plain_user(), app, authorize=dict(scope="read posts:read"))
    validated = ok(shared.validate(custom.access_token))
    assert custom.scope == "posts:read" and validated.scope == "posts:read" and list(validated.scopes) == ["posts:read"]


# --- implicit grant (6.3) ------------------------------------------------------------------------------------------

def test_implicit_grant_is_off_by_default_and_works_when_the_plugin_setting_is_on(plugin, client):
    """Difference 6.3 (RFC 9700 section 2.1.2): response_type=token is answered with unsupported_response_type
    (query, with the state) on both routes and nothing is issued, and metadata does not advertise it, until the
    EnableImplicitGrant plugin setting is on. Then the token is in the fragment and works; each implicit grant
    gets its own token (Mattermost's second one fails, 6.6); metadata advertises token/implicit; a denial goes
    in the fragment. Turning the setting off again refuses it again."""
    app = client.create_app(admin(), is_trusted=True)
    untrusted = client.create_app()
    user = plain_user()
    for response in (client.begin(user, app, response_type="token", state="s 1"),
                     client.decide(user, untrusted, response_type="token", state="s 1")):
        url = ok(response).redirect_url
        assert "#" not in url and query_of(url) == {"error": "unsupported_response_type", "state": "s 1",
                                                  "iss": ISSUER}
    assert count(client, "oauth_access_tokens", app.id) + count(client, "oauth_access_tokens", untrusted.id) == 0
    document = json.loads(ok(client.rpc.GetMetadata(discovery_pb2.MetadataRequest())).metadata_json)
    assert document["response_types_supported"] == ["code"] and "implicit" not in document["grant_types_supported"]

    plugin.configure(plugin={"EnableImplicitGrant": True})
    begun = ok(client.begin(user, app, response_type="token", state="s 1"))
    assert begun.outcome == Outcome.REDIRECT and begun.redirect_url.startswith(CALLBACK + "#")
    first = fragment_of(begun.redirect_url)
    assert first["state"] == "s 1" and first["token_type"] == "bearer"
    second = fragment_of(ok(client.decide(user, untrusted, response_type="token")).redirect_url)
    third = fragment_of(ok(client.decide(user, untrusted, response_type="token")).redirect_url)
    assert len({first["access_token"], second["access_token"], third["access_token"]}) == 3
    assert all(client.works(f["access_token"]) for f in (first, second, third))
    denied = ok(client.decide(user, untrusted, allow=False, response_type="token", state="s 1")).redirect_url
    assert "?" not in denied and fragment_of(denied) == {"error": "access_denied", "state": "s 1", "iss": ISSUER}
    document = json.loads(ok(client.rpc.GetMetadata(discovery_pb2.MetadataRequest())).metadata_json)
    assert document["response_types_supported"] == ["code", "token"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token", "implicit"]

    plugin.configure(plugin={"EnableImplicitGrant": False})
    url = ok(client.begin(user, app, response_type="token")).redirect_url
    assert query_of(url)["error"] == "unsupported_response_type"


# --- paging ---------------------------------------------------------------------------------------------------------

def test_per_page_zero_means_the_default_page_size(client):
    """Difference ("Paging"): an unset per_page arrives as 0 over protobuf and means Mattermost's default, 60."""
    boss = member()
    for _ in range(61):
        client.create_app(boss)
    assert len(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, per_page=0))).apps) == 60
    assert len(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, page=1))).apps) == 1
