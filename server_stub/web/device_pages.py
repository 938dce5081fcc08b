"""RFC 8628's verification page (section 3.3): where a user enters the code a device shows, and allows or denies it.

| Route | What |
|---|---|
| GET `/oauth/device?user_code=BDWD-HQPK` | sign in if needed (and back), the form, code prefilled; 404 while it is off |
| POST `/oauth/device` | the code entered: the app, its icon and what it asks for in plain words, Allow or Deny |
| POST `/oauth/device/decision` | Allow or Deny: the device gets its tokens (or access_denied) at its next poll |

Like the consent page: a signed-in host session (never an OAuth token), the session's CSRF token in every form,
the pages' framing and referrer headers. The plugin decides (DeviceService's LookupUserCode and DecideDevice): it
rate limits codes per address and per session and answers one message for any wrong code. A GET shows the form
and changes nothing, so a link (verification_uri_complete) can never approve a device by itself.
"""
from __future__ import annotations

import json

from aiohttp import web

from oauthplugin.v1 import device_pb2, discovery_pb2

from ..gateway import RpcFailed
from . import forms, pages
from .forms import PageError, page
from .integrations_pages import call

VERIFICATION_PATH = "/oauth/device"
USER_CODE_MAX = 64  # what a person might type: eight letters, a dash, spaces


def _entry_page(request: web.Request, session, user_code: str = "", error: str = "", status: int = 200):
    return pages.render("device.html", status=status, title="Connect a device", csrf=session.csrf_token,
                        user_code=user_code, error=error, **forms.nav_context(request, session))


async def _answered(request: web.Request, session, user_code: str, rpc: str, message):
    """The RPC's answer, or the entry form again with the plugin's message for a wrong code or too many codes (any
    other refusal is an error page)."""
    try:
        return await call(request, session, rpc, message), None
    except RpcFailed as failed:
        if failed.error.status_code not in (400, 429):
            raise
        headers = {"Retry-After": str(failed.error.retry_after_seconds)} if failed.error.retry_after_seconds else {}
        response = _entry_page(request, session, user_code, failed.error.message, failed.error.status_code)
        response.headers.update(headers)
        return None, response


@page
async def entry_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    # The form only while the grant is on: the metadata lists its endpoint exactly then.
    metadata = await call(request, session, "GetMetadata", discovery_pb2.MetadataRequest())
    if "device_authorization_endpoint" not in json.loads(metadata.metadata_json or b"{}"):
        raise PageError(404, "Device sign-in is turned off on this server.")
    return _entry_page(request, session, request.query.get("user_code", "")[:USER_CODE_MAX])


@page
async def entry_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    user_code = forms.field(form, "user_code", USER_CODE_MAX)
    answer, refused = await _answered(request, session, user_code, "LookupUserCode",
                                      device_pb2.UserCodeRequest(user_code=user_code))
    if refused is not None:
        return refused
    return pages.render("device_confirm.html", title=f"Connect {answer.app.name}", app=answer.app,
                        user_code=answer.user_code, scopes=list(answer.scopes),
                        refused_scopes=list(answer.refused_scopes), csrf=session.csrf_token,
                        **forms.nav_context(request, session))


@page
async def decision_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    user_code = forms.field(form, "user_code", USER_CODE_MAX)
    decision = forms.field(form, "decision", 16)
    if decision not in ("allow", "deny"):
        return _entry_page(request, session, user_code, "Please choose Allow or Deny.", 400)
    answer, refused = await _answered(request, session, user_code, "DecideDevice",
                                      device_pb2.DeviceDecisionRequest(user_code=user_code, allow=decision == "allow"))
    if refused is not None:
        return refused
    return pages.render("device_done.html", title="Device connected" if answer.approved else "Device not connected",
                        app=answer.app, approved=answer.approved, **forms.nav_context(request, session))


def add_routes(app: web.Application) -> None:
    app.router.add_get(VERIFICATION_PATH, entry_page)
    app.router.add_post(VERIFICATION_PATH, entry_submit)
    app.router.add_post(VERIFICATION_PATH + "/decision", decision_submit)
