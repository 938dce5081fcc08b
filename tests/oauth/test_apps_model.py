"""OAuthApp.IsValid (model.oauth.is_valid.*) and client authentication (ValidateForGrantType)."""
from __future__ import annotations

import pytest

from plugin.oauth.apps import App, validate_app
from plugin.oauth.client_auth import authenticate_for_grant
from plugin.oauth.errors import AppError
from plugin.oauth.grants import AuthorizationCodeGrant, RefreshTokenGrant
from plugin.oauth.rfc6749 import TokenRequest
from plugin.oauth.ids import hash_secret, new_id, new_secret
from plugin.store.records import AppRecord


def valid_app(**fields) -> App:
    values = dict(
        id=new_id(),
        creator_id=new_id(),
        create_at=1,
        update_at=1,
        client_secret=new_secret(),
        name="App",
        callback_urls=["https://example.com/cb"],
        homepage="https://example.com",
    )
    values.update(fields)
    return App(**values)


def error_id(app: App) -> str | None:
    error = validate_app(app)
    return error.id if error else None


def test_required_fields_one_at_a_time():
    """Port of TestOAuthAppIsValid/RequiredFields: the app stays invalid until the homepage is set."""
    app = App()
    assert error_id(app) == "model.oauth.is_valid.app_id.app_error"
    app.id = new_id()
    assert error_id(app) == "model.oauth.is_valid.create_at.app_error"
    app.create_at = 1
    assert error_id(app) == "model.oauth.is_valid.update_at.app_error"
    app.update_at = 1
    assert error_id(app) == "model.oauth.is_valid.creator_id.app_error"
    app.creator_id = new_id()
    app.client_secret = new_id()
    assert error_id(app) == "model.oauth.is_valid.name.app_error"
    app.name = "TestOAuthApp"
    assert error_id(app) == "model.oauth.is_valid.callback.app_error"
    app.callback_urls = ["https://nowhere.com"]
    app.mattermost_app_id = "Some app"
    assert error_id(app) == "model.oauth.is_valid.homepage.app_error"
    app.homepage = "https://nowhere.com"
    assert error_id(app) is None
    app.icon_url = "https://nowhere.com/icon_image.png"
    assert error_id(app) is None


def test_every_error_is_400_with_mattermost_message():
    error = validate_app(valid_app(homepage="nowhere"))
    assert error.status == 400
    assert error.message == "Homepage must be a valid URL and start with http:// or https://."


def test_public_app_without_secret_is_valid():
    """Port of TestOAuthAppIsValid/PublicClient and TestOAuthAppPreSave/NoSecretGeneration."""
    app = valid_app(client_secret="", is_public=True)
    assert validate_app(app) is None
    assert app.token_endpoint_auth_method == "none"


def test_confidential_app_uses_client_secret_post():
    """Port of TestOAuthAppIsValid/ConfidentialClient."""
    app = valid_app()
    assert validate_app(app) is None
    assert app.token_endpoint_auth_method == "client_secret_post"


@pytest.mark.parametrize(
    "fields, expected",
    [
        (dict(client_secret="s" * 129), "client_secret"),
        (dict(name=""), "name"),
        (dict(name="n" * 65), "name"),
        (dict(name="é" * 33), "name"),  # 66 bytes: the name limit counts bytes
        (dict(callback_urls=[]), "callback"),
        (dict(callback_urls=["nowhere"]), "callback"),
        (dict(callback_urls=["https://example.com/cb", "ftp://example.com"]), "callback"),
        (dict(homepage=""), "homepage"),
        (dict(homepage="https://example.com/" + "h" * 237), "homepage"),  # 257 bytes
        (dict(description="d" * 513), "description"),
        (dict(icon_url="icon"), "icon_url"),
        (dict(icon_url="https://example.com/" + "i" * 493), "icon_url"),  # 513 bytes
        (dict(mattermost_app_id="m" * 33), "mattermost_app_id"),
    ],
)
def test_invalid_field_is_reported(fields, expected):
    assert error_id(valid_app(**fields)) == f"model.oauth.is_valid.{expected}.app_error"


@pytest.mark.parametrize(
    "fields",
    [
        dict(client_secret="s" * 128),
        dict(name="n" * 64),
        dict(description="é" * 512),  # the description limit counts characters
        dict(homepage="https://example.com/" + "h" * 236),  # 256 bytes
        dict(icon_url=""),
        dict(mattermost_app_id="m" * 32),
    ],
)
def test_values_at_the_limits_are_valid(fields):
    assert validate_app(valid_app(**fields)) is None


def test_first_failure_in_mattermost_order_wins():
    app = valid_app(name="", homepage="", description="d" * 600)
    assert error_id(app) == "model.oauth.is_valid.name.app_error"


def test_callback_length_is_measured_on_go_slice_formatting():
    """The 1024 limit applies to "[a b ...]" (Go's %s of a slice), not to the JSON the database stores."""
    url = "https://example.com/" + "c" * 490  # 510 bytes
    two = [url, url + "x"]  # "[" + 510 + " " + 511 + "]" = 1024 bytes, the limit
    assert validate_app(valid_app(callback_urls=two)) is None
    assert error_id(valid_app(callback_urls=[url + "x", url + "x"])) == "model.oauth.is_valid.callback.app_error"


def test_dynamically_registered_app_needs_no_creator_or_homepage():
    app = valid_app(creator_id="", homepage="", is_dynamically_registered=True)
    assert validate_app(app) is None


def test_custom_scheme_callback_only_for_dynamically_registered_apps():
    """Port of TestNewOAuthAppFromClientRegistration/CustomSchemeRedirectURIPassesOAuthAppValidation."""
    callbacks = ["cursor://anysphere.cursor-mcp/oauth/callback"]
    assert validate_app(valid_app(callback_urls=callbacks, is_dynamically_registered=True)) is None
    assert error_id(valid_app(callback_urls=callbacks)) == "model.oauth.is_valid.callback.app_error"


def test_dangerous_scheme_callback_is_refused_even_for_registered_apps():
    """Port of TestNewOAuthAppFromClientRegistration/DangerousSchemeRedirectURIRejectedByOAuthAppValidation."""
    app = valid_app(callback_urls=["javascript://evil.example.com/steal"], creator_id="",
                    is_dynamically_registered=True)
    assert error_id(app) == "model.oauth.is_valid.callback.app_error"


def test_redirect_url_must_equal_a_registered_callback_exactly():
    app = valid_app(callback_urls=["https://example.com/cb"])
    assert app.is_valid_redirect_url("https://example.com/cb")
    for other in ("https://example.com/cb/", "https://example.com/cb?x=1", "https://EXAMPLE.com/cb",
                  "https://example.com/c"):
        assert not app.is_valid_redirect_url(other)


def test_to_json_uses_mattermost_field_names_and_omits_false_registration_flag():
    body = valid_app(client_secret="").to_json()
    assert set(body) == {
        "id", "creator_id", "create_at", "update_at", "client_secret", "name", "description", "icon_url",
        "callback_urls", "homepage", "is_trusted", "mattermost_app_id", "is_public", "allowed_scopes",
        "post_logout_redirect_uris", "openid_disabled",  # OpenID Connect's, beside Mattermost's
        "device_grant_allowed",  # RFC 8628's
        "require_pushed_authorization_requests",  # RFC 9126
        "require_dpop",  # RFC 9449
    }
    assert valid_app(is_dynamically_registered=True).to_json()["is_dynamically_registered"] is True


# --- ValidateForGrantType ------------------------------------------------------------------------------------

def record(secret: str = "") -> AppRecord:
    return AppRecord(id=new_id(), creator_id=new_id(), create_at=1, update_at=1, name="App",
                     client_secret_hash=hash_secret(secret) if secret else "")


GRANTS = {grant.grant_type: grant for grant in (AuthorizationCodeGrant, RefreshTokenGrant)}


def authenticate_client(rec, grant_type, secret, verifier):
    """Mattermost's ValidateForGrantType as the token endpoint runs it: the client's credentials against what
    the grant accepts, then the grant's rules for that client."""
    grant = GRANTS[grant_type]
    authenticate_for_grant(rec, secret, grant.auth_methods, grant.public_refused_id)
    grant(None).check_client(rec, TokenRequest(grant_type=grant_type, code_verifier=verifier))


def auth_error(rec, grant, secret="", verifier=""):
    with pytest.raises(AppError) as info:
        authenticate_client(rec, grant, secret, verifier)
    return info.value


def test_public_client_must_not_send_a_secret():
    error = auth_error(record(), "authorization_code", secret="x", verifier="v")
    assert (error.id, error.status) == ("model.oauth.validate_grant.public_client_secret.app_error", 400)


def test_public_client_cannot_use_refresh_grant():
    error = auth_error(record(), "refresh_token")
    assert (error.id, error.status) == ("model.oauth.validate_grant.public_client_refresh_token.app_error", 400)


def test_public_client_needs_a_verifier_for_the_code_grant():
    error = auth_error(record(), "authorization_code")
    assert (error.id, error.status) == ("model.oauth.validate_grant.pkce_required.app_error", 400)
    authenticate_client(record(), "authorization_code", "", "v")  # a verifier is enough here


@pytest.mark.parametrize("presented", ["", "wrong", "s3cret "])
def test_confidential_client_with_wrong_secret_gets_401_invalid_client(presented):
    error = auth_error(record("s3cret"), "authorization_code", secret=presented)
    assert (error.id, error.status, error.oauth_error) == (
        "model.oauth.validate_grant.credentials.app_error", 401, "invalid_client"
    )


def test_confidential_client_with_its_secret_passes():
    authenticate_client(record("s3cret"), "refresh_token", "s3cret", "")
