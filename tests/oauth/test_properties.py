"""Property tests: redirects always round-trip, and the allowlist glob agrees with Mattermost's algorithm."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.oauth.rfc6749 import code_redirect, error_redirect
from plugin.oauth.rfc7591 import _glob
from plugin.oauth.urls import parse_query


@given(state=st.text(max_size=200), code=st.text(alphabet="abcXYZ019-_", min_size=1, max_size=50))
def test_code_redirect_round_trips_any_state_and_keeps_the_callback_query(state, code):
    url = code_redirect("https://nowhere.com/cb?simply=lovely", code, state)
    assert url.startswith("https://nowhere.com/cb?") and url.count("?") == 1 and "#" not in url
    assert parse_query(url.partition("?")[2]) == {"code": [code], "simply": ["lovely"], "state": [state]}


@given(state=st.text(max_size=200))
def test_error_redirect_round_trips_any_state(state):
    url = error_redirect("https://c.example.com/cb", "access_denied", state)
    assert parse_query(url.partition("?")[2]) == {"error": ["access_denied"], "state": [state]}


def backtracking_glob(uri: str, pattern: str, ui: int = 0, pi: int = 0) -> bool:
    """Mattermost's recursive matcher (v11.9 redirectURIMatchesGlobRecur), as the reference."""
    while pi < len(pattern):
        if pattern[pi] == "*":
            if pi + 1 < len(pattern) and pattern[pi + 1] == "*":
                pi += 2
                if pi >= len(pattern):
                    return True
                while ui <= len(uri):
                    if backtracking_glob(uri, pattern, ui, pi):
                        return True
                    ui += 1
                return False
            if backtracking_glob(uri, pattern, ui, pi + 1):
                return True
            while ui < len(uri) and uri[ui] != "/":
                ui += 1
                if backtracking_glob(uri, pattern, ui, pi + 1):
                    return True
            return False
        if ui >= len(uri) or uri[ui] != pattern[pi]:
            return False
        ui += 1
        pi += 1
    return ui == len(uri)


@settings(max_examples=500)
@given(uri=st.text(alphabet="ab/.", max_size=10), pattern=st.text(alphabet="ab/.*", max_size=8))
def test_glob_agrees_with_the_reference_matcher(uri, pattern):
    assert _glob(uri, pattern) == backtracking_glob(uri, pattern)
