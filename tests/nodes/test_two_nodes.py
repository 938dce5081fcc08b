"""Two nodes (two hosts, two plugin processes) over one PostgreSQL behave as one server: whatever one node
writes, the other sees at its next request, and single use holds across them."""
from __future__ import annotations

import concurrent.futures
import hashlib
import threading

import psycopg
import pytest

from tests import postgres

from .conftest import (
    CALLBACK,
    code_for,
    create_app,
    exchange,
    me,
    pkce,
    refresh,
    sign_up,
    start_nodes,
    tokens_for,
)


@pytest.fixture(scope="module")
def database():
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def nodes(database, tmp_path_factory):
    started = start_nodes(tmp_path_factory.mktemp("cluster"), database)
    yield started
    for node in started:
        node.process.stop()


@pytest.fixture(scope="module")
def a(nodes):
    return nodes[0].api


@pytest.fixture(scope="module")
def b(nodes):
    return nodes[1].api


@pytest.fixture(scope="module")
def admin_token(a) -> str:
    return sign_up(a, "admin")[1]  # the first account of the shared database: its system admin


@pytest.fixture(scope="module")
def app(a, admin_token) -> dict:
    return create_app(a, admin_token)


_users = iter(range(1, 10_000))


@pytest.fixture
def user(a, admin_token) -> tuple[str, str]:
    return sign_up(a, f"user{next(_users)}", admin_token)


def test_a_session_made_on_one_node_works_on_the_other_until_logged_out_there(a, b, user):
    user_id, token = user
    assert me(b, token).status == 200 and me(b, token).json["id"] == user_id
    assert b.post("/api/v4/users/logout", token=token).status == 200
    assert me(a, token).status == 401


def test_an_app_created_on_one_node_is_listed_on_the_other(a, b, admin_token):
    app = create_app(a, admin_token, name="Made on A")
    listed = b.get("/api/v4/oauth/apps?per_page=200", token=admin_token)
    assert listed.status == 200 and app["id"] in [item["id"] for item in listed.json]
    assert b.get(f"/api/v4/oauth/apps/{app['id']}", token=admin_token).json["name"] == "Made on A"


def test_a_code_issued_through_one_node_is_exchanged_at_the_other(a, b, app, user):
    user_id, token = user
    verifier, challenge = pkce()
    code = code_for(a, token, app, challenge)
    issued = exchange(b, app, code, verifier)
    assert issued.status == 200, issued.body
    for node in (a, b):
        answer = me(node, issued.json["access_token"])
        assert answer.status == 200 and answer.json["id"] == user_id
    assert exchange(a, app, code, verifier).status == 400  # and it was single-use across nodes


def test_a_token_revoked_at_one_node_is_refused_by_the_other_at_its_next_request(a, b, app, user):
    tokens = tokens_for(a, user[1], app)
    assert me(b, tokens["access_token"]).status == 200
    assert a.post("/api/v4/users/logout", token=tokens["access_token"]).status == 200  # revokes its grant
    assert me(b, tokens["access_token"]).status == 401
    assert refresh(b, app, tokens["refresh_token"]).status == 404  # the whole grant went


def test_deauthorizing_at_one_node_ends_the_apps_access_everywhere(a, b, app, user):
    tokens = tokens_for(b, user[1], app)
    assert a.post("/oauth/deauthorize", {"client_id": app["id"]}, token=user[1]).status == 200
    assert me(b, tokens["access_token"]).status == 401 and me(a, tokens["access_token"]).status == 401


def test_fifty_concurrent_exchanges_of_one_code_over_both_nodes_give_exactly_one_success(a, b, app, user):
    verifier, challenge = pkce()
    code = code_for(a, user[1], app, challenge)
    barrier = threading.Barrier(50)

    def attempt(i: int) -> int:
        barrier.wait()
        return exchange((a, b)[i % 2], app, code, verifier).status

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400}, statuses  # the others: invalid_grant, none a 5xx


def test_a_refresh_race_across_nodes_leaves_one_family(a, b, app, user, database):
    """Both nodes refresh the same token at once: one request rotates it; the others, within the grace window,
    get that same successor (two tabs), so the grant keeps exactly one live refresh token."""
    tokens = tokens_for(a, user[1], app)
    barrier = threading.Barrier(20)

    def attempt(i: int):
        barrier.wait()
        return refresh((a, b)[i % 2], app, tokens["refresh_token"])

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(attempt, range(20)))
    ok = [reply.json for reply in replies if reply.status == 200]
    assert ok and all(reply.status in (200, 404) for reply in replies), [r.status for r in replies]
    assert len({body["refresh_token"] for body in ok}) == 1  # one successor, whoever asked
    successor = ok[0]
    old_hash = hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    with psycopg.connect(database) as conn:
        grant_id = conn.execute("SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = %s",
                                (old_hash,)).fetchone()[0]
        live = conn.execute("SELECT count(*) FROM oauth_refresh_tokens WHERE grant_id = %s AND rotated_at IS NULL",
                            (grant_id,)).fetchone()[0]
        grants = conn.execute("SELECT count(*) FROM oauth_grants WHERE id = %s", (grant_id,)).fetchone()[0]
    assert (live, grants) == (1, 1)
    assert me(b, successor["access_token"]).status == 200
    again = refresh(b, app, successor["refresh_token"])
    assert again.status == 200, again.body


def test_both_nodes_use_the_same_schema_version(database, nodes):
    from plugin.store import migrations

    with psycopg.connect(database) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [m.version for m in migrations.load("postgres")]  # each applied once, by one node


def test_the_callback_is_the_registered_one_on_both_nodes(a, b, app, admin_token):
    for node in (a, b):
        assert node.get(f"/api/v4/oauth/apps/{app['id']}", token=admin_token).json["callback_urls"] == [CALLBACK]


def test_teams_channels_and_posts_made_on_one_node_are_seen_on_the_other(a, b, admin_token, app):
    user_id, user_token = sign_up(a, "poster", admin_token)
    team = a.post("/api/v4/teams", {"name": "shared-team", "display_name": "Shared", "type": "O"}, token=user_token)
    assert team.status == 201, team.body
    channel = b.get(f"/api/v4/teams/{team.json['id']}/channels/name/town-square", token=user_token)
    assert channel.status == 200, channel.body
    channel_id = channel.json["id"]
    access_token = tokens_for(b, user_token, app)["access_token"]  # an app's token, issued by the other node
    by_app = a.post("/api/v4/posts", {"channel_id": channel_id, "message": "from the app"}, token=access_token)
    assert by_app.status == 201 and by_app.json["props"] == {"from_oauth_app": "true"}
    by_user = b.post("/api/v4/posts", {"channel_id": channel_id, "message": "from the user"}, token=user_token)
    assert by_user.status == 201
    for api in (a, b):
        seen = api.get(f"/api/v4/channels/{channel_id}/posts", token=access_token).json
        assert seen["order"] == [by_user.json["id"], by_app.json["id"]]
        assert seen["posts"][by_app.json["id"]]["user_id"] == user_id
    assert b.request("DELETE", f"/api/v4/posts/{by_app.json['id']}", token=user_token).status == 200
    assert a.get(f"/api/v4/posts/{by_app.json['id']}", token=user_token).status == 404


def test_posts_made_at_once_on_both_nodes_each_get_their_own_place_in_the_channel(a, b, admin_token):
    _, token = sign_up(a, "racer", admin_token)
    team = a.post("/api/v4/teams", {"name": "race-team", "display_name": "Race", "type": "O"}, token=token).json
    channel_id = b.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=token).json["id"]
    barrier = threading.Barrier(8)

    def send(n: int):
        barrier.wait()
        return (a, b)[n % 2].post("/api/v4/posts", {"channel_id": channel_id, "message": f"race {n}"}, token=token)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(send, range(8)))
    assert [reply.status for reply in replies] == [201] * 8
    times = [reply.json["create_at"] for reply in replies]
    assert len(set(times)) == 8  # no two share a create_at, so paging never splits or repeats them
    seen, page = [], 0
    while True:
        listed = a.get(f"/api/v4/channels/{channel_id}/posts?per_page=3&page={page}", token=token).json
        if not listed["order"]:
            break
        seen += listed["order"]
        page += 1
    assert sorted(seen) == sorted(reply.json["id"] for reply in replies)
    channel = a.get(f"/api/v4/channels/{channel_id}", token=token).json
    assert channel["total_msg_count"] == 8 and channel["last_post_at"] == max(times)
