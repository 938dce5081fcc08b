"""Server-rendered pages: no third-party resources, CSRF-protected forms, and headers that forbid framing
(RFC 9700 section 4.16) and referrer leaks (section 4.2.4)."""
from __future__ import annotations

import os

import jinja2
from aiohttp import web

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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


async def consent_page(request: web.Request, app, authorize_request) -> web.Response:
    from . import auth

    session = await auth.optional_session(request)
    fields = {f.name: getattr(authorize_request, f.name) for f in authorize_request.DESCRIPTOR.fields}
    return render("consent.html", app=app, fields=fields, csrf=getattr(session, "csrf_token", ""),
                  title=f"Authorize {app.name}")
