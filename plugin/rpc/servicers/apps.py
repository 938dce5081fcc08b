"""oauthplugin.v1.AppsService: the OAuth apps, as messages to and from the domain's App."""
from __future__ import annotations

from oauthplugin.v1 import apps_pb2, apps_pb2_grpc, common_pb2
from plugin.oauth.apps import App, AppRequest
from plugin.oauth.scopes import SCOPES, parse

from .calls import AreaServicer, caller_of

_APP_FIELDS = [f.name for f in apps_pb2.OAuthApp.DESCRIPTOR.fields if f.name != "granted_scopes"]
_LISTS = ("callback_urls", "allowed_scopes", "post_logout_redirect_uris")


def scope_descriptions(names) -> list[common_pb2.ScopeDescription]:
    """Registered scopes with their consent sentences (a stored value nobody registers is left out)."""
    return [common_pb2.ScopeDescription(name=name, description=SCOPES.get(name).description,
                                        admin_only=SCOPES.get(name).admin_only)
            for name in names if name in SCOPES]


def app_message(app: App | None, granted_scope: str = "") -> apps_pb2.OAuthApp:
    if app is None:
        return apps_pb2.OAuthApp()
    return apps_pb2.OAuthApp(**{name: getattr(app, name) for name in _APP_FIELDS},
                             granted_scopes=scope_descriptions(parse(granted_scope)))


def app_from_message(message: apps_pb2.OAuthApp) -> App:
    return App(**{name: getattr(message, name) for name in _APP_FIELDS if name not in _LISTS},
               **{name: list(getattr(message, name)) for name in _LISTS})


class AppsServicer(AreaServicer, apps_pb2_grpc.AppsServiceServicer):
    async def CreateApp(self, request, context):
        body = AppRequest(name=request.name, description=request.description, icon_url=request.icon_url,
                          callback_urls=list(request.callback_urls), homepage=request.homepage,
                          is_trusted=request.is_trusted, is_public=request.is_public,
                          allowed_scopes=list(request.allowed_scopes),
                          post_logout_redirect_uris=list(request.post_logout_redirect_uris),
                          openid_disabled=request.openid_disabled,
                          device_grant_allowed=request.device_grant_allowed,
                          require_pushed_authorization_requests=request.require_pushed_authorization_requests,
                          require_dpop=request.require_dpop)
        return await self._app(request, lambda p, c: p.create_app(c, body))

    async def ListApps(self, request, context):
        return await self._apps(request, lambda p, c: p.list_apps(c, request.page, request.per_page))

    async def GetApp(self, request, context):
        return await self._app(request, lambda p, c: p.get_app(c, request.app_id))

    async def UpdateApp(self, request, context):
        # An absent `app` is a missing body (Mattermost: invalid_body_param oauth_app), not an empty app.
        update = app_from_message(request.app) if request.HasField("app") else None
        return await self._app(request, lambda p, c: p.update_app(c, request.app_id, update,
                                                                 request.set_allowed_scopes))

    async def DeleteApp(self, request, context):
        return await self.calls.status(request, lambda p, c: p.delete_app(c, request.app_id))

    async def RegenerateSecret(self, request, context):
        return await self._app(request, lambda p, c: p.regenerate_secret(c, request.app_id))

    async def GetAppInfo(self, request, context):
        return await self._app(request, lambda p, c: p.get_app_info(c, request.app_id))

    async def ListAuthorizedApps(self, request, context):
        def work(p):
            authorized = p.list_authorized_apps(caller_of(request.context), request.user_id, request.page,
                                                request.per_page)
            return apps_pb2.AppListResponse(apps=[app_message(app, scope) for app, scope in authorized])
        return await self.calls(apps_pb2.AppListResponse, work, request.context.request_id)

    async def _app(self, request, work):
        return await self.calls(apps_pb2.AppResponse, lambda p: apps_pb2.AppResponse(
            app=app_message(work(p, caller_of(request.context)))), request.context.request_id)

    async def _apps(self, request, work):
        return await self.calls(apps_pb2.AppListResponse, lambda p: apps_pb2.AppListResponse(
            apps=[app_message(a) for a in work(p, caller_of(request.context))]), request.context.request_id)
