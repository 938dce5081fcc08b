"""Fixtures for the OAuth domain: a FakeClock, the real SqliteStore on a temporary file, a provider, callers."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from plugin.clock import FakeClock
from plugin.oauth import App, AppRequest, AuthorizeRequest, Caller, OAuthProvider, Settings, TokenRequest
from plugin.oauth.ids import new_id
from plugin.oauth.guards import (
    EDIT_OTHER_USERS,
    MANAGE_OAUTH,
    MANAGE_SYSTEM,
    MANAGE_SYSTEM_WIDE_OAUTH,
)
from plugin.oauth.rfc7636 import s256
from plugin.store.sqlite import SqliteStore

ADMIN_PERMISSIONS = frozenset({MANAGE_OAUTH, MANAGE_SYSTEM_WIDE_OAUTH, MANAGE_SYSTEM, EDIT_OTHER_USERS})
# Mattermost's tests give system_user manage_oauth to exercise the non-admin paths.
USER_PERMISSIONS = frozenset({MANAGE_OAUTH})

# RFC 7636 appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

CALLBACK = "https://client.example.com/callback"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path) -> Iterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "oauth.db"))
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(site_url="https://mm.example.com")


@pytest.fixture
def provider(store, clock, settings) -> Iterator[OAuthProvider]:
    p = OAuthProvider(store, clock, settings)
    yield p
    p.close()  # before the store closes: pending audit events are written


@pytest.fixture
def admin() -> Caller:
    return Caller(user_id=new_id(), session_id=new_id(), permissions=ADMIN_PERMISSIONS)


@pytest.fixture
def user() -> Caller:
    return Caller(user_id=new_id(), session_id=new_id(), permissions=USER_PERMISSIONS)


@pytest.fixture
def other_user() -> Caller:
    return Caller(user_id=new_id(), session_id=new_id(), permissions=USER_PERMISSIONS)


def app_request(**fields) -> AppRequest:
    values = dict(
        name="Test app",
        description="a test app",
        icon_url="https://client.example.com/icon.png",
        callback_urls=[CALLBACK, "https://client.example.com/other"],
        homepage="https://client.example.com",
        is_trusted=False,
        is_public=False,
    )
    values.update(fields)
    return AppRequest(**values)


def authorize_request(app: App, **fields) -> AuthorizeRequest:
    values = dict(
        response_type="code",
        client_id=app.id,
        redirect_uri=app.callback_urls[0],
        scope="",
        state="xyz",
    )
    if app.is_public:
        values.update(code_challenge=CHALLENGE, code_challenge_method="S256")
    values.update(fields)
    return AuthorizeRequest(**values)


@dataclass
class Flow:
    """Drives a provider through the authorization code flow the way the host would."""
    provider: OAuthProvider

    def code_for(self, caller: Caller, app: App, **fields) -> str:
        from plugin.oauth.urls import parse_query

        url = self.provider.decide_consent(caller, authorize_request(app, **fields), allow=True)
        query = url.partition("#")[0].partition("?")[2]
        values = parse_query(query)
        assert "code" in values, url
        return values["code"][0]

    def exchange(self, app: App, code: str, **fields):
        values = dict(
            grant_type="authorization_code",
            code=code,
            redirect_uri=app.callback_urls[0],
            client_id=app.id,
            client_secret=app.client_secret,
            code_verifier=VERIFIER if app.is_public else "",
        )
        values.update(fields)
        return self.provider.token(TokenRequest(**values))

    def refresh(self, app: App, refresh_token: str, **fields):
        values = dict(
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=app.id,
            client_secret=app.client_secret,
        )
        values.update(fields)
        return self.provider.token(TokenRequest(**values))


@pytest.fixture
def flow(provider) -> Flow:
    return Flow(provider)


@pytest.fixture
def confidential_app(provider, admin) -> App:
    return provider.create_app(admin, app_request())


@pytest.fixture
def public_app(provider, admin) -> App:
    return provider.create_app(admin, app_request(is_public=True))


assert s256(VERIFIER) == CHALLENGE


def app_error_of(fn, *args, **kwargs):
    """Call fn and return the AppError it raises (fails the test when it raises nothing)."""
    from plugin.oauth import AppError

    with pytest.raises(AppError) as info:
        fn(*args, **kwargs)
    return info.value


def expect_error(error_id: str, status: int, fn, *args, **kwargs):
    error = app_error_of(fn, *args, **kwargs)
    assert (error.id, error.status) == (error_id, status), repr(error)
    return error
