"""The app operations of API v4 (/api/v4/oauth/apps...), with Mattermost's checks in Mattermost's order:
session, URL parameter, manage_oauth, service switched on, the app exists, the caller owns it."""
from __future__ import annotations

import dataclasses

from plugin.store.contract import AlreadyExists, Store, StoreError, StoreUnavailable
from plugin.store.records import AppRecord

from ..audit import AuditEvent
from ..errors import app_error
from ..guards import (
    DEFAULT_PER_PAGE,
    EDIT_OTHER_USERS,
    MANAGE_OAUTH,
    MANAGE_SYSTEM,
    MANAGE_SYSTEM_WIDE_OAUTH,
    Caller,
    normalize_paging,
    require_enabled,
    require_id,
    require_owner,
    require_permission,
    require_session,
)
from ..ids import hash_secret, new_id, new_secret
from ..scopes import SCOPES, validate_allowed
from ..services import Services
from ..store_errors import log, store_errors, store_unavailable
from .model import App, AppRequest, validate_app


def find_app(store: Store, app_id: str) -> AppRecord:
    with store_errors("app.oauth.get_app.finding.app_error"):
        record = store.get_app(app_id)
    if record is None:
        raise app_error("app.oauth.get_app.find.app_error", 404, detailed_error=f"app_id={app_id}")
    return record


def save_new_app(store: Store, app: App, secret: str) -> None:
    """Insert the app; the store keeps the secret's hash, never the secret."""
    try:
        store.save_app(app.to_record(hash_secret(secret) if secret else ""))
    except AlreadyExists as exc:
        raise app_error("app.oauth.save_app.existing.app_error", 400) from exc
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    except StoreError as exc:
        log.error("store failure saving app: %s", exc)
        raise app_error("app.oauth.save_app.save.app_error", 500) from exc


def allowed_scopes(caller: Caller, requested: list[str], before: list[str] = ()) -> list[str]:
    """An app's allowed scopes as a registration sets them: registered scopes only (400), and an admin-only one the
    app did not have only from a system admin (403), as only a system admin can grant it."""
    names = validate_allowed(requested)
    if names is None:
        raise app_error("model.oauth.is_valid.allowed_scopes.app_error", 400,
                        detailed_error="allowed_scopes=" + " ".join(requested)[:200])
    for name in names:
        if SCOPES.get(name).admin_only and name not in before and not caller.can(MANAGE_SYSTEM):
            raise app_error("api.oauth.allowed_scopes.admin_only.app_error", 403, scope=name)
    return names


class AppService:
    def __init__(self, services: Services) -> None:
        self.services = services

    def _owned_app(self, caller: Caller | None, app_id: str) -> tuple[Caller, AppRecord]:
        """The check chain of get/delete/regenerate."""
        caller = require_session(caller)
        require_id(app_id, "app_id")
        require_permission(caller, MANAGE_OAUTH)
        require_enabled(self.services.settings)
        record = find_app(self.services.store, app_id)
        require_owner(caller, record.creator_id)
        return caller, record

    def create(self, caller: Caller | None, request: AppRequest | None) -> App:
        """The secret is generated here and returned in clear once; only its hash is stored."""
        caller = require_session(caller)
        if request is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="oauth_app")
        require_permission(caller, MANAGE_OAUTH)
        is_trusted = bool(request.is_trusted) if caller.can(MANAGE_SYSTEM) else False
        is_public = bool(request.is_public)
        secret = "" if is_public else new_secret()
        require_enabled(self.services.settings, "api.oauth.register_oauth_app.turn_off.app_error")
        now = self.services.now()
        app = App(id=new_id(), creator_id=caller.user_id, create_at=now, update_at=now, client_secret=secret,
                  name=request.name, description=request.description, icon_url=request.icon_url,
                  callback_urls=list(request.callback_urls or []), homepage=request.homepage,
                  is_trusted=is_trusted, is_dynamically_registered=False, is_public=is_public,
                  allowed_scopes=allowed_scopes(caller, list(request.allowed_scopes or [])),
                  post_logout_redirect_uris=list(request.post_logout_redirect_uris or []),
                  openid_disabled=bool(request.openid_disabled),
                  device_grant_allowed=bool(request.device_grant_allowed),
                  require_pushed_authorization_requests=bool(request.require_pushed_authorization_requests),
                  require_dpop=bool(request.require_dpop))
        error = validate_app(app)
        if error is not None:
            raise error
        save_new_app(self.services.store, app, secret)
        self.services.audit.record(AuditEvent.APP_CREATED, user_id=caller.user_id, client_id=app.id,
                                   remote_addr=caller.remote_addr, name=app.name, trusted=app.is_trusted,
                                   public=is_public)
        return app

    def get(self, caller: Caller | None, app_id: str) -> App:
        """The secret is not returned (Mattermost returns it; we only have its hash)."""
        _, record = self._owned_app(caller, app_id)
        return App.from_record(record)

    def list_apps(self, caller: Caller | None, page: int | None = 0, per_page: int | None = DEFAULT_PER_PAGE) -> list[App]:
        """All apps for manage_system_wide_oauth, otherwise the caller's own."""
        caller = require_session(caller)
        if not caller.can(MANAGE_OAUTH):
            raise app_error("api.command.admin_only.app_error", 403)
        require_enabled(self.services.settings)
        page, per_page = normalize_paging(page, per_page)
        creator = None if caller.can(MANAGE_SYSTEM_WIDE_OAUTH) else caller.user_id
        with store_errors("app.oauth.get_apps.find.app_error"):
            records = self.services.store.list_apps(page * per_page, per_page, creator_id=creator)
        return [App.from_record(record) for record in records]

    def update(self, caller: Caller | None, app_id: str, update: App | None, set_allowed_scopes: bool = False
               ) -> App:
        """Id, creator, create_at, secret and the registration flag keep their stored values; is_trusted changes
        only for manage_system; the allowed scopes only when `set_allowed_scopes` (a client that does not know
        the field must not lift a restriction by leaving it out). Existing tokens stay valid (Mattermost test
        MM-T649), but a pending code bound to a callback that was removed can no longer be exchanged."""
        caller = require_session(caller)
        require_id(app_id, "app_id")
        require_permission(caller, MANAGE_OAUTH)
        if update is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="oauth_app")
        if update.id != app_id:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="app_id")
        require_enabled(self.services.settings)

        def change(old: AppRecord) -> AppRecord:
            require_owner(caller, old.creator_id)
            app = App(id=old.id, creator_id=old.creator_id, create_at=old.create_at, update_at=0,
                      client_secret="", name=update.name, description=update.description, icon_url=update.icon_url,
                      callback_urls=list(update.callback_urls or []), homepage=update.homepage,
                      is_trusted=bool(update.is_trusted) if caller.can(MANAGE_SYSTEM) else old.is_trusted,
                      mattermost_app_id=update.mattermost_app_id,
                      is_dynamically_registered=old.is_dynamically_registered, is_public=old.client_secret_hash == "",
                      allowed_scopes=allowed_scopes(caller, list(update.allowed_scopes or []), old.allowed_scopes)
                      if set_allowed_scopes else list(old.allowed_scopes),
                      post_logout_redirect_uris=list(update.post_logout_redirect_uris or []),
                      openid_disabled=bool(update.openid_disabled),
                      device_grant_allowed=bool(update.device_grant_allowed),
                      require_pushed_authorization_requests=bool(update.require_pushed_authorization_requests),
                      require_dpop=bool(update.require_dpop))
            app.update_at = self._next_update_at(old)
            error = validate_app(app)
            if error is not None:
                raise error
            return app.to_record(old.client_secret_hash)

        record = self._edit(app_id, change)
        self.services.audit.record(AuditEvent.APP_UPDATED, user_id=caller.user_id, client_id=app_id,
                                   remote_addr=caller.remote_addr, trusted=record.is_trusted)
        return App.from_record(record)

    def delete(self, caller: Caller | None, app_id: str) -> None:
        """The app goes with every consent, code, grant and token of it."""
        caller, _ = self._owned_app(caller, app_id)
        with store_errors("app.oauth.delete_app.app_error"):
            self.services.store.delete_app(app_id)
        self.services.audit.record(AuditEvent.APP_DELETED, user_id=caller.user_id, client_id=app_id,
                                   remote_addr=caller.remote_addr)

    def regenerate_secret(self, caller: Caller | None, app_id: str) -> App:
        """A new secret, returned in clear once. Issued tokens stay valid; the next code exchange or refresh
        needs the new secret."""
        caller, _ = self._owned_app(caller, app_id)
        secret = new_secret()

        def change(old: AppRecord) -> AppRecord:
            if old.client_secret_hash == "":
                raise app_error("api.oauth.regenerate_secret.public_client.app_error", 400)
            return dataclasses.replace(old, client_secret_hash=hash_secret(secret),
                                       update_at=self._next_update_at(old))

        record = self._edit(app_id, change)
        self.services.audit.record(AuditEvent.APP_SECRET_REGENERATED, user_id=caller.user_id, client_id=app_id,
                                   remote_addr=caller.remote_addr)
        return App.from_record(record, client_secret=secret)

    def _next_update_at(self, old: AppRecord) -> int:
        """Now, and always later than the row it replaces: the conditional write compares update_at."""
        return max(self.services.now(), old.update_at + 1)

    def _edit(self, app_id: str, change) -> AppRecord:
        """Apply `change` to the app as it is in the database, with the row locked: an edit racing another (a
        regenerated secret, a removed callback) never writes the other's change back over."""
        with store_errors("app.oauth.update_app.updating.app_error"):
            record = self.services.store.edit_app(app_id, change)
        if record is None:
            raise app_error("app.oauth.get_app.find.app_error", 404, detailed_error=f"app_id={app_id}")
        return record

    def info(self, caller: Caller | None, app_id: str) -> App:
        """Public information for the consent page; any signed-in caller, OAuth tokens included."""
        require_session(caller)
        require_id(app_id, "app_id")
        require_enabled(self.services.settings)
        return App.from_record(find_app(self.services.store, app_id))

    def list_authorized(self, caller: Caller | None, user_id: str, page: int | None = 0,
                        per_page: int | None = DEFAULT_PER_PAGE) -> list[tuple[App, str]]:
        """Apps the user has consented to, each with the scope consented; `user_id` may be "me"."""
        caller = require_session(caller)
        if user_id == "me":
            user_id = caller.user_id
        require_id(user_id, "user_id")
        if user_id != caller.user_id:
            require_permission(caller, EDIT_OTHER_USERS)
        require_enabled(self.services.settings)
        page, per_page = normalize_paging(page, per_page)
        with store_errors("app.oauth.get_apps.find.app_error"):
            records = self.services.store.list_authorized_apps(user_id, page * per_page, per_page)
        return [(App.from_record(record), scope) for record, scope in records]
