"""Token security and the standard endpoints, over gRPC against the launched plugin: code replay, refresh rotation
with its grace window and lifetimes, RFC 7009 revocation, RFC 7662 introspection, RFC 9207 `iss`, the metadata
that advertises them, rate limits and the audit trail (README, section Security; docs/provider.md).

Time passes the way the other RPC tests make it pass: rows in the plugin's database are aged (every timestamp of
a grant moved into the past), since the plugin reads its database live."""
from __future__ import annotations

import hashlib
import json
import time

from oauthplugin.v1 import (apps_pb2, audit_pb2, authorize_pb2, common_pb2, device_pb2, discovery_pb2, hooks_pb2,
                             token_pb2)
from tests.rpc.flows import (
    CALLBACK,
    ClientAnswer,
    CHALLENGE,
    CLIENT_ID_MISMATCH,
    EXPIRED_CODE,
    INVALID_REFRESH,
    PERMISSIONS,
    SESSION_EXPIRED,
    VERIFIER,
    admin,
    anonymous,
    client_call,
    client_form,
    db_dump,
    db_execute,
    db_rows,
    expect_error,
    fragment_of,
    member,
    ok,
    plain_user,
    query_of,
)

ISSUER = "https://chat.example.com"  # the SiteURL the plugin fixture configures
RESOURCE = "https://api.example.com/mcp"
RATE_LIMITED = "api.oauth.rate_limited.app_error"
BAD_CLIENT = "api.oauth.get_access_token.credentials.app_error"
HOUR_MS = 3_600_000


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def now_s() -> int:
    return int(time.time())


# --- helpers -------------------------------------------------------------------------------------------------

def action(app, token: str = "", hint: str = "", client_id: str | None = None, client_secret: str | None = None,
           remote_addr: str = "127.0.0.1") -> dict:
    """A revocation or introspection request as the host forwards it: the client's form (client_secret_post)."""
    return dict(context=common_pb2.RequestContext(request_id="testrequest", remote_addr=remote_addr),
                token=token, token_type_hint=hint,
                client_id=app.id if client_id is None else client_id,
                client_secret=app.client_secret if client_secret is None else client_secret)


def revoke(client, app, token: str = "", **fields):
    return client_call(client.rpc.Revoke, **action(app, token, **fields))


def introspect(client, app, token: str = "", **fields):
    return client_call(client.rpc.Introspect, **action(app, token, **fields))


INACTIVE = {"active": False}  # the whole body of an answer about anything not active


def grant_of(client, access_token: str) -> str:
    return ok(client.validate(access_token)).grant_id


def age_grant(client, grant_id: str, ms: int) -> None:
    """Move every timestamp of the grant and its tokens `ms` into the past: as if that much time had passed."""
    plugin = client.plugin
    db_execute(plugin, "UPDATE oauth_grants SET create_at = create_at - ? WHERE id = ?", (ms, grant_id))
    db_execute(plugin, "UPDATE oauth_access_tokens SET create_at = create_at - ?,"
                       " expires_at = CASE WHEN expires_at > 0 THEN expires_at - ? ELSE 0 END WHERE grant_id = ?",
               (ms, ms, grant_id))
    db_execute(plugin, "UPDATE oauth_refresh_tokens SET create_at = create_at - ?, last_used_at = last_used_at - ?,"
                       " expires_at = CASE WHEN expires_at > 0 THEN expires_at - ? ELSE 0 END,"
                       " rotated_at = rotated_at - ? WHERE grant_id = ?", (ms, ms, ms, ms, grant_id))


def refresh_row(client, refresh_token: str) -> dict:
    rows = db_rows(client.plugin, "SELECT create_at, expires_at, rotated_at, successor_sealed, grant_id"
                                  " FROM oauth_refresh_tokens WHERE token_hash = ?", (sha256(refresh_token),))
    assert rows, "no such refresh token"
    return dict(zip(("create_at", "expires_at", "rotated_at", "successor_sealed", "grant_id"), rows[0]))


def audit_events(client, caller=None) -> list:
    """The whole audit trail, newest first, read through ListAuditEvents as a system admin."""
    events, page = [], 0
    while True:
        answer = ok(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(
            context=caller or admin(), page=page, per_page=200)))
        events.extend(answer.events)
        if len(answer.events) < 200:
            return events
        page += 1


def events_of(client, event_type: str, **match) -> list:
    return [e for e in audit_events(client)
            if e.type == event_type and all(getattr(e, k) == v for k, v in match.items())]


def detail(event) -> dict:
    return json.loads(event.detail_json)


def leave_time_in_the_rate_window(margin: float = 5.0) -> None:
    """Rate limits count in fixed one-minute windows of the wall clock: start a counting test early enough in one
    that it does not straddle two."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.05)


def public_app(client):
    return client.create_app(is_public=True)


def public_tokens(client, user, app):
    code = client.code_for(user, app, code_challenge=CHALLENGE, code_challenge_method="S256")
    return ok(client.exchange(app, code, client_secret="", code_verifier=VERIFIER))


# --- code replay (RFC 6749 section 4.1.2, RFC 9700 section 4.2.4) ----------------------------------------------

def test_code_replay_revokes_the_tokens_issued_from_the_code(client):
    """A code is single use; presenting it again fails and revokes every token issued from it, including those
    refreshed since. The user's other grant of the same app survives."""
    app, user = client.create_app(), plain_user()
    code = client.code_for(user, app)
    first = ok(client.exchange(app, code))
    refreshed = ok(client.refresh(app, first.refresh_token))
    grant_id = grant_of(client, refreshed.access_token)
    other = client.tokens(user, app)

    expect_error(client.exchange(app, code), EXPIRED_CODE, 400, "invalid_grant")
    assert not client.works(refreshed.access_token)
    expect_error(client.refresh(app, refreshed.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert db_rows(client.plugin, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE grant_id = ?", (grant_id,)) == [(0,)]
    assert client.works(other.access_token)
    [replayed] = events_of(client, "code_replayed", grant_id=grant_id)
    assert replayed.client_id == app.id and replayed.user_id == user.user_id
    assert detail(replayed)["tokens_revoked"] == 3  # the live access and refresh token, the rotated refresh token


def test_code_replay_by_another_client_fails_and_revokes_nothing(client):
    """Only the code's own client can trigger the revocation: another client presenting a spent code (it could
    have stolen it) is refused without harming the grant."""
    app, thief, user = client.create_app(), client.create_app(), plain_user()
    code = client.code_for(user, app)
    tokens = ok(client.exchange(app, code))
    expect_error(client.exchange(thief, code), EXPIRED_CODE, 400, "invalid_grant")
    assert client.works(tokens.access_token)
    assert ok(client.refresh(app, tokens.refresh_token)).access_token
    assert events_of(client, "code_replayed", client_id=thief.id) == []


# --- refresh rotation, reuse detection and the grace window (RFC 9700 section 4.14.2) ---------------------------

def test_refresh_token_reuse_after_the_grace_window_revokes_the_family(client):
    app, user = client.create_app(), plain_user()
    first = client.tokens(user, app)
    second = ok(client.refresh(app, first.refresh_token))
    grant_id = grant_of(client, second.access_token)
    other = client.tokens(user, app)
    age_grant(client, grant_id, 31_000)  # the default window is 30 s

    expect_error(client.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert not client.works(second.access_token)
    expect_error(client.refresh(app, second.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert client.works(other.access_token)
    [reuse] = events_of(client, "refresh_reuse_detected", grant_id=grant_id)
    assert reuse.client_id == app.id and detail(reuse)["tokens_revoked"] == 3


def test_refresh_token_presented_again_within_the_grace_window_gets_the_same_successor(client):
    """Two tabs refreshing with the same token must not log the user out: within the window the repeated refresh
    answers the successor already issued (its remaining lifetime), revokes nothing, and the family goes on."""
    app, user = client.create_app(), plain_user()
    first = client.tokens(user, app)
    second = ok(client.refresh(app, first.refresh_token))
    grant_id = grant_of(client, second.access_token)
    age_grant(client, grant_id, 25_000)  # of the default 30 s

    again = ok(client.refresh(app, first.refresh_token))
    assert (again.access_token, again.refresh_token, again.scope) == \
        (second.access_token, second.refresh_token, second.scope)
    assert 0 < again.expires_in <= second.expires_in
    assert client.works(second.access_token)
    third = ok(client.refresh(app, second.refresh_token))
    assert client.works(third.access_token) and grant_of(client, third.access_token) == grant_id
    assert events_of(client, "refresh_reuse_detected", grant_id=grant_id) == []
    assert [detail(e).get("within_grace_window") for e in events_of(client, "token_refreshed", grant_id=grant_id)
            ].count(True) == 1


def test_grace_window_follows_the_chain_when_the_successor_was_refreshed_too(client):
    app, user = client.create_app(), plain_user()
    first = client.tokens(user, app)
    second = ok(client.refresh(app, first.refresh_token))
    third = ok(client.refresh(app, second.refresh_token))
    late = ok(client.refresh(app, first.refresh_token))  # the other tab, still holding the first token
    assert (late.access_token, late.refresh_token) == (third.access_token, third.refresh_token)
    assert client.works(third.access_token)


def test_grace_window_length_is_the_plugin_setting(plugin, client):
    plugin.configure(plugin={"RefreshTokenGracePeriodSeconds": 10})
    app, user = client.create_app(), plain_user()
    first = client.tokens(user, app)
    second = ok(client.refresh(app, first.refresh_token))
    grant_id = grant_of(client, second.access_token)
    age_grant(client, grant_id, 7_000)
    assert ok(client.refresh(app, first.refresh_token)).refresh_token == second.refresh_token
    age_grant(client, grant_id, 4_000)
    expect_error(client.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert not client.works(second.access_token)


def test_grace_window_of_zero_makes_any_reuse_revoke_the_family(plugin, client):
    plugin.configure(plugin={"RefreshTokenGracePeriodSeconds": 0})
    app = client.create_app()
    first = client.tokens(plain_user(), app)
    second = ok(client.refresh(app, first.refresh_token))
    assert refresh_row(client, first.refresh_token)["successor_sealed"] == ""  # nothing kept to hand out again
    expect_error(client.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert not client.works(second.access_token)


def test_grace_window_is_no_way_in_for_another_client(client):
    app, other = client.create_app(), client.create_app()
    first = client.tokens(plain_user(), app)
    second = ok(client.refresh(app, first.refresh_token))
    expect_error(client.refresh(other, first.refresh_token), CLIENT_ID_MISMATCH, 400, "invalid_grant")
    assert client.works(second.access_token)


def test_sealed_successor_holds_no_token_in_clear(client):
    """The successor kept for the window is sealed with the rotated token, which the database never holds."""
    app = client.create_app()
    first = client.tokens(plain_user(), app)
    second = ok(client.refresh(app, first.refresh_token))
    sealed = refresh_row(client, first.refresh_token)["successor_sealed"]
    assert sealed
    dump, raw = db_dump(client.plugin)
    for value in (first.refresh_token, second.access_token, second.refresh_token):
        assert value not in dump and value.encode() not in raw and value not in sealed


def test_housekeeping_forgets_sealed_successors_once_the_grace_window_has_passed(plugin, client):
    """Plugin settings CleanupIntervalSeconds and RefreshTokenGracePeriodSeconds: the cleanup job clears the
    sealed successor after the window; the rotated row stays for reuse detection."""
    plugin.plugin_settings.update({"cleanupintervalseconds": 1, "refreshtokengraceperiodseconds": 1})
    assert not plugin.hooks.OnDeactivate(hooks_pb2.OnDeactivateRequest(), timeout=30).HasField("error")
    assert not plugin.hooks.OnActivate(hooks_pb2.OnActivateRequest(configuration=plugin._configuration()),
                                       timeout=30).HasField("error")
    app = client.create_app()
    first = client.tokens(plain_user(), app)
    second = ok(client.refresh(app, first.refresh_token))
    assert refresh_row(client, first.refresh_token)["successor_sealed"]
    deadline = time.monotonic() + 10
    while refresh_row(client, first.refresh_token)["successor_sealed"] and time.monotonic() < deadline:
        time.sleep(0.2)
    row = refresh_row(client, first.refresh_token)
    assert row["successor_sealed"] == "" and row["rotated_at"] is not None
    expect_error(client.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert not client.works(second.access_token)


# --- refresh lifetimes (RFC 9700 section 4.14.2: expire after inactivity) ---------------------------------------

def test_refresh_token_expires_after_the_idle_timeout_setting(plugin, client):
    plugin.configure(plugin={"RefreshTokenIdleTimeoutHours": 2})
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    row = refresh_row(client, tokens.refresh_token)
    assert row["expires_at"] - row["create_at"] == 2 * HOUR_MS
    grant_id = row["grant_id"]

    age_grant(client, grant_id, 2 * HOUR_MS - 60_000)  # used just in time: a new token with a new window
    renewed = ok(client.refresh(app, tokens.refresh_token))
    row = refresh_row(client, renewed.refresh_token)
    assert row["expires_at"] - row["create_at"] == 2 * HOUR_MS

    age_grant(client, grant_id, 2 * HOUR_MS + 1_000)  # then left unused past the timeout
    expect_error(client.refresh(app, renewed.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert introspect(client, app, renewed.refresh_token).json == INACTIVE


def test_refresh_tokens_die_at_the_absolute_lifetime_setting_even_in_regular_use(plugin, client):
    plugin.configure(plugin={"RefreshTokenAbsoluteLifetimeHours": 1})
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    grant_id = refresh_row(client, tokens.refresh_token)["grant_id"]
    grant_created = db_rows(client.plugin, "SELECT create_at FROM oauth_grants WHERE id = ?", (grant_id,))[0][0]
    assert refresh_row(client, tokens.refresh_token)["expires_at"] == grant_created + HOUR_MS  # idle is 60 days

    for _ in range(2):
        age_grant(client, grant_id, 25 * 60_000)
        tokens = ok(client.refresh(app, tokens.refresh_token))
    row = refresh_row(client, tokens.refresh_token)
    grant_created = db_rows(client.plugin, "SELECT create_at FROM oauth_grants WHERE id = ?", (grant_id,))[0][0]
    assert row["expires_at"] == grant_created + HOUR_MS  # a refresh never extends the grant's lifetime
    assert ok(introspect(client, app, tokens.refresh_token)).active

    age_grant(client, grant_id, 11 * 60_000)
    expect_error(client.refresh(app, tokens.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert introspect(client, app, tokens.refresh_token).json == INACTIVE


# --- RFC 7009 revocation ---------------------------------------------------------------------------------------

def test_revoking_an_access_token_revokes_only_that_token(client):
    app, user = client.create_app(), plain_user()
    tokens, other = client.tokens(user, app), client.tokens(user, app)
    ok(revoke(client, app, tokens.access_token))
    assert not client.works(tokens.access_token)
    assert client.works(other.access_token)
    refreshed = ok(client.refresh(app, tokens.refresh_token))  # the grant's refresh token still works
    assert client.works(refreshed.access_token)
    [event] = events_of(client, "token_revoked", client_id=app.id)
    assert detail(event)["token_type"] == "access_token" and detail(event)["tokens_revoked"] == 1
    assert detail(event)["reason"] == "rfc7009"


def test_revoking_a_refresh_token_revokes_its_grant(client):
    app, user = client.create_app(), plain_user()
    first = client.tokens(user, app)
    tokens = ok(client.refresh(app, first.refresh_token))
    other = client.tokens(user, app)
    ok(revoke(client, app, tokens.refresh_token, hint="refresh_token"))
    assert not client.works(tokens.access_token)
    expect_error(client.refresh(app, tokens.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    expect_error(client.refresh(app, first.refresh_token), INVALID_REFRESH, 404, "invalid_grant")
    assert client.works(other.access_token)
    [event] = events_of(client, "token_revoked", client_id=app.id)
    assert detail(event)["token_type"] == "refresh_token" and detail(event)["tokens_revoked"] == 3


def test_token_type_hint_is_only_a_hint(client):
    """RFC 7009 section 2.1: a wrong or unknown hint does not stop the server from finding the token."""
    app, user = client.create_app(), plain_user()
    a, b, c = client.tokens(user, app), client.tokens(user, app), client.tokens(user, app)
    ok(revoke(client, app, a.access_token, hint="refresh_token"))
    ok(revoke(client, app, b.refresh_token, hint="access_token"))
    ok(revoke(client, app, c.access_token, hint="no_such_type"))
    assert not any(client.works(t.access_token) for t in (a, b, c))
    expect_error(client.refresh(app, b.refresh_token), INVALID_REFRESH, 404)


def test_revoking_an_unknown_or_already_revoked_token_succeeds(client):
    """RFC 7009 section 2.2: invalid tokens do not cause an error response."""
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    ok(revoke(client, app, "not-a-token"))
    ok(revoke(client, app, tokens.access_token))
    ok(revoke(client, app, tokens.access_token))
    assert ok(client.refresh(app, tokens.refresh_token)).access_token


def test_revoking_another_clients_token_succeeds_and_revokes_nothing(client):
    app, other = client.create_app(), client.create_app()
    tokens = client.tokens(plain_user(), app)
    ok(revoke(client, other, tokens.access_token))
    ok(revoke(client, other, tokens.refresh_token))
    assert client.works(tokens.access_token)
    assert ok(client.refresh(app, tokens.refresh_token)).access_token
    assert events_of(client, "token_revoked") == []


def test_public_client_revokes_its_token_with_its_client_id_alone(client):
    app, user = public_app(client), plain_user()
    tokens = public_tokens(client, user, app)
    assert tokens.refresh_token == ""
    ok(revoke(client, app, tokens.access_token, client_secret=""))
    assert not client.works(tokens.access_token)


def test_public_client_presenting_a_secret_is_refused(client):
    app = public_app(client)
    tokens = public_tokens(client, plain_user(), app)
    expect_error(revoke(client, app, tokens.access_token, client_secret="made-up"), BAD_CLIENT, 401,
                 "invalid_client")
    assert client.works(tokens.access_token)


def test_revocation_without_client_authentication_is_refused(client):
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    for fields in ({"client_id": "", "client_secret": ""},      # nobody
                   {"client_secret": ""},                      # a confidential client without its secret
                   {"client_secret": "wrong"},                 # the wrong secret
                   {"client_id": "x" * 26},                    # an unknown client
                   {"client_id": "not an id"}):
        expect_error(revoke(client, app, tokens.access_token, **fields), BAD_CLIENT, 401, "invalid_client")
    assert client.works(tokens.access_token)


def test_revocation_needs_the_token_parameter(client):
    """RFC 7009 section 2.1: `token` is REQUIRED; a request without it is invalid_request (RFC 6749 section 5.2),
    after the client authenticated."""
    app = client.create_app()
    expect_error(revoke(client, app, ""), "api.oauth.revoke.missing_token.app_error", 400, "invalid_request")
    expect_error(revoke(client, app, "", client_secret="wrong"), BAD_CLIENT, 401, "invalid_client")


# --- RFC 7662 introspection ------------------------------------------------------------------------------------

def test_introspection_of_an_active_access_token(client):
    app, user = client.create_app(), plain_user()
    before = now_s()
    tokens = client.tokens(user, app, authorize={"resource": RESOURCE})
    answer = ok(introspect(client, app, tokens.access_token))
    assert answer.active and answer.token_type == "access_token"
    assert (answer.scope, answer.client_id, answer.sub, answer.aud, answer.iss) == \
        ("user", app.id, user.user_id, RESOURCE, ISSUER)
    assert before <= answer.iat <= now_s()
    assert answer.exp == answer.iat + tokens.expires_in


def test_introspection_of_an_active_refresh_token(client):
    app, user = client.create_app(), plain_user()
    tokens = client.tokens(user, app)
    answer = ok(introspect(client, app, tokens.refresh_token, hint="refresh_token"))
    assert answer.active and answer.token_type == "refresh_token"
    assert (answer.client_id, answer.sub, answer.iss) == (app.id, user.user_id, ISSUER)
    assert answer.exp == refresh_row(client, tokens.refresh_token)["expires_at"] // 1000
    assert ok(introspect(client, app, tokens.refresh_token, hint="access_token")).active  # only a hint


def test_introspection_answers_exactly_active_false_for_anything_not_active(client):
    """Unknown, expired, revoked, rotated, and another client's tokens all look the same: {"active": false}."""
    app, other, user = client.create_app(), client.create_app(), plain_user()
    expired = client.tokens(user, app)
    db_execute(client.plugin, "UPDATE oauth_access_tokens SET expires_at = ? WHERE token_hash = ?",
               (int(time.time() * 1000) - 1000, sha256(expired.access_token)))
    revoked = client.tokens(user, app)
    ok(revoke(client, app, revoked.refresh_token))
    rotated = client.tokens(user, app)
    ok(client.refresh(app, rotated.refresh_token))
    foreign = client.tokens(user, other)
    for token in ("not-a-token", expired.access_token, revoked.access_token, revoked.refresh_token,
                  rotated.access_token, rotated.refresh_token, foreign.access_token, foreign.refresh_token):
        assert introspect(client, app, token).json == INACTIVE, token
    assert ok(introspect(client, other, foreign.access_token)).active  # its own client sees it


def test_introspection_requires_client_authentication(client):
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    for fields in ({"client_id": "", "client_secret": ""}, {"client_secret": ""}, {"client_secret": "wrong"},
                   {"client_id": "x" * 26}):
        expect_error(introspect(client, app, tokens.access_token, **fields), BAD_CLIENT, 401, "invalid_client")


def test_introspection_needs_the_token_parameter(client):
    """RFC 7662 section 2.1: `token` is REQUIRED: invalid_request, once the client authenticated."""
    app = client.create_app()
    expect_error(introspect(client, app, ""), "api.oauth.introspect.missing_token.app_error", 400, "invalid_request")
    expect_error(introspect(client, app, "", client_secret="wrong"), BAD_CLIENT, 401, "invalid_client")


def test_public_clients_cannot_introspect(client):
    """The metadata lists no "none" method for introspection: a public client cannot authenticate, so it is
    refused even for its own token (it could otherwise probe tokens with a client id that is no secret)."""
    app = public_app(client)
    tokens = public_tokens(client, plain_user(), app)
    expect_error(introspect(client, app, tokens.access_token, client_secret=""), BAD_CLIENT, 401, "invalid_client")
    document = json.loads(ok(client.rpc.GetMetadata(discovery_pb2.MetadataRequest())).metadata_json)
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]


# --- RFC 9207 iss in every authorization response ----------------------------------------------------------------

def test_code_redirect_carries_iss(client):
    app = client.create_app()
    url = ok(client.decide(plain_user(), app, state="s 1")).redirect_url
    params = query_of(url)
    assert params["iss"] == ISSUER and params["state"] == "s 1" and params["code"]


def test_error_redirects_carry_iss(client):
    app, user = client.create_app(), plain_user()
    denied = query_of(ok(client.decide(user, app, allow=False, state="s")).redirect_url)
    assert denied == {"error": "access_denied", "state": "s", "iss": ISSUER}
    unsupported = ok(client.begin(user, app, response_type="token", state="s"))
    assert unsupported.outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT
    assert query_of(unsupported.redirect_url) == {"error": "unsupported_response_type", "state": "s", "iss": ISSUER}


def test_remembered_consent_and_implicit_redirects_carry_iss(plugin, client):
    plugin.configure(plugin={"EnableImplicitGrant": True})
    app, user = client.create_app(), plain_user()
    client.code_for(user, app)
    remembered = ok(client.begin(user, app))
    assert remembered.outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT
    assert query_of(remembered.redirect_url)["iss"] == ISSUER
    implicit = fragment_of(ok(client.decide(user, app, response_type="token")).redirect_url)
    assert implicit["iss"] == ISSUER and implicit["access_token"]


def test_iss_is_the_metadata_issuer_and_follows_the_site_url(plugin, client):
    plugin.configure(SiteURL="https://other.example.org/mattermost")
    document = json.loads(ok(client.rpc.GetMetadata(discovery_pb2.MetadataRequest())).metadata_json)
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["issuer"] == "https://other.example.org/mattermost"
    app = client.create_app()
    assert query_of(ok(client.decide(plain_user(), app)).redirect_url)["iss"] == document["issuer"]


# --- RFC 8414 metadata for the new endpoints ---------------------------------------------------------------------

def test_metadata_advertises_revocation_introspection_and_their_client_authentication(client):
    document = json.loads(ok(client.rpc.GetMetadata(discovery_pb2.MetadataRequest())).metadata_json)
    assert document["revocation_endpoint"] == ISSUER + "/oauth/revoke"
    assert document["introspection_endpoint"] == ISSUER + "/oauth/introspect"
    assert document["token_endpoint_auth_methods_supported"] == ["none", "client_secret_basic", "client_secret_post"]
    assert document["revocation_endpoint_auth_methods_supported"] == \
        ["none", "client_secret_basic", "client_secret_post"]
    assert document["introspection_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["response_types_supported"] == ["code"]


# --- rate limits (OAuth 2.1 section 2.4.1) -----------------------------------------------------------------------

def expect_rate_limited(response):
    error = expect_error(response, RATE_LIMITED, 429, "temporarily_unavailable")
    assert 1 <= error.retry_after_seconds <= 60
    return error


def test_requests_over_the_per_client_limit_get_429_with_retry_after(plugin, client):
    """RateLimitPerClientPerMinute counts the token, revocation and introspection endpoints together, per client;
    other clients are not affected."""
    plugin.configure(plugin={"RateLimitPerClientPerMinute": 3, "RateLimitPerAddressPerMinute": 0})
    app, other = client.create_app(), client.create_app()
    leave_time_in_the_rate_window()
    expect_error(client.refresh(app, "unknown"), INVALID_REFRESH, 404)
    ok(revoke(client, app, "unknown"))
    assert introspect(client, app, "unknown").json == INACTIVE
    expect_rate_limited(client.refresh(app, "unknown"))
    expect_rate_limited(revoke(client, app, "unknown"))
    expect_rate_limited(introspect(client, app, "unknown"))
    ok(revoke(client, other, "unknown"))


def test_requests_over_the_per_address_limit_get_429_with_retry_after(plugin, client):
    """RateLimitPerAddressPerMinute counts every client-facing endpoint, registration included, per remote
    address, whichever client is named."""
    plugin.configure(plugin={"RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 3},
                     EnableDynamicClientRegistration=True)
    apps = [client.create_app() for _ in range(3)]
    here = "192.0.2.10"
    leave_time_in_the_rate_window()
    for app in apps:
        ok(revoke(client, app, "unknown", remote_addr=here))
    expect_rate_limited(revoke(client, client.create_app(), "unknown", remote_addr=here))
    expect_rate_limited(introspect(client, apps[0], "unknown", remote_addr=here))
    expect_rate_limited(client_call(client.rpc.Token, context=common_pb2.RequestContext(remote_addr=here),
                                    grant_type="refresh_token", refresh_token="x", client_id=apps[0].id,
                                    client_secret=apps[0].client_secret))
    register = common_pb2.ClientHttpRequest(context=common_pb2.RequestContext(remote_addr=here),
                                            content_type="application/json",
                                            body=json.dumps({"redirect_uris": [CALLBACK]}).encode())
    refused = ClientAnswer(client.rpc.RegisterClient(register)).error  # RFC 7591's body: no Mattermost id
    assert (refused.status_code, refused.oauth_error) == (429, "temporarily_unavailable")
    assert 1 <= refused.retry_after_seconds <= 60
    ok(revoke(client, apps[0], "unknown", remote_addr="192.0.2.11"))  # another address has its own window


def test_failed_client_authentication_costs_the_address_more_and_the_client_nothing(plugin, client):
    """RateLimitFailureCost: a failed client authentication counts as that many requests from its address, so
    guessing a secret is slower than using one; the client named is not charged for it."""
    plugin.configure(plugin={"RateLimitPerClientPerMinute": 2, "RateLimitFailureCost": 5,
                             "RateLimitPerAddressPerMinute": 5})
    guessed, other = client.create_app(), client.create_app()
    guesser = "192.0.2.30"
    leave_time_in_the_rate_window()
    expect_error(revoke(client, guessed, "unknown", client_secret="guess", remote_addr=guesser), BAD_CLIENT, 401,
                 "invalid_client")
    expect_rate_limited(revoke(client, other, "unknown", remote_addr=guesser))  # one failure used up the five
    for _ in range(2):
        ok(revoke(client, guessed, "unknown", remote_addr="192.0.2.31"))  # the client's own two
    expect_rate_limited(revoke(client, guessed, "unknown", remote_addr="192.0.2.31"))


def test_nobody_can_use_up_a_clients_budget_by_naming_it(plugin, client):
    """Requests whose client does not authenticate (a wrong secret, a malformed request, a request refused for
    being over a limit) are taken back from that client's window: only the client's own requests count."""
    plugin.configure(plugin={"RateLimitPerClientPerMinute": 3, "RateLimitPerAddressPerMinute": 0})
    app = client.create_app()
    leave_time_in_the_rate_window()
    for _ in range(4):
        expect_error(revoke(client, app, "unknown", client_secret="guess"), BAD_CLIENT, 401, "invalid_client")
        expect_error(client_call(client.rpc.Token, grant_type="authorization_code", client_id=app.id),
                     "api.oauth.get_access_token.missing_code.app_error", 400, "invalid_request")
        expect_error(introspect(client, app, "unknown", client_secret="guess"), BAD_CLIENT, 401)
    for _ in range(3):
        ok(revoke(client, app, "unknown"))
    expect_rate_limited(revoke(client, app, "unknown"))
    expect_rate_limited(introspect(client, app, "unknown"))  # over the limit: refused, and not counted
    expect_error(revoke(client, app, "unknown", client_secret="guess"), RATE_LIMITED, 429)


def test_guessing_client_ids_from_one_address_is_limited_by_the_failure_cost(plugin, client):
    plugin.configure(plugin={"RateLimitPerClientPerMinute": 0, "RateLimitFailureCost": 5,
                             "RateLimitPerAddressPerMinute": 10})
    app = client.create_app()
    here = "192.0.2.20"
    leave_time_in_the_rate_window()
    for guess in ("a" * 26, "b" * 26):
        expect_error(introspect(client, app, "unknown", client_id=guess, remote_addr=here), BAD_CLIENT, 401)
    expect_rate_limited(introspect(client, app, "unknown", remote_addr=here))


# --- the audit trail ------------------------------------------------------------------------------------------------

EVENT_TYPES = {
    "app_created", "app_updated", "app_deleted", "app_secret_regenerated", "consent_granted", "consent_denied",
    "consent_remembered", "code_issued", "code_consumed", "code_replayed", "token_issued", "token_refreshed",
    "token_revoked", "refresh_reuse_detected", "user_deauthorized_app", "user_revoked", "signing_key_generated",
    "signing_key_rotated", "device_code_issued", "device_user_code_refused", "device_approved", "device_denied",
    "device_code_redeemed", "pushed_request_created", "pushed_request_used", "pushed_request_refused",
}
SIGNING_KEY_EVENTS = ("signing_key_generated", "signing_key_rotated")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_every_kind_of_change_leaves_an_audit_event_of_its_type(plugin, client):
    from plugin.oauth.audit import AuditEvent

    assert {e.value for e in AuditEvent} == EVENT_TYPES
    plugin.configure(plugin={"RefreshTokenGracePeriodSeconds": 0, "EnableDeviceGrant": True})
    boss, user = admin(), plain_user()
    app = client.create_app(boss)                                                       # app_created
    update = apps_pb2.OAuthApp(id=app.id, name="Renamed", homepage=app.homepage, callback_urls=[CALLBACK],
                               device_grant_allowed=True)
    ok(client.rpc.UpdateApp(apps_pb2.UpdateAppRequest(context=boss, app_id=app.id, app=update)))  # app_updated
    app = ok(client.rpc.RegenerateSecret(apps_pb2.AppIdRequest(context=boss, app_id=app.id))).app
    credentials = dict(client_id=app.id, client_secret=app.client_secret)
    approved = ok(client_call(client.rpc.DeviceAuthorization, **credentials))         # device_code_issued
    client.rpc.LookupUserCode(device_pb2.UserCodeRequest(context=user, user_code="BCDF-GHJK"))  # ..._code_refused
    ok(client.rpc.DecideDevice(device_pb2.DeviceDecisionRequest(context=user, user_code=approved.user_code,
                                                                allow=True)))          # device_approved
    ok(client_call(client.rpc.Token, grant_type=DEVICE_GRANT, device_code=approved.device_code,
                   **credentials))                                                     # device_code_redeemed
    denied = ok(client_call(client.rpc.DeviceAuthorization, **credentials))
    ok(client.rpc.DecideDevice(device_pb2.DeviceDecisionRequest(context=user, user_code=denied.user_code,
                                                                allow=False)))         # device_denied
    ok(client.decide(user, app, allow=False))                                           # consent_denied
    code = client.code_for(user, app)                                  # consent_granted, code_issued
    tokens = ok(client.exchange(app, code))                            # code_consumed, token_issued
    assert ok(client.begin(user, app)).outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT  # remembered
    client.exchange(app, code)                                                          # code_replayed
    pushed = client.rpc.PushAuthorizationRequest(client_form(                           # pushed_request_created
        boss, client_id=app.id, client_secret=app.client_secret, response_type="code", redirect_uri=CALLBACK))
    assert pushed.status == 201, pushed.body_json
    by_reference = authorize_pb2.AuthorizeRequest(client_id=app.id,
                                                  request_uri=json.loads(pushed.body_json)["request_uri"])
    ok(client.decide(user, request=by_reference))                                       # pushed_request_used
    client.decide(user, request=by_reference)                                           # pushed_request_refused
    tokens = client.tokens(user, app)
    ok(client.refresh(app, tokens.refresh_token))                                       # token_refreshed
    client.refresh(app, tokens.refresh_token)                                           # refresh_reuse_detected
    ok(revoke(client, app, client.tokens(user, app).access_token))                      # token_revoked
    ok(client.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id)))  # deauthorized
    ok(client.rpc.RevokeUser(token_pb2.RevokeUserRequest(user_id=user.user_id)))        # user_revoked
    rotated = client.rpc.RotateSigningKeys(common_pb2.ClientHttpRequest(context=boss))   # signing_key_rotated
    assert rotated.status == 200, rotated.body_json             # (signing_key_generated: at the activation)
    time.sleep(0.01)
    ok(client.rpc.DeleteApp(apps_pb2.AppIdRequest(context=boss, app_id=app.id)))       # app_deleted

    events = audit_events(client)
    assert {e.type for e in events} == EVENT_TYPES
    # A refused user code names no app (it named none that exists).
    assert all(e.client_id == app.id for e in events
               if e.type not in ("user_revoked", "device_user_code_refused", *SIGNING_KEY_EVENTS))
    assert all(e.user_id == user.user_id for e in events if e.type.startswith(("consent", "code", "token")))
    assert all(e.user_id == boss.user_id and e.remote_addr == "127.0.0.1"
               for e in events if e.type.startswith("app_"))
    assert [e.create_at for e in events] == sorted((e.create_at for e in events), reverse=True)  # newest first
    assert events[0].type == "app_deleted"


def test_audit_events_hold_no_secret_code_or_token(plugin, client):
    app = client.create_app()
    code = client.code_for(plain_user(), app)
    tokens = ok(client.exchange(app, code))
    refreshed = ok(client.refresh(app, tokens.refresh_token))
    ok(revoke(client, app, refreshed.refresh_token))
    plugin.configure(plugin={"EnableDeviceGrant": True})  # and the device grant's codes (RFC 8628)
    device_app = client.create_app(device_grant_allowed=True)
    credentials = dict(client_id=device_app.id, client_secret=device_app.client_secret)
    device = ok(client_call(client.rpc.DeviceAuthorization, **credentials))
    ok(client.rpc.DecideDevice(device_pb2.DeviceDecisionRequest(context=plain_user(), user_code=device.user_code,
                                                                allow=True)))
    device_tokens = ok(client_call(client.rpc.Token, grant_type=DEVICE_GRANT, device_code=device.device_code,
                                   **credentials))
    trail = json.dumps([[e.type, e.user_id, e.client_id, e.grant_id, e.remote_addr, e.detail_json.decode()]
                        for e in audit_events(client)])
    log = (plugin.data_dir / "plugin.log").read_text(errors="replace")
    assert '"@message": "audit"' in log
    for value in (app.client_secret, code, tokens.access_token, tokens.refresh_token, refreshed.access_token,
                  refreshed.refresh_token, device.device_code, device.user_code,
                  device.user_code.replace("-", ""), device_tokens.access_token):
        assert value not in trail and value not in log


def test_audit_trail_is_for_system_admins_only(client):
    client.create_app()
    expect_error(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(context=member())), PERMISSIONS, 403)
    expect_error(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(context=plain_user())), PERMISSIONS,
                 403)
    expect_error(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(context=anonymous())),
                 SESSION_EXPIRED, 401)


def test_audit_trail_pages_newest_first(client):
    boss = admin()
    apps = []
    for _ in range(5):
        apps.append(client.create_app(boss))
        time.sleep(0.01)  # distinct milliseconds: the order within one is not defined
    pages = [ok(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(context=boss, page=p, per_page=2))).events
             for p in range(4)]
    assert [len(p) for p in pages] == [2, 2, 2, 1]  # the oldest two: the activation's signing keys
    events = [e for p in pages for e in p]
    assert [e.client_id for e in events[:5]] == [a.id for a in reversed(apps)]
    assert {e.type for e in events[5:]} == {"signing_key_generated"}

