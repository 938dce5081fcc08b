"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): what the end_session_endpoint decides; the host
ends its session and renders the pages.

`id_token_hint` must be an ID token this provider signed (any published key, expired ones too: section 2 lets a
relying party send an old one), naming the client; `post_logout_redirect_uri` must be one the client registered
(exactly), and needs the client named by the hint or by `client_id`; `state` comes back on it. Without a valid
hint, or when the hint's user is not the one signed in, the user confirms on a page first (section 6: the OP
should not log a user out on a request anyone could forge)."""
from __future__ import annotations

from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..errors import app_error
from ..guards import ANONYMOUS, Caller, require_enabled
from ..rfc6749 import merge_query
from ..services import Services
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .keys import ALGORITHMS, SigningKeys

BAD_HINT = "api.oauth.end_session.invalid_id_token_hint.app_error"
BAD_REDIRECT = "api.oauth.end_session.invalid_redirect_uri.app_error"
NO_CLIENT = "api.oauth.end_session.client_required.app_error"


@dataclass
class EndSession:
    """`confirm`: ask the user before ending the session; then send the browser to `redirect_url` ("": show
    that they are signed out)."""
    confirm: bool
    redirect_url: str = ""
    client_name: str = ""


class Logout:
    def __init__(self, services: Services, keys: SigningKeys) -> None:
        self.services = services
        self.keys = keys

    def end_session(self, caller: Caller | None, id_token_hint: str = "", post_logout_redirect_uri: str = "",
                    state: str = "", client_id: str = "") -> EndSession:
        caller = caller or ANONYMOUS
        require_enabled(self.services.settings)
        hint = self.hint(id_token_hint) if id_token_hint else None
        if hint is not None:
            if client_id and client_id != hint["aud"]:
                raise app_error(BAD_HINT, 400, detailed_error="client_id is not the hint's audience")
            client_id = hint["aud"]
        app = None
        if client_id:
            with store_errors(TOKEN_READ_FAILED):
                app = self.services.store.get_app(client_id)
            if app is None and (hint is not None or post_logout_redirect_uri):
                raise app_error(BAD_HINT if hint is not None else NO_CLIENT, 400)
        redirect = ""
        if post_logout_redirect_uri:
            if app is None:
                raise app_error(NO_CLIENT, 400)
            if post_logout_redirect_uri not in app.post_logout_redirect_uris:
                raise app_error(BAD_REDIRECT, 400)
            redirect = merge_query(post_logout_redirect_uri, {"state": state}) if state else post_logout_redirect_uri
        confirm = bool(caller.user_id) and (hint is None or hint["sub"] != caller.user_id)
        return EndSession(confirm=confirm, redirect_url=redirect, client_name=app.name if app is not None else "")

    def hint(self, id_token: str) -> dict:
        """The claims of an ID token this provider signed and issued (an `id_token_hint`), or 400."""
        try:
            claims = jwt.decode(id_token, KeySet.import_key_set(self.keys.jwks()), algorithms=list(ALGORITHMS)).claims
        except (JoseError, ValueError, TypeError):
            raise app_error(BAD_HINT, 400) from None
        aud = claims.get("aud")
        if claims.get("iss") != self.services.settings.site_url or not isinstance(aud, str) \
                or not isinstance(claims.get("sub"), str):
            raise app_error(BAD_HINT, 400)
        return claims
