"""The device authorization grant (RFC 8628) over gRPC against the launched plugin: DeviceAuthorization answers the
client's request whole, LookupUserCode and DecideDevice carry the verification page's steps with the caller's
RequestContext, and Token takes the device_code grant; the audit trail records each step."""
from __future__ import annotations

import json

import pytest

from oauthplugin.v1 import audit_pb2, device_pb2
from tests.rpc.conftest import context
from tests.rpc.flows import admin, client_call, expect_error, new_id, ok, oauth_session, plain_user

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def device_client(plugin, client):
    plugin.configure({"EnableDeviceGrant": True})
    return client


def start(client, app, **fields):
    return client_call(client.rpc.DeviceAuthorization, client_id=app.id, client_secret=app.client_secret, **fields)


def poll(client, app, device_code: str):
    return client_call(client.rpc.Token, grant_type=GRANT_TYPE, device_code=device_code, client_id=app.id,
                       client_secret=app.client_secret)


def test_the_whole_device_flow_over_grpc_and_its_audit_events(device_client):
    client = device_client
    app = client.create_app(device_grant_allowed=True)
    assert app.device_grant_allowed
    device = ok(start(client, app, scope="users:read"))
    assert device.verification_uri == "https://chat.example.com/oauth/device"
    assert poll(client, app, device.device_code).error.oauth_error == "authorization_pending"
    user = plain_user()
    user.session_id = new_id()
    prompt = ok(client.rpc.LookupUserCode(device_pb2.UserCodeRequest(context=user, user_code=device.user_code)))
    assert (prompt.app.id, prompt.user_code, [s.name for s in prompt.scopes]) == (app.id, device.user_code,
                                                                                   ["users:read"])
    assert prompt.app.client_secret == ""
    decided = ok(client.rpc.DecideDevice(device_pb2.DeviceDecisionRequest(context=user, user_code=device.user_code,
                                                                          allow=True)))
    assert decided.approved and decided.app.name == app.name
    tokens = ok(poll(client, app, device.device_code))
    info = ok(client.validate(tokens.access_token))
    assert (info.user_id, info.client_id, list(info.scopes)) == (user.user_id, app.id, ["users:read"])
    events = ok(client.rpc.ListAuditEvents(audit_pb2.ListAuditEventsRequest(context=admin(), per_page=50))).events
    types = [event.type for event in events]
    for expected in ("device_code_issued", "device_approved", "device_code_redeemed"):
        assert expected in types, types
    issued = next(event for event in events if event.type == "token_issued")
    assert json.loads(issued.detail_json)["grant_type"] == GRANT_TYPE


def test_the_grant_is_off_until_the_setting_turns_it_on(client):
    app = client.create_app(device_grant_allowed=True)
    assert start(client, app).status == 404
    assert poll(client, app, "anything").error.oauth_error == "unsupported_grant_type"
    refused = client.rpc.LookupUserCode(device_pb2.UserCodeRequest(context=plain_user(), user_code="BCDF-GHJK"))
    expect_error(refused, "api.oauth.device.disabled.app_error", 404)


def test_the_page_steps_need_a_browser_session(device_client):
    client = device_client
    app = client.create_app(device_grant_allowed=True)
    device = ok(start(client, app))
    anonymous = client.rpc.LookupUserCode(device_pb2.UserCodeRequest(context=context(), user_code=device.user_code))
    expect_error(anonymous, "api.context.session_expired.app_error", 401)
    token_session = client.rpc.DecideDevice(device_pb2.DeviceDecisionRequest(
        context=oauth_session(plain_user()), user_code=device.user_code, allow=True))
    expect_error(token_session, "api.context.permissions.app_error", 403)
    assert poll(client, app, device.device_code).error.oauth_error == "authorization_pending"
