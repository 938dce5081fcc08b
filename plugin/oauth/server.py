"""The authorization server: a registry of grants, response types and endpoints, and hooks around issuance.

Everything the provider does over OAuth's wire is registered here (`defaults.register_defaults` registers the
built-in parts), so an extension is an addition: RFC 8628 registers its grant and its endpoint; OpenID Connect
registers an `after_issue` hook that adds the id_token to the code grant's answer, without editing the grant.
The discovery document is derived from what is registered and enabled, never written by hand.

Hooks: `before_issue(grant, app, request)` runs once the client is authenticated and may refuse by raising an
AppError; `after_issue(grant, app, request, issued)` may add to `issued.response`;
`after_authorize(response_type, caller, request, scope, params)` runs once a response type has issued at the
authorization endpoint, and may keep what it needs of the request or add to the response's `params`;
`before_push(app, request, target)` runs once a pushed authorization request (RFC 9126) passed the authorization
endpoint's checks, before it is stored, and may refuse it or add to what is stored of `request`.
"""
from __future__ import annotations

from typing import Callable

from . import client_auth
from .rfc8414 import authorization_server_metadata
from .services import Services

BEFORE_ISSUE = "before_issue"
AFTER_ISSUE = "after_issue"
AFTER_AUTHORIZE = "after_authorize"
BEFORE_PUSH = "before_push"


class AuthorizationServer:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._grants: dict[str, object] = {}
        self._response_types: dict[str, object] = {}
        self._endpoints: dict[str, object] = {}
        self._hooks: dict[str, list[Callable]] = {BEFORE_ISSUE: [], AFTER_ISSUE: [], AFTER_AUTHORIZE: [],
                                                 BEFORE_PUSH: []}
        self._metadata: list[Callable] = []

    # --- registration ---------------------------------------------------------------------------------------

    def register_grant(self, grant_class):
        grant = grant_class(self.services)
        self._grants[grant.grant_type] = grant
        return grant

    def register_response_type(self, response_type_class):
        response_type = response_type_class(self.services)
        self._response_types[response_type.response_type] = response_type
        return response_type

    def register_endpoint(self, endpoint_class):
        endpoint = endpoint_class(self)
        self._endpoints[endpoint.name] = endpoint
        return endpoint

    def register_hook(self, event: str, hook: Callable) -> None:
        self._hooks[event].append(hook)

    def register_metadata(self, members: Callable) -> None:
        """`members(settings) -> dict`: what an extension or an endpoint adds to the metadata documents (RFC 9449's
        dpop_signing_alg_values_supported, RFC 9126's require_pushed_authorization_requests)."""
        self._metadata.append(members)

    # --- lookups (only what is enabled by the settings in force) ---------------------------------------------

    def grant(self, grant_type: str):
        grant = self._grants.get(grant_type)
        return grant if grant is not None and grant.enabled(self.services.settings) else None

    def response_type(self, name: str):
        response_type = self._response_types.get(name)
        return response_type if response_type is not None and response_type.enabled(self.services.settings) \
            else None

    def endpoint(self, name: str):
        return self._endpoints[name]

    def run_hooks(self, event: str, *args) -> None:
        for hook in self._hooks[event]:
            hook(*args)

    def enabled_endpoints(self) -> list:
        settings = self.services.settings
        return [endpoint for endpoint in self._endpoints.values() if endpoint.enabled(settings)]

    def enabled_grants(self) -> list:
        settings = self.services.settings
        return [grant for grant in self._grants.values() if grant.enabled(settings)]

    def token_auth_methods(self) -> tuple[str, ...]:
        """Client authentication methods some enabled grant accepts, in RFC order."""
        accepted = {method for grant in self.enabled_grants() for method in grant.auth_methods}
        return tuple(method for method in client_auth.METHODS if method in accepted)

    # --- discovery ------------------------------------------------------------------------------------------

    def enabled_response_types(self) -> list:
        settings = self.services.settings
        return [rt for rt in self._response_types.values() if rt.enabled(settings)]

    def metadata(self) -> dict:
        """RFC 8414 metadata of what is registered and enabled (OpenID Connect's own response types, marked
        `openid_only`, are in its discovery document only: this one stays Mattermost's)."""
        settings = self.services.settings
        response_types = [rt for rt in self.enabled_response_types() if not getattr(rt, "openid_only", False)]
        grant_types = [grant.grant_type for grant in self.enabled_grants()]
        grant_types += [rt.grant_type for rt in response_types if rt.grant_type not in grant_types]
        endpoints = [endpoint for endpoint in self._endpoints.values()
                     if endpoint.metadata_key and endpoint.enabled(settings)]
        document = authorization_server_metadata(
            settings,
            endpoints={endpoint.metadata_key: endpoint.path for endpoint in endpoints},
            auth_methods={endpoint.auth_methods_key: list(endpoint.auth_methods)
                          for endpoint in endpoints if endpoint.auth_methods_key},
            response_types=[rt.response_type for rt in response_types],
            grant_types=grant_types,
        )
        for members in self._metadata:
            document.update(members(settings))
        return document
