"""The pages over HTTP: log-in and sign-up (CSRF, cookies, no open redirect), the headers that forbid framing and
referrer leaks, who may open which page, CSRF on every form, and GETs that never change anything.

The browser tests (tests/browser/) drive the same pages in chromium; these check what a browser does not show."""
from __future__ import annotations

import base64
import hashlib
import html.parser
import secrets
import urllib.parse

import pytest

from server_stub.web.forms import safe_redirect
from .conftest import ADMIN_PASSWORD, USER_PASSWORD, Api

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CALLBACK = "https://app.example.com/callback"


class Inputs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


def inputs(body: bytes) -> dict[str, str]:
    parser = Inputs()
    parser.feed(body.decode())
    return parser.values


def post_form(api: Api, path: str, fields: dict, cookie: str = "", **kw):
    headers = {**FORM, **({"Cookie": cookie} if cookie else {})}
    return api.request("POST", path, body=urllib.parse.urlencode(fields), headers=headers, **kw)


class Browser:
    """A cookie jar over Api, as a browser keeps one."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.jar: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def _keep(self, reply):
        for name, morsel in reply.cookies().items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.jar.pop(name, None)
            else:
                self.jar[name] = morsel.value
        return reply

    def get(self, path: str):
        return self._keep(self.api.get(path, headers={"Cookie": self.cookie} if self.jar else {}))

    def post(self, path: str, fields: dict):
        return self._keep(post_form(self.api, path, fields, self.cookie))

    def csrf(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, page.body
        return inputs(page.body)["csrf"]

    def log_in(self, login_id: str, password: str, redirect_to: str = "/"):
        token = self.csrf("/login")
        return self.post("/login", {"csrf": token, "login_id": login_id, "password": password,
                                    "redirect_to": redirect_to})


@pytest.fixture
def admin_browser(api, admin) -> Browser:
    browser = Browser(api)
    assert browser.log_in(admin.username, ADMIN_PASSWORD).status == 303
    return browser


@pytest.fixture
def user_browser(api, new_user):
    def make() -> tuple[Browser, object]:
        user = new_user()
        browser = Browser(api)
        assert browser.log_in(user.username, USER_PASSWORD).status == 303
        return browser, user
    return make


# --- redirects -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com", "\\\\evil.example.com",
    "/\t/evil.example.com", "/\n/evil.example.com", "javascript:alert(1)", "evil.example.com", "", "http:/x",
    "/%0a/x " + "a", "/ok" + "x" * 9000,
])
def test_redirect_targets_other_than_local_paths_become_home(target):
    assert safe_redirect(target) == "/"


def test_local_redirect_targets_are_kept():
    assert safe_redirect("/oauth/authorize?client_id=a&state=%2Fx") == "/oauth/authorize?client_id=a&state=%2Fx"
    assert safe_redirect("/integrations/oauth2-apps") == "/integrations/oauth2-apps"
    assert safe_redirect("/caf\u00e9") == "/caf%C3%A9"


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com", "/\\evil.example.com"])
def test_login_never_redirects_off_site(api, admin, target):
    browser = Browser(api)
    reply = browser.log_in(admin.username, ADMIN_PASSWORD, redirect_to=target)
    assert reply.status == 303 and reply.headers["Location"] == "/"
    again = browser.get("/login?" + urllib.parse.urlencode({"redirect_to": target}))  # signed in: sent on
    assert again.status == 302 and again.headers["Location"] == "/"


def test_login_sets_the_cookies_of_the_api_login_and_303s_to_the_local_path(api, admin):
    browser = Browser(api)
    target = "/oauth/authorize?response_type=code&client_id=abc"
    reply = browser.log_in(admin.username, ADMIN_PASSWORD, redirect_to=target)
    assert reply.status == 303 and reply.headers["Location"] == target
    cookies = reply.cookies()
    api_login = api.login(admin.username, ADMIN_PASSWORD, headers={"X-Requested-With": "XMLHttpRequest"}).cookies()
    for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"):
        for attribute in ("httponly", "samesite", "path", "max-age", "secure"):
            assert cookies[name][attribute] == api_login[name][attribute], (name, attribute)
    assert cookies["MMUSERID"].value == admin.id
    me = api.get("/api/v4/users/me", headers={"Cookie": f"MMAUTHTOKEN={cookies['MMAUTHTOKEN'].value}"})
    assert me.status == 200 and me.json["id"] == admin.id


def test_wrong_password_shows_the_form_again_with_the_error(api, admin):
    browser = Browser(api)
    token = browser.csrf("/login")
    reply = browser.post("/login", {"csrf": token, "login_id": admin.username, "password": "wrong-password"})
    assert reply.status == 401 and "MMAUTHTOKEN" not in reply.cookies()
    assert b"Enter a valid email or username and/or password." in reply.body


# --- login CSRF ----------------------------------------------------------------------------------------------------

def test_login_form_without_its_double_submit_token_is_refused(api, admin):
    fields = {"login_id": admin.username, "password": ADMIN_PASSWORD, "redirect_to": "/"}
    browser = Browser(api)
    token = browser.csrf("/login")
    assert browser.jar["MMLOGINCSRF"] == token
    for cookie, field in (("", ""), ("", token), (f"MMLOGINCSRF={token}", ""),
                          (f"MMLOGINCSRF={token}", "x" * 32), (f"MMLOGINCSRF={'y' * 32}", token)):
        reply = post_form(api, "/login", {**fields, "csrf": field}, cookie)
        assert reply.status == 403, (cookie, field)
        assert "MMAUTHTOKEN" not in reply.cookies() and "Location" not in reply.headers


def test_login_csrf_cookie_is_httponly_and_strict(api):
    cookie = Browser(api).get("/login").cookies()["MMLOGINCSRF"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and len(cookie.value) >= 32


def test_first_account_signed_up_on_the_page_is_system_admin_and_signed_in(make_host):
    host = make_host("fresh").start()
    api = Api(host.url)
    browser = Browser(api)
    page = browser.get("/signup")
    assert page.status == 200 and b"first account of this server" in page.body
    fields = {"email": "first@example.com", "username": "first", "password": "Passw0rd!",
              "password_confirm": "Passw0rd!"}

    refused = browser.post("/signup", {**fields, "csrf": "forged-token-forged-token-forged!"})
    assert refused.status == 403 and "MMAUTHTOKEN" not in refused.cookies()
    assert b"first account of this server" in browser.get("/signup").body  # nobody was created

    created = browser.post("/signup", {**fields, "csrf": inputs(browser.get("/signup").body)["csrf"]})
    assert created.status == 303 and created.headers["Location"] == "/"
    me = api.get("/api/v4/users/me", headers={"Cookie": browser.cookie})
    assert me.status == 200 and me.json["username"] == "first"
    assert set(me.json["roles"].split()) == {"system_admin", "system_user"}

    stranger = Browser(api)
    assert stranger.get("/signup").status == 403  # the server is not open: only the first account signs up
    assert b'href="/signup"' not in stranger.get("/login").body


# --- headers -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/login?redirect_to=/x", "/integrations/oauth2-apps",
                                  "/integrations/oauth2-apps/add", "/account/security", "/admin/integrations",
                                  "/admin/plugins", "/logout"])
def test_pages_forbid_framing_and_referrers(api, admin_browser, path):
    reply = (Browser(api) if path.startswith("/login") else admin_browser).get(path)
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.headers["X-Frame-Options"] == "DENY"
    csp = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"
    assert b"<script>" not in reply.body  # scripts only from /static


def test_login_page_lets_its_form_end_at_the_apps_redirect_uri_only(api):
    path = "/oauth/authorize?" + urllib.parse.urlencode({"client_id": "a", "redirect_uri": CALLBACK + "?x=1"})
    reply = Browser(api).get("/login?" + urllib.parse.urlencode({"redirect_to": path}))
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert "form-action 'self' https://app.example.com;" in reply.headers["Content-Security-Policy"]
    plain = Browser(api).get("/login?redirect_to=/x")
    assert "form-action 'self';" in plain.headers["Content-Security-Policy"]


# --- who may open what -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/integrations/oauth2-apps", "/account/security", "/admin/integrations",
                                  "/admin/plugins", "/integrations/oauth2-apps/add"])
def test_pages_send_strangers_to_log_in_and_back(api, path):
    reply = api.get(path)
    assert reply.status == 302
    location = urllib.parse.urlsplit(reply.headers["Location"])
    assert location.path == "/login" and urllib.parse.parse_qs(location.query)["redirect_to"] == [path]


@pytest.mark.parametrize("path", ["/admin/integrations", "/admin/plugins"])
def test_system_console_pages_are_403_for_a_system_user(user_browser, path):
    browser, _ = user_browser()
    reply = browser.get(path)
    assert reply.status == 403 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"You do not have the appropriate permissions." in reply.body
    forbidden = browser.post(path if path != "/admin/plugins" else "/admin/plugins/oauth-provider/disable",
                             {"csrf": browser.jar["MMCSRF"], "EnableOAuthServiceProvider": "false"})
    assert forbidden.status == 403


def test_integrations_page_is_refused_to_a_system_user_while_restricted_to_admins(user_browser):
    browser, _ = user_browser()
    reply = browser.get("/integrations/oauth2-apps")
    assert reply.status == 403 and b"Integrations have been limited to admins only." in reply.body
    assert b'href="/integrations/oauth2-apps"' not in browser.get("/").body


def test_an_oauth_access_token_is_no_page_session(api, admin, new_user):
    app = api.post("/api/v4/oauth/apps", {"name": "Token App", "description": "d",
                                          "homepage": "https://t.example.com", "callback_urls": [CALLBACK]},
                   token=admin.token).json
    user = new_user()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK,
                                             "code_challenge": challenge, "code_challenge_method": "S256"},
                        token=user.token).json["redirect"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0]
    tokens = post_form(api, "/oauth/access_token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
        "client_secret": app["client_secret"], "code_verifier": verifier}).json
    assert api.get("/api/v4/users/me", token=tokens["access_token"]).status == 200
    reply = api.get("/account/security", token=tokens["access_token"])
    assert reply.status == 302 and reply.headers["Location"].startswith("/login?")


# --- CSRF on the signed-in forms -----------------------------------------------------------------------------------

def test_forms_without_the_session_csrf_token_change_nothing(api, admin, admin_browser):
    before_apps = api.get("/api/v4/oauth/apps", token=admin.token).json
    before_config = api.get("/api/v4/config", token=admin.token).json["ServiceSettings"]
    attempts = [
        ("/integrations/oauth2-apps/add", {"name": "Forged", "description": "d", "homepage": "https://x.example.com",
                                           "callback_urls": CALLBACK}),
        ("/admin/integrations", {"EnableOAuthServiceProvider": "false"}),
        ("/admin/plugins/oauth-provider/settings", {"setting.enableimplicitgrant": "true"}),
        ("/admin/plugins/oauth-provider/disable", {}),
        ("/account/security/deauthorize", {"client_id": "a" * 26}),
        ("/logout", {}),
    ]
    for path, fields in attempts:
        for csrf in (None, "", "wrong"):
            sent = dict(fields) if csrf is None else {**fields, "csrf": csrf}
            reply = admin_browser.post(path, sent)
            assert reply.status == 403, (path, csrf, reply.body)
            assert b"The form has expired" in reply.body
    assert api.get("/api/v4/oauth/apps", token=admin.token).json == before_apps
    assert api.get("/api/v4/config", token=admin.token).json["ServiceSettings"] == before_config
    assert admin_browser.get("/account/security").status == 200  # still signed in


def test_cross_site_form_posts_with_the_cookie_alone_are_refused(api, admin_browser):
    """A form another site submits carries the cookies but cannot know the CSRF token."""
    reply = post_form(api, "/integrations/oauth2-apps/add", {"name": "X", "callback_urls": CALLBACK},
                      cookie=admin_browser.cookie)
    assert reply.status == 403


# --- GET never changes anything ------------------------------------------------------------------------------------

def test_gets_never_change_state(api, admin, admin_browser, host):
    created = api.post("/api/v4/oauth/apps", {"name": "Kept", "description": "d", "homepage": "https://k.example.com",
                                              "callback_urls": [CALLBACK]}, token=admin.token).json
    app_id = created["id"]
    for path in (f"/integrations/oauth2-apps/{app_id}/delete", f"/integrations/oauth2-apps/{app_id}/edit",
                 "/logout", "/admin/integrations?EnableOAuthServiceProvider=false", "/admin/plugins",
                 "/account/security?client_id=" + app_id):
        assert admin_browser.get(path).status == 200, path
    for path in (f"/integrations/oauth2-apps/{app_id}/regenerate", "/admin/plugins/oauth-provider/disable",
                 "/admin/plugins/oauth-provider/settings", "/account/security/deauthorize"):
        assert admin_browser.get(path).status in (404, 405), path
    assert api.get(f"/api/v4/oauth/apps/{app_id}", token=admin.token).status == 200
    assert admin_browser.get("/account/security").status == 200  # GET /logout did not log out
    assert host.status()["state"] == 2
    assert api.get("/api/v4/config", token=admin.token).json["ServiceSettings"]["EnableOAuthServiceProvider"] is True


def test_logout_posts_revoke_the_session(api, user_browser):
    browser, _ = user_browser()
    session_cookie = browser.cookie
    reply = browser.post("/logout", {"csrf": browser.jar["MMCSRF"]})
    assert reply.status == 303 and reply.headers["Location"] == "/login"
    assert reply.cookies()["MMAUTHTOKEN"]["max-age"] == "0"
    assert api.get("/api/v4/users/me", headers={"Cookie": session_cookie}).status == 401


# --- Integrations > OAuth 2.0 Applications -------------------------------------------------------------------------

def test_app_lifecycle_on_the_integrations_pages(api, admin, admin_browser):
    csrf = admin_browser.csrf("/integrations/oauth2-apps/add")
    fields = {"csrf": csrf, "is_trusted": "false", "name": "Paged App", "description": "Made on the page",
              "homepage": "https://paged.example.com", "icon_url": "", "callback_urls": "ftp://nope"}
    invalid = admin_browser.post("/integrations/oauth2-apps/add", fields)
    assert invalid.status == 400
    assert b"Callback URL must be a valid URL and start with http:// or https://." in invalid.body
    assert inputs(invalid.body)["name"] == "Paged App"  # the form keeps what was typed

    fields["callback_urls"] = f"{CALLBACK}\n\n  https://paged.example.com/second  \n"
    created = admin_browser.post("/integrations/oauth2-apps/add", {**fields, "require_dpop": "true"})
    assert created.status == 200 and b"Setup Successful" in created.body
    body = created.body.decode()
    client_id = body.split('id="client-id">')[1].split("<")[0]
    secret = body.split('id="client-secret">')[1].split("<")[0]
    assert '<script src="/static/copy.js"></script>' in body
    app = api.get(f"/api/v4/oauth/apps/{client_id}", token=admin.token).json
    assert app["callback_urls"] == [CALLBACK, "https://paged.example.com/second"] and app["is_trusted"] is False
    assert app["require_dpop"] is True

    listing = admin_browser.get("/integrations/oauth2-apps").body.decode()
    assert client_id in listing and secret not in listing

    edit_page = admin_browser.get(f"/integrations/oauth2-apps/{client_id}/edit").body
    assert b'name="require_dpop" value="true" id="require_dpop" checked' in edit_page
    edit_form = inputs(edit_page)
    assert edit_form.pop("require_dpop") == "true"  # untick it
    edited = admin_browser.post(f"/integrations/oauth2-apps/{client_id}/edit", {
        **edit_form, "name": "Renamed App", "is_trusted": "true", "callback_urls": CALLBACK})
    assert edited.status == 303 and edited.headers["Location"] == "/integrations/oauth2-apps"
    app = api.get(f"/api/v4/oauth/apps/{client_id}", token=admin.token).json
    assert app["name"] == "Renamed App" and app["is_trusted"] is True and app["callback_urls"] == [CALLBACK]
    assert app["require_dpop"] is False  # an unticked box is not sent

    regenerated = admin_browser.post(f"/integrations/oauth2-apps/{client_id}/regenerate", {"csrf": csrf})
    assert regenerated.status == 200 and b"Client Secret Regenerated" in regenerated.body
    assert secret.encode() not in regenerated.body

    confirm = admin_browser.get(f"/integrations/oauth2-apps/{client_id}/delete")
    assert b"Renamed App" in confirm.body and b'id="confirm-delete"' in confirm.body
    deleted = admin_browser.post(f"/integrations/oauth2-apps/{client_id}/delete", {"csrf": csrf})
    assert deleted.status == 303
    assert api.get(f"/api/v4/oauth/apps/{client_id}", token=admin.token).status == 404


def test_non_admins_cannot_make_an_app_trusted_from_the_page(api, admin, admin_browser, user_browser):
    try:
        _save_integration_settings(admin_browser, EnableOnlyAdminIntegrations="false")
        browser, user = user_browser()
        add = browser.get("/integrations/oauth2-apps/add")
        assert add.status == 200 and b"is_trusted" not in add.body
        created = browser.post("/integrations/oauth2-apps/add", {
            "csrf": inputs(add.body)["csrf"], "is_trusted": "true", "name": "Mine", "description": "d",
            "homepage": "https://mine.example.com", "callback_urls": CALLBACK})
        assert created.status == 200
        client_id = created.body.decode().split('id="client-id">')[1].split("<")[0]
        assert api.get(f"/api/v4/oauth/apps/{client_id}", token=admin.token).json["is_trusted"] is False
    finally:
        _save_integration_settings(admin_browser, EnableOnlyAdminIntegrations="true")


def test_unknown_or_foreign_apps_are_error_pages(admin_browser, user_browser):
    reply = admin_browser.get("/integrations/oauth2-apps/" + "z" * 26 + "/edit")
    assert reply.status == 404 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Unable to find the requested app." in reply.body


# --- Account Settings > Security -----------------------------------------------------------------------------------

def test_deauthorize_on_the_security_page_forgets_the_consent(api, admin, user_browser):
    app = api.post("/api/v4/oauth/apps", {"name": "Consented", "description": "d",
                                          "homepage": "https://c.example.com", "callback_urls": [CALLBACK]},
                   token=admin.token).json
    browser, user = user_browser()
    allowed = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK,
                                            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                                            "code_challenge_method": "S256"}, token=user.token)
    assert allowed.status == 200
    page = browser.get("/account/security")
    assert page.status == 200 and b"Consented" in page.body and app["id"].encode() in page.body
    reply = browser.post("/account/security/deauthorize", {"csrf": inputs(page.body)["csrf"], "client_id": app["id"]})
    assert reply.status == 303 and reply.headers["Location"] == "/account/security"
    assert b'id="no-authorized-apps"' in browser.get("/account/security").body


# --- System Console --------------------------------------------------------------------------------------------

def _save_integration_settings(browser: Browser, **values):
    page = browser.get("/admin/integrations")
    assert page.status == 200
    fields = {k: v for k, v in inputs(page.body).items() if k == "csrf"}
    reply = browser.post("/admin/integrations", {**fields, **values})
    assert reply.status == 303 and reply.headers["Location"] == "/admin/integrations?saved=1", reply.body
    return reply


def test_integration_management_saves_through_the_config_store(api, admin, admin_browser, user_browser):
    browser, user = user_browser()
    assert browser.get("/integrations/oauth2-apps").status == 403
    try:
        _save_integration_settings(admin_browser, EnableOnlyAdminIntegrations="false",
                                   EnablePostUsernameOverride="true",
                                   DCRRedirectURIAllowlist="https://*.example.com/cb\n\nhttps://x.example.org/**\n")
        service = api.get("/api/v4/config", token=admin.token).json["ServiceSettings"]
        assert service["EnableOnlyAdminIntegrations"] is False
        assert service["EnablePostUsernameOverride"] is True
        assert service["DCRRedirectURIAllowlist"] == ["https://*.example.com/cb", "https://x.example.org/**"]
        assert browser.get("/integrations/oauth2-apps").status == 200  # system_user now has manage_oauth
        page = admin_browser.get("/admin/integrations?saved=1").body
        assert b'id="saved"' in page and b"https://x.example.org/**" in page
    finally:
        _save_integration_settings(admin_browser, EnableOnlyAdminIntegrations="true",
                                   EnablePostUsernameOverride="false", DCRRedirectURIAllowlist="")
    assert browser.get("/integrations/oauth2-apps").status == 403


def test_integration_management_refuses_values_that_are_not_true_or_false(admin_browser):
    csrf = admin_browser.csrf("/admin/integrations")
    reply = admin_browser.post("/admin/integrations", {"csrf": csrf, "EnableOAuthServiceProvider": "maybe"})
    assert reply.status == 400


def test_plugins_page_shows_the_state_and_the_settings_from_the_manifest(admin_browser):
    page = admin_browser.get("/admin/plugins").body.decode()
    assert 'data-state="2"' in page and "Running (2)" in page
    for text in ("Database driver", 'name="setting.enableimplicitgrant"', "SQLite (embedded)",
                 "<code>response_type=token</code>"):
        assert text in page, text
    # The database settings are shown, never a field of the form (config.json or the command line only).
    assert 'name="setting.drivername"' not in page and 'name="setting.datasource"' not in page
    assert page.count('class="help locked-note"') == 2


def test_plugin_settings_are_saved_into_plugin_settings_plugins(api, admin, admin_browser):
    csrf = admin_browser.csrf("/admin/plugins")
    # A dropdown always posts one of its options, and each checkbox its hidden "false" at least.
    base = {"csrf": csrf, "setting.openidsigningalgorithm": "RS256", "setting.enabledevicegrant": "false",
            "setting.dpoprequirenonce": "false", "setting.requirepushedauthorizationrequests": "false"}
    refused = admin_browser.post("/admin/plugins/oauth-provider/settings",
                                 {**base, "setting.refreshtokengraceperiodseconds": "soon",
                                  "setting.enableimplicitgrant": "true"})
    assert refused.status == 400 and b"must be a whole number." in refused.body
    try:
        # A forged form naming the database settings changes everything else, and not them.
        saved = admin_browser.post("/admin/plugins/oauth-provider/settings",
                                   {**base, "setting.enableimplicitgrant": "true", "setting.drivername": "postgres",
                                    "setting.datasource": "postgres://attacker@evil.example/db"})
        assert saved.status == 303 and saved.headers["Location"] == "/admin/plugins?saved=oauth-provider"
        stored = api.get("/api/v4/config", token=admin.token).json["PluginSettings"]["Plugins"]["oauth-provider"]
        assert stored["enableimplicitgrant"] is True
        assert stored.get("drivername", "sqlite") == "sqlite" and stored.get("datasource", "") == ""
        page = admin_browser.get("/admin/plugins?saved=oauth-provider").body.decode()
        assert 'name="setting.enableimplicitgrant" value="true" checked' in page
    finally:
        admin_browser.post("/admin/plugins/oauth-provider/settings", {**base, "setting.enableimplicitgrant": "false"})


def test_plugins_can_be_disabled_and_enabled_from_the_page(admin_browser, host):
    csrf = admin_browser.csrf("/admin/plugins")
    try:
        reply = admin_browser.post("/admin/plugins/oauth-provider/disable", {"csrf": csrf})
        assert reply.status == 303 and reply.headers["Location"] == "/admin/plugins"
        host.wait_state(0)
        page = admin_browser.get("/admin/plugins").body
        assert b"Not running (0)" in page and b'/admin/plugins/oauth-provider/enable' in page
        assert admin_browser.get("/integrations/oauth2-apps").status == 501
    finally:
        admin_browser.post("/admin/plugins/oauth-provider/enable", {"csrf": csrf})
        host.wait_state(2)
    missing = admin_browser.post("/admin/plugins/no-such-plugin/enable", {"csrf": csrf})
    assert missing.status == 404


def test_pages_are_not_served_on_the_local_mode_socket(host, admin):
    status, _ = host.local("GET", "/api/v4/plugins/statuses")
    assert status == 200
    answer = host.local("GET", "/admin/plugins")
    assert answer is not None and answer[0] == 404
