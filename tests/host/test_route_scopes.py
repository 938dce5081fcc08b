"""The table of API v4 routes and their scopes (server_stub/web/route_scopes.py) against the host's real router:
every API v4 route has an entry, every entry a route, and every scope named is one the plugin registers for API
v4 (plugin/oauth/scopes.py). A new route without an entry fails here."""
from __future__ import annotations

import pytest

from plugin.oauth.scopes import SCOPES
from server_stub.web.app import create_app
from server_stub.web.route_scopes import ANY_TOKEN, ROUTE_SCOPES, required_scope

from .test_oauth_sessions import FakeHost


@pytest.fixture
def api_routes(tmp_path) -> set[tuple[str, str]]:
    app = create_app(FakeHost(tmp_path / "data"))
    return {("GET" if route.method == "HEAD" else route.method, route.resource.canonical)
            for route in app.router.routes() if route.resource.canonical.startswith("/api/v4/")}


def test_every_api_v4_route_has_a_scope_entry(api_routes):
    missing = sorted(api_routes - ROUTE_SCOPES.keys())
    assert not missing, f"API v4 routes without an entry in server_stub/web/route_scopes.py: {missing}"


def test_every_entry_names_a_route_of_the_router(api_routes):
    stale = sorted(ROUTE_SCOPES.keys() - api_routes)
    assert not stale, f"entries in server_stub/web/route_scopes.py for routes that do not exist: {stale}"


def test_every_scope_of_the_table_is_an_api_scope_the_plugin_registers():
    for route, scope in ROUTE_SCOPES.items():
        if scope != ANY_TOKEN:
            registered = SCOPES.get(scope)
            assert registered is not None and registered.api, (route, scope)


def test_what_changes_the_server_needs_system_manage():
    for method, path in [("PUT", "/api/v4/config/patch"), ("GET", "/api/v4/config"),
                         ("PUT", "/api/v4/roles/{role_id}/patch"), ("POST", "/api/v4/plugins/{plugin_id}/enable"),
                         ("PUT", "/api/v4/users/{user_id}/roles"), ("PUT", "/api/v4/users/{user_id}/active"),
                         ("POST", "/api/v4/oauth/apps")]:
        assert required_scope(method, path) == "system:manage", path


def test_head_is_checked_as_get_and_a_route_not_in_the_table_is_open_to_no_token():
    assert required_scope("HEAD", "/api/v4/users/{user_id}") == "users:read"
    assert required_scope("GET", "/integrations/oauth2-apps") is None
