"""Whatever a client sends, the host's API v4 routes answer a Mattermost AppError, never a 500: malformed JSON,
wrong types and missing fields are 400 `api.context.invalid_body_param.app_error` naming the parameter, and a body
over ServiceSettings.MaximumPayloadSizeBytes is 413."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

INVALID_BODY = "api.context.invalid_body_param.app_error"


@pytest.fixture(scope="module")
def ids(api, admin):
    system_user = api.get("/api/v4/roles/name/system_user", token=admin.token).json
    return {"user": admin.id, "role": system_user["id"]}


# (method, path template, raw body, parameter named in the message)
CASES = [
    ("POST", "/api/v4/users", "garbage", "user"),
    ("POST", "/api/v4/users", "[]", "user"),
    ("POST", "/api/v4/users", '{"email": 5, "username": "u5", "password": "passw0rd"}', "email"),
    ("POST", "/api/v4/users", '{"email": "u6@example.com", "password": "passw0rd"}', "username"),
    ("POST", "/api/v4/users", '{"email": "u7@example.com", "username": "u7"}', "password"),
    ("POST", "/api/v4/users/login", "garbage", "login_id"),
    ("POST", "/api/v4/users/login", '{"password": "x"}', "login_id"),
    ("POST", "/api/v4/users/login", '{"login_id": ["admin"], "password": "x"}', "login_id"),
    ("POST", "/api/v4/users/login", '{"login_id": "admin"}', "password"),
    ("POST", "/api/v4/users/login", '{"login_id": "admin", "password": 12345}', "password"),
    ("PUT", "/api/v4/users/{user}/active", "garbage", "active"),
    ("PUT", "/api/v4/users/{user}/active", "{}", "active"),
    ("PUT", "/api/v4/users/{user}/active", '{"active": "false"}', "active"),
    ("PUT", "/api/v4/users/{user}/active", '{"active": null}', "active"),
    ("PUT", "/api/v4/users/{user}/roles", "garbage", "roles"),
    ("PUT", "/api/v4/users/{user}/roles", '{"roles": 5}', "roles"),
    ("PUT", "/api/v4/users/{user}/roles", '{"roles": ""}', "roles"),
    ("PUT", "/api/v4/users/{user}/roles", '{"roles": "system_admin"}', "roles"),
    ("PUT", "/api/v4/users/{user}/roles", '{"roles": "system_user no_such_role"}', "roles"),
    ("PUT", "/api/v4/roles/{role}/patch", "garbage", "role"),
    ("PUT", "/api/v4/roles/{role}/patch", '"permissions"', "role"),
    ("PUT", "/api/v4/roles/{role}/patch", '{"permissions": "manage_oauth"}', "permissions"),
    ("PUT", "/api/v4/roles/{role}/patch", '{"permissions": [1]}', "permissions"),
    ("POST", "/api/v4/roles/names", "garbage", "rolenames"),
    ("POST", "/api/v4/roles/names", "[]", "rolenames"),
    ("POST", "/api/v4/roles/names", '{"names": ["system_user"]}', "rolenames"),
    ("POST", "/api/v4/roles/names", '["Not A Role"]', "rolename"),
    ("POST", "/api/v4/users", '{"email": "a\\ud800@example.com", "username": "sur", "password": "passw0rd"}', "user"),
    ("PUT", "/api/v4/config/patch", '{"ServiceSettings": {"SiteURL": "https://\\udfff.example.com"}}', "config"),
    ("PUT", "/api/v4/config/patch", "garbage", "config"),
    ("PUT", "/api/v4/config/patch", "[1]", "config"),
    ("PUT", "/api/v4/config/patch", "null", "config"),
    ("PUT", "/api/v4/config", "garbage", "config"),
    ("PUT", "/api/v4/config", "true", "config"),
]


@pytest.mark.parametrize("method,path,body,name", CASES, ids=[f"{m} {p} {b[:20]}" for m, p, b, _ in CASES])
def test_bad_body_is_400_naming_the_parameter(api, admin, ids, method, path, body, name):
    reply = api.request(method, path.format(**ids), body=body, token=admin.token,
                        headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply.body
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json["id"] == INVALID_BODY
    assert reply.json["message"] == f"Invalid or missing {name} in request body."
    assert reply.json["status_code"] == 400 and len(reply.json["request_id"]) == 26


def test_invalid_utf8_is_a_bad_body_not_a_crash(api, admin):
    reply = api.request("POST", "/api/v4/users/login", body=b'{"login_id": "\xff\xfe"}')
    assert (reply.status, reply.error_id) == (400, INVALID_BODY)


def test_deeply_nested_json_is_a_bad_body_not_a_crash(api, admin):
    reply = api.request("PUT", "/api/v4/config/patch", body="[" * 100_000 + "]" * 100_000, token=admin.token)
    assert (reply.status, reply.error_id) == (400, INVALID_BODY)


def test_thousands_of_role_names_are_answered(api, admin):
    names = [f"role_{n}" for n in range(5000)] + ["system_user"]
    reply = api.post("/api/v4/roles/names", names, token=admin.token)
    assert reply.status == 200 and [r["name"] for r in reply.json] == ["system_user"]


def test_nesting_too_deep_to_copy_is_a_bad_body_not_a_crash(api, admin):
    nested = "[" * 500 + "]" * 500
    reply = api.request("PUT", "/api/v4/config/patch", token=admin.token,
                        body='{"PluginSettings": {"Plugins": {"x": {"k": ' + nested + "}}}}")
    assert (reply.status, reply.error_id) == (400, INVALID_BODY)


def test_body_over_the_configured_limit_is_413(api, admin):
    body = json.dumps({"login_id": "admin", "password": "x" * 300_001})
    reply = api.request("POST", "/api/v4/users/login", body=body)
    assert (reply.status, reply.error_id) == (413, "api.context.request_body_too_large.app_error")


def test_body_over_the_servers_hard_limit_is_413_json(api, admin):
    reply = api.request("PUT", "/api/v4/config/patch", body=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                        token=admin.token)
    assert (reply.status, reply.error_id) == (413, "api.context.request_body_too_large.app_error")


def test_the_limit_follows_the_configuration(api, admin):
    small = {"ServiceSettings": {"MaximumPayloadSizeBytes": 2000}}
    assert api.put("/api/v4/config/patch", small, token=admin.token).status == 200
    try:
        reply = api.post("/api/v4/users/login", {"login_id": "admin", "password": "x" * 3000})
        assert (reply.status, reply.error_id) == (413, "api.context.request_body_too_large.app_error")
    finally:
        default = {"ServiceSettings": {"MaximumPayloadSizeBytes": 300000}}
        assert api.put("/api/v4/config/patch", default, token=admin.token).status == 200


def test_unknown_route_is_a_json_404(api):
    reply = api.get("/api/v4/no/such/route")
    assert (reply.status, reply.error_id) == (404, "api.context.404.app_error")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=12), children, max_size=4), max_leaves=12)
FIELDS = ["email", "username", "password", "login_id", "active", "permissions", "first_name", "locale",
          "ServiceSettings", "TeamSettings", "PluginSettings", "SqlSettings"]
BODIES = JSON | st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=5)
ROUTES = [("POST", "/api/v4/users"), ("POST", "/api/v4/users/login"), ("PUT", "/api/v4/users/{user}/active"),
          ("PUT", "/api/v4/roles/{role}/patch"), ("POST", "/api/v4/roles/names"), ("PUT", "/api/v4/config/patch")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=BODIES, as_admin=st.booleans())
def test_no_json_body_makes_a_route_fail_with_a_server_error(api, admin, new_user, ids, route, body, as_admin):
    method, path = route
    if method == "PUT" and path.endswith("/active") and not as_admin:
        path = "/api/v4/users/me/active"
    if path.endswith("/active") and isinstance(body, dict) and body.get("active") is False:
        body = {**body, "active": True}  # keep the admin account usable for the other examples
    if path == "/api/v4/config/patch" and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "PluginSettings"}  # keep the plugin running
    token = admin.token if as_admin else None
    reply = api.request(method, path.format(**ids), json=body, token=token)
    assert reply.status < 500, (route, body, reply.body)
    assert reply.headers["Content-Type"] == "application/json"
