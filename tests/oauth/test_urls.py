"""Go net/url semantics that Mattermost's rules depend on."""
from __future__ import annotations

import pytest

from plugin.oauth.urls import (
    URLError,
    encode_query,
    is_valid_http_url,
    join_path,
    parse,
    parse_query,
    parse_request_uri,
    query_escape,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/",
        "https://nowhere.com?simply=lovely",
        "http://localhost:3000/callback",
        "https://example.com/a b",  # Go does not reject spaces in a path
        "https://user:pass@example.com/cb",
        "https://example.com/cb#fragment",  # ParseRequestURI does not treat '#' specially
        "http://[::1]:8080/cb",
        "http://:80/",  # Go's Host is ":80", which is non-empty
        "https://example.com/%41",
    ],
)
def test_is_valid_http_url_accepts(url):
    assert is_valid_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com",
        "HTTP://example.com",  # the prefix check is case-sensitive
        "ftp://example.com",
        "http://",  # no host
        "https://",
        "http:///path",  # no host
        " https://example.com",
        "https://example.com/\n",  # control character
        "https://exa\tmple.com",
        "http://example.com:port/",  # non-numeric port
        "http://exa mple.com/",  # space in host
        "http://example.com%2F/",  # %-escapes in a host may only encode non-ASCII bytes
        "http://[::1/",  # missing ']'
        "https://example.com/%zz",  # bad escape in path
        "http://us er@example.com/",  # bad userinfo
        "http://example.com#frag",  # '#' is not allowed in a host
    ],
)
def test_is_valid_http_url_rejects(url):
    assert not is_valid_http_url(url)


def test_parse_request_uri_keeps_raw_query_and_host_with_port():
    u = parse_request_uri("https://app.example.com:8443/callback?x=/admin&y=1")
    assert (u.scheme, u.host, u.escaped_path(), u.raw_query) == (
        "https", "app.example.com:8443", "/callback", "x=/admin&y=1"
    )


def test_parse_lowercases_the_scheme_and_splits_the_fragment():
    u = parse("HTTPS://Example.com/p#frag")
    assert u.scheme == "https"
    assert u.host == "Example.com"
    assert u.fragment == b"frag"


@pytest.mark.parametrize("raw", ["://example.com", "malformed://[invalid", "/c%zz", "1:2/x:y", "http://a.com/\x7f"])
def test_parse_rejects_what_go_rejects(raw):
    with pytest.raises(URLError):
        parse(raw)


def test_parse_relative_references_have_no_scheme():
    for raw in ("not-a-uri", "relative/path", "/absolute/path", "#fragment"):
        assert not parse(raw).is_abs()


def test_escaped_path_reescapes_characters_go_would_escape():
    assert parse_request_uri("https://e.com/a b").escaped_path() == "/a%20b"
    assert parse_request_uri("https://e.com/a%2Fb").escaped_path() == "/a%2Fb"


def test_query_escape_matches_go_query_escape():
    assert query_escape("a b/c?d=e&f~g_h.i-j") == "a+b%2Fc%3Fd%3De%26f~g_h.i-j"
    assert query_escape("é") == "%C3%A9"


def test_parse_query_drops_pairs_go_rejects_and_keeps_order_of_values():
    values = parse_query("b=2&a=1&a=%zz&bad;pair=1&&c&a=3+4")
    assert values == {"b": ["2"], "a": ["1", "3 4"], "c": [""]}


def test_encode_query_sorts_keys_like_url_values_encode():
    assert encode_query({"state": ["s"], "code": ["c"], "Zed": ["z"], "a": ["1", "2"]}) == (
        "Zed=z&a=1&a=2&code=c&state=s"
    )


@pytest.mark.parametrize(
    "base, expected",
    [
        ("https://example.com", "https://example.com/oauth/authorize"),
        ("https://example.com/", "https://example.com/oauth/authorize"),
        ("https://example.com/mattermost", "https://example.com/mattermost/oauth/authorize"),
        ("https://example.com/mattermost/", "https://example.com/mattermost/oauth/authorize"),
        ("http://localhost:8065", "http://localhost:8065/oauth/authorize"),
    ],
)
def test_join_path_appends_endpoint_paths_like_go_join_path(base, expected):
    assert join_path(base, "oauth/authorize") == expected
