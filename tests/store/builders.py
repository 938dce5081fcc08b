"""Record builders for store tests: valid-looking rows with unique keys, overridable field by field."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from plugin.store.contract import Issue, Store
from plugin.store.records import (
    AccessTokenRecord,
    AppRecord,
    CodeRecord,
    ConsentRecord,
    GrantRecord,
    RefreshTokenRecord,
)

NOW = 1_700_000_000_000
HOUR_MS = 3_600_000
_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"  # Mattermost's NewId alphabet


def new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(26))


def new_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def app(**fields) -> AppRecord:
    values = dict(
        id=new_id(), creator_id=new_id(), create_at=NOW, update_at=NOW, name="Test app",
        description="an app", icon_url="https://example.com/icon.png", homepage="https://example.com",
        callback_urls=["https://example.com/cb", "http://localhost:3000/cb"], is_trusted=False,
        mattermost_app_id="", is_dynamically_registered=False, client_secret_hash=new_hash(),
    )
    values.update(fields)
    return AppRecord(**values)


def consent(user_id: str, client_id: str, **fields) -> ConsentRecord:
    values = dict(user_id=user_id, client_id=client_id, scope="user", create_at=NOW)
    values.update(fields)
    return ConsentRecord(**values)


def code(client_id: str, user_id: str, **fields) -> CodeRecord:
    values = dict(
        code_hash=new_hash(), client_id=client_id, user_id=user_id, redirect_uri="https://example.com/cb",
        state="xyz", scope="user", create_at=NOW, expires_in=600,
    )
    values.update(fields)
    return CodeRecord(**values)


def grant(client_id: str, user_id: str, **fields) -> GrantRecord:
    values = dict(
        id=new_id(), client_id=client_id, user_id=user_id, scope="user", audience="",
        redirect_uri="https://example.com/cb", create_at=NOW,
    )
    values.update(fields)
    return GrantRecord(**values)


def access(g: GrantRecord, **fields) -> AccessTokenRecord:
    values = dict(
        token_hash=new_hash(), grant_id=g.id, client_id=g.client_id, user_id=g.user_id, scope=g.scope,
        audience=g.audience, create_at=NOW, expires_at=NOW + HOUR_MS,
    )
    values.update(fields)
    return AccessTokenRecord(**values)


def refresh(g: GrantRecord, access_hash: str = "", **fields) -> RefreshTokenRecord:
    values = dict(
        token_hash=new_hash(), grant_id=g.id, client_id=g.client_id, user_id=g.user_id, scope=g.scope,
        audience=g.audience, create_at=NOW, expires_at=0, last_used_at=NOW, access_token_hash=access_hash,
    )
    values.update(fields)
    return RefreshTokenRecord(**values)


class Refused(Exception):
    """What an exchange refused in the provider raises inside `Store.redeem_code`."""


def redeem(store: Store, c: CodeRecord, now: int, tokens=None, **grant_fields) -> Issue | None:
    """Exchange the saved code `c` as the provider does. `tokens(grant)` gives (access, refresh); by default an
    access token and a refresh token. The Issue's result is the code row as `issue` saw it."""
    g = grant(c.client_id, c.user_id, code_hash=c.code_hash, **grant_fields)

    def issue(code_row: CodeRecord) -> Issue:
        if tokens is not None:
            a, r = tokens(g)
        else:
            a = access(g)
            r = refresh(g, a.token_hash)
        return Issue(g, a, r, code_row)

    return store.redeem_code(c.code_hash, c.client_id, now, g.id, issue)


def burn(store: Store, c: CodeRecord, now: int) -> None:
    """An exchange of `c` that the provider refuses: the code is spent, nothing issued."""
    def refuse(code_row: CodeRecord) -> Issue:
        raise Refused()

    try:
        store.redeem_code(c.code_hash, c.client_id, now, new_id(), refuse)
    except Refused:
        return
    raise AssertionError("the code could not be redeemed")


@dataclass
class Authorization:
    """Everything one completed code flow leaves in the store for one (user, app)."""
    user_id: str
    client_id: str
    code: CodeRecord
    grant: GrantRecord
    access: AccessTokenRecord
    refresh: RefreshTokenRecord
    pending_code: CodeRecord


def authorize(store: Store, client_id: str, user_id: str) -> Authorization:
    """Consent, a consumed code with its grant and tokens, and a second code still pending."""
    store.save_consent(consent(user_id, client_id))
    c = code(client_id, user_id)
    store.save_code(c)
    issued = redeem(store, c, NOW + 1)
    g, a, r = issued.grant, issued.access, issued.refresh
    pending = code(client_id, user_id)
    store.save_code(pending)
    return Authorization(user_id, client_id, c, g, a, r, pending)


def assert_intact(store: Store, auth: Authorization) -> None:
    """Every row of `auth` is still there."""
    assert store.get_consent(auth.user_id, auth.client_id) is not None
    assert store.get_code(auth.code.code_hash) is not None
    assert store.get_code(auth.pending_code.code_hash) is not None
    assert store.get_grant(auth.grant.id) is not None
    assert store.get_access_token(auth.access.token_hash) is not None
    assert store.get_refresh_token(auth.refresh.token_hash) is not None


def assert_gone(store: Store, auth: Authorization) -> None:
    """No row of `auth` is left."""
    assert store.get_consent(auth.user_id, auth.client_id) is None
    assert store.get_code(auth.code.code_hash) is None
    assert store.get_code(auth.pending_code.code_hash) is None
    assert store.get_grant(auth.grant.id) is None
    assert store.get_access_token(auth.access.token_hash) is None
    assert store.get_refresh_token(auth.refresh.token_hash) is None
