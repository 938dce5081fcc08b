"""Hostile HTTP input on every route of the host (read from its router, so a new route is fuzzed without being listed):
random and malformed JSON and form bodies, wrong types, huge strings, invalid UTF-8, duplicate parameters, odd
paths, queries and headers, sent by strangers, users, OAuth tokens, cookies and admins. Never a 5xx, never a stack
trace in a body; afterwards the host and its plugin (the same process) still serve a whole OAuth flow.

One host serves the whole module. A few accounts are fuzzed with and repaired between examples when an example
took them away (logged out, deactivated, demoted); the accounts that check the outcome are never handed to the
fuzzer. An admin never fuzzes the routes that replace the server's configuration (GLOBAL_CONFIG_ROUTES: a valid
`PUT /api/v4/config {}` resets it, and with it the plugin's enablement), which other identities still fuzz."""
from __future__ import annotations

import dataclasses
import json
import os
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import HostProcess, free_port
from tests.dpop import DPoPKey
from tests.faults.flow import NO_RATE_LIMITS, Account, Client, OAuthHttp, configure_plugin
from tests.faults.routes import fill, host_routes, numeric_parameters

ROUTES = host_routes()
NUMERIC = numeric_parameters()  # the integer fields the routes fill from the query: page, per_page, ...
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))  # more for a longer hunt: FUZZ_EXAMPLES=5000 pytest ...
GLOBAL_CONFIG_ROUTES = {("PUT", "/api/v4/config"), ("PUT", "/api/v4/config/patch"), ("POST", "/admin/integrations")}
LOGIN_CSRF = "f" * 32  # the page forms' double-submit cookie value the fuzzer presents
STACK_TRACE_MARKS = (b"Traceback", b'File "')
REPLY_WITHIN = 10.0  # seconds: a request the host holds longer than this hangs
FIELDS = [
    # OAuth forms and the consent API
    "grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token", "token",
    "token_type_hint", "response_type", "state", "scope", "code_challenge", "code_challenge_method", "resource",
    "decision", "csrf", "device_code", "user_code",
    # apps, users, roles, pages
    "id", "name", "description", "homepage", "icon_url", "callback_urls", "is_trusted", "is_public",
    "mattermost_app_id", "device_grant_allowed", "redirect_uris", "client_name", "token_endpoint_auth_method", "grant_types",
    "email", "username", "password", "login_id", "active", "roles", "permissions", "redirect_to", "page", "per_page",
    "client_uri", "software_id", "jwks", "contacts",
    # teams, channels, posts
    "team_id", "channel_id", "user_id", "display_name", "type", "message", "root_id", "props", "is_pinned",
    "allow_open_invite", "header", "purpose",
]
ODD_SEGMENTS = ["%FF", "%00", "..", "%2e%2e", "%", "%zz", "%C0%AF", "me", "", "a" * 300]


@dataclasses.dataclass
class Harness:
    host: HostProcess
    client: Client
    checker: OAuthHttp          # its admin and app are never handed to the fuzzer
    admin: Account              # fuzzed: a system admin
    user: Account               # fuzzed: a system user
    app: dict                   # fuzzed: its id and secret are in the value pools
    oauth_token: str            # fuzzed: the user's OAuth access token for `app`
    admin_csrf: str
    user_csrf: str
    role_id: str                # system_user's
    plugin_pid: int
    team: dict                  # the fuzzed user's team, its town-square and a post there
    channel: dict
    post_id: str
    device_codes: list[str] = dataclasses.field(default_factory=list)  # a live RFC 8628 request's two codes

    def login(self, account: Account) -> str:
        """A new session (its token), and the session's CSRF token from the web app's cookies."""
        reply = self.client.request("POST", "/api/v4/users/login", headers={"X-Requested-With": "XMLHttpRequest"},
                                    json={"login_id": account.username, "password": "Fault-Passw0rd!"})
        assert reply.status == 200, reply.body
        account.token = reply.headers["Token"]
        return reply.cookies()["MMCSRF"].value

    def healthy(self) -> bool:
        me = self.client.request("GET", "/api/v4/users/me", token=self.admin.token)
        if me.status != 200 or "system_admin" not in me.json["roles"].split():
            return False
        me = self.client.request("GET", "/api/v4/users/me", token=self.user.token)
        if me.status != 200 or me.json["roles"] != "system_user":
            return False
        return self.client.request("GET", "/api/v4/users/me", token=self.oauth_token).status == 200

    def repair(self) -> None:
        """Undo what an example may have taken away from the fuzzed accounts, as the checker's admin."""
        if self.healthy():
            return
        c, token = self.client, self.checker.admin.token
        for account, roles in ((self.admin, "system_admin system_user"), (self.user, "system_user")):
            assert c.request("PUT", f"/api/v4/users/{account.id}/active", token=token,
                             json={"active": True}).status == 200
            assert c.request("PUT", f"/api/v4/users/{account.id}/roles", token=token,
                             json={"roles": roles}).status == 200
        self.admin_csrf, self.user_csrf = self.login(self.admin), self.login(self.user)
        if c.request("GET", f"/api/v4/oauth/apps/{self.app['id']}", token=token).status != 200:
            self.app = self.checker.create_app("Fuzzed app")
        regenerated = c.request("POST", f"/api/v4/oauth/apps/{self.app['id']}/regen_secret", token=token)
        assert regenerated.status == 200, regenerated.body
        self.app = regenerated.json
        self.oauth_token = self.checker.tokens(self.user, self.app)["access_token"]
        assert self.healthy()


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    host = HostProcess(tmp_path_factory.mktemp("fuzz") / "data", free_port())
    host.data_dir.mkdir(parents=True)

    def change(config):
        config["ServiceSettings"].update(EnableDynamicClientRegistration=True,
                                         DCRRedirectURIAllowlist=["https://*.example.com/**"])
        config["PluginSettings"]["EnableUploads"] = True  # the bundle upload's own parsing is fuzzed too
        configure_plugin(config, **NO_RATE_LIMITS, EnableDeviceGrant=True, DeviceUserCodeAttemptsPerMinute=0)
    host.configure(change)
    host.start()
    client = Client(host.url, timeout=30)
    checker = OAuthHttp(client)
    admin, user = checker.account("fuzzadmin"), checker.account("fuzzuser")
    assert client.request("PUT", f"/api/v4/users/{admin.id}/roles", token=checker.admin.token,
                          json={"roles": "system_admin system_user"}).status == 200
    app = checker.create_app("Fuzzed app")
    assert client.request("PUT", f"/api/v4/oauth/apps/{app['id']}", token=checker.admin.token,
                          json={**app, "device_grant_allowed": True}).status == 200
    # A live device request: its codes join the value pools (the device authorization route, its token polls and
    # the verification page get real codes as well as garbage).
    device = client.request("POST", "/oauth/device_authorization", body=urllib.parse.urlencode({
        "client_id": app["id"], "client_secret": app["client_secret"]}),
        headers={"Content-Type": "application/x-www-form-urlencoded"}).json
    role = client.request("GET", "/api/v4/roles/name/system_user", token=checker.admin.token).json
    team = client.request("POST", "/api/v4/teams", token=user.token,
                          json={"name": "fuzzed", "display_name": "Fuzzed", "type": "O"}).json
    channel = client.request("GET", f"/api/v4/teams/{team['id']}/channels/name/town-square", token=user.token).json
    post = client.request("POST", "/api/v4/posts", token=user.token,
                          json={"channel_id": channel["id"], "message": "fuzzed"}).json
    harness = Harness(host, client, checker, admin, user, app, checker.tokens(user, app)["access_token"], "", "",
                      role["id"], host.plugin_pid(), team, channel, post["id"],
                      [device["device_code"], device["user_code"]])
    harness.admin_csrf, harness.user_csrf = harness.login(admin), harness.login(user)
    yield harness
    host.stop()


# --- strategies -------------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # what a client can send; JSON adds lone surrogates
HUGE = st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\u2028", "%", "{", "\U0001F600"]),
                 st.integers(10_000, 60_000))
NASTY = st.sampled_from(["", " ", "null", "0", "-1", "1e999", "NaN", "true", "[]", "{}", "\x00", "\u202e",
                         "javascript:alert(1)", "https://evil.example.com/cb", "../../etc/passwd", "%FF", "a" * 26,
                         "S256", "plain", "code", "token", "authorization_code", "refresh_token", "allow", "deny",
                         "urn:ietf:params:oauth:grant-type:device_code", "BCDF-GHJK", "bcdfghjk"])
# Numbers at and past the edges of the protobuf integer fields (int32, int64, uint64), negative ones, and what is
# not a whole number at all: a numeric parameter of any route must take each of them without a 500.
INT_EDGES = (0, -1, 1, 2 ** 31 - 1, 2 ** 31, -2 ** 31, -2 ** 31 - 1, 2 ** 32, 2 ** 63 - 1, 2 ** 63, -2 ** 63,
             -2 ** 63 - 1, 2 ** 64, 10 ** 20, -10 ** 20, 10 ** 400)
NUMBER = st.one_of(
    st.sampled_from(INT_EDGES).map(str), st.sampled_from(INT_EDGES).flatmap(lambda n: st.integers(n - 2, n + 2)).map(str),
    st.integers().map(str), st.floats().map(repr), st.sampled_from(
        ["1.5", "-0.5", "2.0", "1e3", "1e999", "-1e999", "nan", "inf", "+1", "-0", " 1", "1 ", "1_000", "0x10",
         "\u0661", "\uff11", "++1", "--1", "1e", "."]))
JSON_LEAF = (st.none() | st.booleans() | st.integers() | st.sampled_from(INT_EDGES) | st.floats(allow_nan=False)
             | TEXT | NASTY
             | st.sampled_from(["\ud800", "x\udfff", "\udc80\ud800"]))
JSON = st.recursive(JSON_LEAF, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(FIELDS) | TEXT, children, max_size=6), max_leaves=15)


def pooled(harness: Harness, huge: bool) -> st.SearchStrategy:
    """Values worth trying: real ids, secrets and tokens of the fuzzed accounts and app, and garbage."""
    real = [harness.app["id"], harness.app.get("client_secret", ""), harness.admin.id, harness.user.id,
            harness.team["id"], harness.channel["id"], harness.post_id,
            harness.oauth_token, harness.user_csrf, harness.admin_csrf, LOGIN_CSRF, "fuzzuser", "Fault-Passw0rd!",
            "https://app.example.com/callback", "system_user", "manage_oauth", *harness.device_codes]
    return st.sampled_from(real) | TEXT | NASTY | (HUGE if huge else st.nothing())


@st.composite
def form_body(draw, harness: Harness) -> bytes:
    pairs = draw(st.lists(st.tuples(st.sampled_from(FIELDS) | TEXT, pooled(harness, huge=True)), max_size=8))
    if pairs and draw(st.booleans()):
        pairs.append(pairs[0])  # a duplicate parameter
    encoded = urllib.parse.urlencode(pairs)
    raw = draw(st.sampled_from(["", "&%FF=%FE", "&=&&==", "&a=%", "&%zz=1", "&csrf=" + LOGIN_CSRF]))
    return (encoded + raw).encode()


@st.composite
def body(draw, harness: Harness) -> tuple[bytes | None, str | None]:
    kind = draw(st.sampled_from(["none", "json", "json", "form", "form", "bytes", "broken json", "huge",
                                 "deep", "multipart"]))
    content_type = draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain",
                                         None, "application/json; charset=latin-1", "multipart/form-data",
                                         "application/x-www-form-urlencoded; charset=utf-16"]))
    if kind == "none":
        return None, content_type
    if kind == "json":
        value = draw(JSON | st.dictionaries(st.sampled_from(FIELDS), pooled(harness, huge=True) | JSON, max_size=8))
        return json.dumps(value).encode(), "application/json" if draw(st.booleans()) else content_type
    if kind == "form":
        return draw(form_body(harness)), ("application/x-www-form-urlencoded" if draw(st.booleans())
                                          else content_type)
    if kind == "bytes":
        return draw(st.binary(max_size=300)), content_type
    if kind == "broken json":
        text = json.dumps(draw(JSON))
        return text[:draw(st.integers(0, max(0, len(text) - 1)))].encode() + draw(st.sampled_from(
            [b"", b"\xff\xfe", b'"\\ud800"', b",", b"}"])), "application/json"
    if kind == "huge":
        key = draw(st.sampled_from(FIELDS))
        value = draw(HUGE)
        if draw(st.booleans()):
            return json.dumps({key: value}).encode(), "application/json"
        return urllib.parse.urlencode({key: value}).encode(), "application/x-www-form-urlencoded"
    if kind == "deep":
        depth = draw(st.integers(50, 3000))
        return (b"[" * depth + b"]" * depth) if draw(st.booleans()) else (b'{"a":' * depth + b"1" + b"}" * depth), \
            "application/json"
    boundary = draw(st.sampled_from(["b", "", "x" * 80]))
    parts = draw(st.binary(max_size=200))
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n".encode() + parts
            + f"\r\n--{boundary}--\r\n".encode() * draw(st.integers(0, 1))), \
        f"multipart/form-data; boundary={boundary}" if boundary else "multipart/form-data"


@st.composite
def credentials(draw, harness: Harness, method: str, template: str) -> dict:
    who = draw(st.sampled_from(["admin", "admin", "user", "oauth", "dpop", "cookie", "cookie", "cookie+xhr",
                                "nobody", "garbage", "basic"]))
    if who == "admin" and (method, template) in GLOBAL_CONFIG_ROUTES:
        who = "user"
    cookies = [f"MMLOGINCSRF={LOGIN_CSRF}"]
    headers: dict[str, str] = {}
    if who == "admin":
        headers["Authorization"] = f"Bearer {harness.admin.token}"
    elif who == "user":
        headers["Authorization"] = f"{draw(st.sampled_from(['Bearer', 'bearer', 'Token', 'TOKEN']))} {harness.user.token}"
    elif who == "oauth":
        headers["Authorization"] = f"Bearer {harness.oauth_token}"
    elif who == "dpop":  # RFC 9449: the token as DPoP, with a proof that is real, garbage or for another request
        headers["Authorization"] = f"{draw(st.sampled_from(['DPoP', 'dpop']))} {harness.oauth_token}"
        site = f"http://{harness.client.host}:{harness.client.port}"
        proof = DPoPKey().proof(method, site + template, access_token=harness.oauth_token)
        headers["DPoP"] = draw(st.sampled_from([proof, proof[:-5], "a.b.c", "", "e30.e30.", proof + "." + proof])
                               | LATIN1)
    elif who.startswith("cookie"):
        cookies.append(f"MMAUTHTOKEN={harness.user.token}")
        if who == "cookie+xhr":
            headers["X-Requested-With"] = "XMLHttpRequest"
        else:
            headers["X-CSRF-Token"] = draw(st.sampled_from([harness.user_csrf, "forged", ""]))
    elif who == "garbage":
        headers["Authorization"] = draw(st.sampled_from(["Bearer", "Bearer ", "Basic", "Basic !!!", "Digest x",
                                                          "Bearer " + "a" * 5000])) + draw(LATIN1)
    elif who == "basic":
        import base64
        user = draw(st.sampled_from([harness.app["id"], ""]) | TEXT)
        secret = draw(st.sampled_from([harness.app.get("client_secret", ""), ""]) | TEXT)
        raw = draw(st.sampled_from([f"{user}:{secret}", user, "\xff:\xfe"]))
        headers["Authorization"] = "Basic " + base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode()
    if draw(st.booleans()):
        cookies.append(draw(st.sampled_from(["MMAUTHTOKEN=", "MMAUTHTOKEN=" + "z" * 60, "a=b; ; =", "MMCSRF=x"])))
    headers["Cookie"] = "; ".join(cookies)
    return headers


LATIN1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60)
ODD_HEADERS = st.dictionaries(
    st.sampled_from(["X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP", "Accept", "Accept-Language", "Origin",
                     "Referer", "User-Agent", "X-Request-Id", "If-None-Match", "Range", "Content-Encoding",
                     "Accept-Encoding", "X-Odd", "DPoP"]),
    LATIN1 | st.sampled_from(["gzip", "deflate", "br", "zstd", "https", "*/*", "bytes=0-1", "a" * 1500]), max_size=4)


@st.composite
def request_of(draw, harness: Harness):
    method, template = draw(st.sampled_from(ROUTES))
    values = {
        "app_id": draw(st.sampled_from([harness.app["id"], "a" * 26]) | st.sampled_from(ODD_SEGMENTS)
                       | TEXT.map(lambda t: urllib.parse.quote(t, safe=""))),
        "user_id": draw(st.sampled_from(["me", harness.user.id, harness.admin.id, "a" * 26])
                        | st.sampled_from(ODD_SEGMENTS)),
        "role_id": draw(st.sampled_from([harness.role_id, "a" * 26]) | st.sampled_from(ODD_SEGMENTS)),
        "role_name": draw(st.sampled_from(["system_user", "system_admin", "Not A Role"]).map(urllib.parse.quote)
                          | st.sampled_from(ODD_SEGMENTS)),
        "plugin_id": draw(st.sampled_from(["no.such.plugin", "a" * 190]) | st.sampled_from(ODD_SEGMENTS)),
        "team_id": draw(st.sampled_from([harness.team["id"], "a" * 26]) | st.sampled_from(ODD_SEGMENTS)),
        "team_name": draw(st.sampled_from([harness.team["name"], "no-such-team", "A"]) | st.sampled_from(ODD_SEGMENTS)),
        "channel_id": draw(st.sampled_from([harness.channel["id"], "a" * 26]) | st.sampled_from(ODD_SEGMENTS)),
        "channel_name": draw(st.sampled_from(["town-square", "off-topic", "no-such"]) | st.sampled_from(ODD_SEGMENTS)),
        "post_id": draw(st.sampled_from([harness.post_id, "a" * 26]) | st.sampled_from(ODD_SEGMENTS)),
    }
    path = fill(template, values)
    query = draw(st.lists(st.tuples(st.sampled_from(FIELDS) | TEXT, pooled(harness, huge=False)), max_size=6))
    query += draw(st.lists(st.tuples(st.sampled_from(NUMERIC), NUMBER), min_size=1, max_size=len(NUMERIC)))
    query = draw(st.permutations(query))
    if query and draw(st.booleans()):
        query.append(query[-1])
    if query:
        path += "?" + urllib.parse.urlencode(query) + draw(st.sampled_from(["", "&%FF", "&=", "&access_token=x"]))
    payload, content_type = draw(body(harness))
    headers = {**draw(ODD_HEADERS), **draw(credentials(harness, method, template))}
    if content_type:
        headers["Content-Type"] = content_type
    return method, path, payload, headers


def send(harness: Harness, method: str, path: str, payload: bytes | None, headers: dict):
    try:
        return harness.client.request(method, path, body=payload, headers=headers, timeout=REPLY_WITHIN)
    except TimeoutError:
        raise AssertionError(f"no answer within {REPLY_WITHIN} s") from None


def check(method: str, path: str, reply) -> None:
    assert reply.status < 500, (method, path[:200], reply.status, reply.body[:500])
    for mark in STACK_TRACE_MARKS:
        assert mark not in reply.body, (method, path[:200], reply.body[:2000])
        assert all(mark.decode() not in value for value in reply.headers.values()), (method, path[:200])


def real_values(harness: Harness) -> dict[str, str]:
    """Each path placeholder filled with something that exists."""
    return {"app_id": harness.app["id"], "user_id": "me", "role_id": harness.role_id, "role_name": "system_user",
            "plugin_id": "no.such.plugin", "team_id": harness.team["id"], "team_name": harness.team["name"],
            "channel_id": harness.channel["id"], "channel_name": "town-square", "post_id": harness.post_id}


# --- every route, with each kind of malformed body ---------------------------------------------------------------

MALFORMED = {
    "invalid utf-8 json": (b'{"name": "\xff\xfe", "client_id": "\xc0\xaf"}', "application/json"),
    "invalid utf-8 form": (b"grant_type=\xff&client_id=%FF%FE&csrf=\xc3", "application/x-www-form-urlencoded"),
    "broken json": (b'{"name": "x", "callback_urls": ["https://a', "application/json"),
    "wrong types": (json.dumps({f: [{"x": 1}] for f in FIELDS}).encode(), "application/json"),
    "duplicates": (b"grant_type=refresh_token&grant_type=authorization_code&csrf=a&csrf=b&decision=allow"
                   b"&decision=deny", "application/x-www-form-urlencoded"),
    "huge string": (json.dumps({f: "x" * 2_000 for f in FIELDS} | {"name": "n" * 250_000}).encode(),
                    "application/json"),
    "lone surrogate": (b'{"name": "\\ud800", "login_id": "\\udfff"}', "application/json"),
    "not an object": (b"[1, 2, 3]", "application/json"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_every_route_survives_each_kind_of_malformed_body(harness, kind):
    payload, content_type = MALFORMED[kind]
    for method, template in ROUTES:
        path = fill(template, real_values(harness))
        for token in (harness.admin.token if (method, template) not in GLOBAL_CONFIG_ROUTES else harness.user.token,
                      None):
            headers = {"Content-Type": content_type, "Cookie": f"MMLOGINCSRF={LOGIN_CSRF}"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            check(method, path, send(harness, method, path, payload, headers))
        if method != "GET":
            harness.repair()


# --- every route, with out-of-range numbers in each numeric parameter ---------------------------------------------

NUMBERS_PER_ROUTE = [str(n) for n in INT_EDGES] + ["1.5", "-0.5", "1e999", "nan", " 1", "\u0661"]


def test_every_route_survives_out_of_range_and_malformed_numbers_in_every_numeric_parameter(harness):
    for method, template in ROUTES:
        path = fill(template, real_values(harness))
        token = harness.admin.token if (method, template) not in GLOBAL_CONFIG_ROUTES else harness.user.token
        headers = {"Authorization": f"Bearer {token}", "Cookie": f"MMLOGINCSRF={LOGIN_CSRF}"}
        for value in NUMBERS_PER_ROUTE:
            query = path + "?" + urllib.parse.urlencode({name: value for name in NUMERIC}, quote_via=urllib.parse.quote)
            check(method, query, send(harness, method, query, None, headers))
        if method != "GET":
            harness.repair()


# --- random requests ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzzed(harness):
    """Run the random requests once for the module; the tests after it check the aftermath."""
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def run(data):
        method, path, payload, headers = data.draw(request_of(harness))
        check(method, path, send(harness, method, path, payload, headers))
        if method != "GET":
            harness.repair()

    run()
    return harness


def test_random_requests_never_get_a_server_error_or_a_stack_trace(fuzzed):
    pass  # the assertions run inside the fixture, once for the module


def test_after_the_fuzz_the_same_plugin_process_still_serves_a_whole_oauth_flow(fuzzed):
    harness = fuzzed
    assert harness.client.request("GET", "/api/v4/system/ping").status == 200
    status = harness.host.status()
    assert status["state"] == 2 and harness.host.plugin_pid() == harness.plugin_pid, "the plugin never crashed"
    checker = harness.checker
    user = checker.account("after")
    tokens = checker.tokens(user, checker.app)
    me = checker.me(tokens["access_token"])
    assert me.status == 200 and me.json["id"] == user.id
    refreshed = harness.client.request("POST", "/oauth/access_token", **checker.refresh_form(tokens["refresh_token"]))
    assert refreshed.status == 200, refreshed.body
    unhandled = [line for line in harness.host.log_lines()
                 if line.get("@message") in ("unhandled error", "OAuth RPC failed")]
    assert not unhandled, unhandled[:3]
