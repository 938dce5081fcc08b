"""OpenID Connect Discovery 1.0 section 3 (`/.well-known/openid-configuration`): the RFC 8414 document of what is
registered and enabled (`AuthorizationServer.metadata`), with what OpenID adds. The issuer is the same: the site
URL byte for byte, the `iss` of every ID token and of every RFC 9207 authorization response. The OpenID
endpoints name themselves by `discovery_key` (not RFC 8414's `metadata_key`), so the OAuth document stays
Mattermost's."""
from __future__ import annotations

from ..urls import join_path
from .claims import OPENID, SCOPE_CLAIMS, claims_supported
from .keys import ALGORITHMS

PROMPT_VALUES = ["none", "login", "consent"]
RESPONSE_MODES = ["query", "fragment", "form_post"]


def openid_configuration(server) -> dict:
    """AppError 501 when the provider is off, 500 when the site URL is unusable (as the OAuth document)."""
    document = server.metadata()
    settings = server.services.settings
    preferred = settings.openid_signing_algorithm
    algorithms = [preferred, *(alg for alg in ALGORITHMS if alg != preferred)] if preferred in ALGORITHMS \
        else list(ALGORITHMS)
    for endpoint in server.enabled_endpoints():
        key = getattr(endpoint, "discovery_key", "")
        if key:
            document[key] = join_path(settings.site_url, endpoint.path)
    document.update({
        "response_types_supported": [rt.response_type for rt in server.enabled_response_types()],
        "scopes_supported": list(dict.fromkeys([OPENID, *SCOPE_CLAIMS, *document["scopes_supported"]])),
        "response_modes_supported": RESPONSE_MODES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
        "claims_supported": claims_supported(),
        "claim_types_supported": ["normal"],
        "prompt_values_supported": PROMPT_VALUES,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    })
    return document
