"""Server-rendered pages: no third-party resources, CSRF-protected forms, and headers that forbid framing
(RFC 9700 section 4.16) and referrer leaks (section 4.2.4)."""
from __future__ import annotations

import datetime
import os
import re
import urllib.parse
from typing import Iterable

import jinja2
from aiohttp import web

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)



def ms_time(ms: int) -> str:
    """A Unix time in milliseconds as UTC, to the minute."""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


TEMPLATES.filters["ms_time"] = ms_time

_CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "form-action {form_action}; frame-ancestors 'none'; base-uri 'none'")
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.\-]*://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


def redirect_target_source(url: str) -> str:
    """The CSP source (origin) of a URL a form's answer may redirect to, or "" when it is none that can be named."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme or not parts.netloc or "@" in parts.netloc:
        return ""
    origin = f"{parts.scheme.lower()}://{parts.netloc}"
    return origin if _ORIGIN.match(origin) else ""


def csp(redirect_targets: Iterable[str] = ()) -> str:
    """The pages' Content-Security-Policy. Browsers apply form-action to every redirect that follows a form's
    submission too, so a form whose answer redirects to another site (the consent form to the app's redirect_uri,
    the log-in form through /oauth/authorize) names that site's origin."""
    sources = ["'self'"]
    for target in redirect_targets:
        source = redirect_target_source(target)
        if source and source not in sources:
            sources.append(source)
    return _CSP.format(form_action=" ".join(sources))


PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": csp(),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def render(template: str, status: int = 200, headers: dict | None = None, **context) -> web.Response:
    body = TEMPLATES.get_template(template).render(**context)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(PAGE_HEADERS)
    response.headers.update(headers or {})
    return response


def error_page(request: web.Request, status: int, message: str, headers: dict | None = None) -> web.Response:
    return render("error.html", status=status, headers=headers, status_code=status, message=message,
                  title="Error")


async def consent_page(request: web.Request, app, authorize_request, scopes=(), refused_scopes=(),
                       redirect_uri: str = "") -> web.Response:
    """`scopes`: what the user would grant, each with its sentence; `refused_scopes`: what only a system admin
    can grant (shown as not granted); `redirect_uri`: where the answer goes ("": the request's own)."""
    from . import auth

    session = await auth.optional_session(request)
    fields = {f.name: getattr(authorize_request, f.name) for f in authorize_request.DESCRIPTOR.fields}
    return render("consent.html", app=app, fields=fields, csrf=getattr(session, "csrf_token", ""),
                  scopes=list(scopes), refused_scopes=list(refused_scopes),
                  title=f"Authorize {app.name}",
                  headers={"Content-Security-Policy": csp([redirect_uri or authorize_request.redirect_uri])})


def form_post_page(action: str, fields) -> web.Response:
    """OAuth 2.0 Form Post Response Mode: an auto-submitting form that carries the authorization response to the
    client's redirect URI (the pages' headers, with that URI's origin the only other form-action)."""
    return render("form_post.html", title="Signing in", action=action, fields=dict(fields),
                  headers={"Content-Security-Policy": csp([action])})
