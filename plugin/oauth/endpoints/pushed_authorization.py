"""RFC 9126 section 2: the pushed authorization request endpoint (POST /oauth/par).

The client authenticates as at the token endpoint (a public client names itself with client_id), under the same
rate limits; the parameters are checked by the authorization endpoint's own checks (`check_pushed`); the answer
is 201 with a `request_uri` (only its hash is stored) and `expires_in`. Refused: a `request_uri` among the
parameters (section 2.1), a request object (`request`: request_not_supported), anything the authorization
endpoint would refuse, as an RFC 6749 section 5.2 error (section 2.3). A DPoP proof on the request binds the code
to its key, as `dpop_jkt` does (RFC 9449 section 10.1: the `before_push` hook of plugin/oauth/dpop.py)."""
from __future__ import annotations

from plugin.store.records import PushedRequestRecord

from .. import client_auth
from ..audit import AuditEvent
from ..errors import rfc_error
from ..guards import Caller, require_enabled
from ..ids import hash_secret
from ..oidc.errors import OpenIDErrorCode
from ..rfc6749 import AuthorizeRequest
from ..rfc9126 import PAR_PATH, PUSHED_FIELDS, new_request_uri, pushed_params, request_uri_pushed
from ..rfc9449 import HttpTarget
from ..server import BEFORE_PUSH
from ..settings import Settings
from ..store_errors import TOKEN_WRITE_FAILED, store_errors
from .base import DISABLED, Endpoint


class PushedAuthorizationEndpoint(Endpoint):
    name = "pushed_authorization"
    path = PAR_PATH
    metadata_key = "pushed_authorization_request_endpoint"

    def __init__(self, server) -> None:
        super().__init__(server)
        server.register_metadata(self.metadata_members)

    @property
    def auth_methods(self) -> tuple[str, ...]:
        """The token endpoint's (section 2: the same client authentication)."""
        return self.server.token_auth_methods()

    @staticmethod
    def metadata_members(settings: Settings) -> dict:
        """Section 5: whether every client must push its requests."""
        return {"require_pushed_authorization_requests": settings.require_pushed_authorization_requests}

    def handle(self, params: dict[str, str], client_id: str, client_secret: str,
               caller: Caller | None = None, target: HttpTarget | None = None) -> dict:
        """`target`: the HTTP request as it came, for a DPoP proof (RFC 9449 section 10.1)."""
        services = self.services
        settings = services.settings
        require_enabled(settings, DISABLED)
        remote_addr = caller.remote_addr if caller is not None else ""
        with services.limiter.metered(settings, client_id, remote_addr) as meter:
            app = client_auth.authenticate(services.store, client_id, client_secret, self.auth_methods)
            if not client_auth.is_public(app):
                meter.client_authenticated()
            if params.get("request_uri"):
                raise request_uri_pushed()
            if params.get("request"):
                raise rfc_error(OpenIDErrorCode.REQUEST_NOT_SUPPORTED, "api.oauth.par.refused.app_error",
                                error=str(OpenIDErrorCode.REQUEST_NOT_SUPPORTED))
            request = AuthorizeRequest(**{name: params.get(name, "") for name in PUSHED_FIELDS if name != "client_id"},
                                       client_id=app.id)
            self.server.endpoint("authorization").check_pushed(app, request)
            meter.client_authenticated()  # a public client named a callback of its own
            self.server.run_hooks(BEFORE_PUSH, app, request, target or HttpTarget())
            request_uri, now = new_request_uri(), services.now()
            lifetime = settings.pushed_request_lifetime_seconds
            with store_errors(TOKEN_WRITE_FAILED):
                services.store.save_pushed_request(PushedRequestRecord(
                    hash_secret(request_uri), app.id, pushed_params(request), now, now + lifetime * 1000))
            services.audit.record(AuditEvent.PUSHED_REQUEST_CREATED, client_id=app.id, remote_addr=remote_addr,
                                  expires_in=lifetime, scope=request.scope)
            return {"request_uri": request_uri, "expires_in": lifetime}
