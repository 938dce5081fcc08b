"""URL parsing and query encoding with the semantics of Go's `net/url`, which Mattermost's rules are written in.

Mattermost decides what a valid callback, resource or registration URI is by whether Go's `url.Parse` /
`url.ParseRequestURI` accept it, and builds redirect queries with `url.Values.Encode`. Python's `urllib.parse`
is far more lenient (it never fails), so the subset of `net/url` those rules depend on is reimplemented here:

- `parse(raw)` (`url.Parse`) and `parse_request_uri(raw)` (`url.ParseRequestURI`), raising `URLError` where Go
  returns an error: control characters, bad percent-escapes, characters not allowed in a host, non-numeric
  ports, malformed userinfo, a colon in the first segment of a relative path, a missing scheme before `:`.
- `is_valid_http_url(raw)`: Mattermost's `IsValidHTTPURL`.
- `parse_query` / `encode_query` / `query_escape`: `url.ParseQuery`, `url.Values.Encode`, `url.QueryEscape`.
- `join_path(base, elem)`: `url.JoinPath` for building endpoint URLs under the site URL.

Strings are handled as UTF-8 bytes, as Go does; invalid UTF-8 produced by percent-decoding round-trips through
`surrogateescape`.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

# Encoding modes of Go's net/url.
_PATH = "path"
_PATH_SEGMENT = "path_segment"
_HOST = "host"
_ZONE = "zone"
_USER_PASSWORD = "user_password"
_QUERY_COMPONENT = "query_component"
_FRAGMENT = "fragment"

_HEXDIGITS = b"0123456789abcdefABCDEF"
_USERINFO_EXTRA = set("-._:~!$&'()*+,;=%@")


class URLError(ValueError):
    """The text is not a URL Go's net/url would accept."""


@dataclass
class URL:
    scheme: str = ""
    opaque: str = ""
    userinfo: str | None = None  # raw userinfo text (before '@'), None when absent
    host: str = ""  # unescaped host, port included (Go's URL.Host)
    path: bytes = b""  # unescaped path
    raw_path: str = ""  # the original escaped path when it differs from the default encoding
    raw_query: str = ""
    force_query: bool = False
    fragment: bytes = b""
    omit_host: bool = False

    def is_abs(self) -> bool:
        return self.scheme != ""

    def escaped_path(self) -> str:
        """Go's URL.EscapedPath."""
        if self.raw_path and _valid_encoded(self.raw_path, _PATH):
            try:
                if _unescape(self.raw_path, _PATH) == self.path:
                    return self.raw_path
            except URLError:
                pass
        if self.path == b"*":
            return "*"
        return _escape(self.path, _PATH)


def go_len(s: str) -> int:
    """Go's len(s) for a string: its length in UTF-8 bytes."""
    return len(s.encode("utf-8", "surrogateescape"))


def _to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _has_ctl(s: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in s)


def _is_alnum(c: int) -> bool:
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _should_escape(c: int, mode: str) -> bool:
    """Go's shouldEscape (RFC 3986 §2)."""
    if _is_alnum(c):
        return False
    ch = chr(c)
    if mode in (_HOST, _ZONE) and ch in "!$&'()*+,;=:[]<>\"":
        return False
    if ch in "-_.~":
        return False
    if ch in "$&+,/:;=?@":
        if mode == _PATH:
            return ch == "?"
        if mode == _PATH_SEGMENT:
            return ch in "/;,?"
        if mode == _USER_PASSWORD:
            return ch in "@/?:"
        if mode == _QUERY_COMPONENT:
            return True
        if mode == _FRAGMENT:
            return False
    if mode == _FRAGMENT and ch in "!()*":
        return False
    return True


def _unescape(s: str, mode: str) -> bytes:
    """Go's unescape: decode %XX (and '+' in query components), rejecting what Go rejects."""
    b = _to_bytes(s)
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x25:  # '%'
            if i + 2 >= len(b) or b[i + 1] not in _HEXDIGITS or b[i + 2] not in _HEXDIGITS:
                raise URLError(f"invalid URL escape {_from_bytes(b[i:i + 3])!r}")
            value = int(b[i + 1:i + 3], 16)
            if mode == _HOST and value < 0x80 and b[i:i + 3] != b"%25":
                # In a host, %-encoding may only stand for non-ASCII bytes (RFC 3986 §3.2.2).
                raise URLError(f"invalid URL escape {_from_bytes(b[i:i + 3])!r}")
            if mode == _ZONE and b[i:i + 3] != b"%25" and value != 0x20 and _should_escape(value, _HOST):
                raise URLError(f"invalid URL escape {_from_bytes(b[i:i + 3])!r}")
            out.append(value)
            i += 3
        elif c == 0x2B:  # '+'
            out.append(0x20 if mode == _QUERY_COMPONENT else 0x2B)
            i += 1
        else:
            if mode in (_HOST, _ZONE) and c < 0x80 and _should_escape(c, mode):
                raise URLError(f"invalid character {chr(c)!r} in host name")
            out.append(c)
            i += 1
    return bytes(out)


def _escape(b: bytes, mode: str) -> str:
    parts = []
    for c in b:
        if _should_escape(c, mode):
            parts.append("+" if c == 0x20 and mode == _QUERY_COMPONENT else f"%{c:02X}")
        else:
            parts.append(chr(c))
    return "".join(parts)


def _valid_encoded(s: str, mode: str) -> bool:
    for c in _to_bytes(s):
        ch = chr(c)
        if ch in "!$&'()*+,;=:@[]%":
            continue
        if _should_escape(c, mode):
            return False
    return True


def _get_scheme(raw: str) -> tuple[str, str]:
    for i, ch in enumerate(raw):
        if "a" <= ch <= "z" or "A" <= ch <= "Z":
            continue
        if "0" <= ch <= "9" or ch in "+-.":
            if i == 0:
                return "", raw
            continue
        if ch == ":":
            if i == 0:
                raise URLError("missing protocol scheme")
            return raw[:i], raw[i + 1:]
        return "", raw  # an invalid character: there is no scheme
    return "", raw


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    if port[0] != ":":
        return False
    return all("0" <= ch <= "9" for ch in port[1:])


def _parse_host(host: str) -> str:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            raise URLError("missing ']' in host")
        colon_port = host[i + 1:]
        if not _valid_optional_port(colon_port):
            raise URLError(f"invalid port {colon_port!r} after host")
        zone = host[:i].find("%25")
        if zone >= 0:
            return _from_bytes(
                _unescape(host[:zone], _HOST) + _unescape(host[zone:i], _ZONE) + _unescape(host[i:], _HOST)
            )
    else:
        i = host.rfind(":")
        if i != -1:
            colon_port = host[i:]
            if not _valid_optional_port(colon_port):
                raise URLError(f"invalid port {colon_port!r} after host")
    return _from_bytes(_unescape(host, _HOST))


def _parse_authority(authority: str) -> tuple[str | None, str]:
    i = authority.rfind("@")
    host = _parse_host(authority if i < 0 else authority[i + 1:])
    if i < 0:
        return None, host
    userinfo = authority[:i]
    for ch in userinfo:
        if not (ch.isascii() and (ch.isalnum() or ch in _USERINFO_EXTRA)):
            raise URLError("net/url: invalid userinfo")
    username, _, password = userinfo.partition(":")
    _unescape(username, _USER_PASSWORD)
    _unescape(password, _USER_PASSWORD)
    return userinfo, host


def _parse(raw: str, via_request: bool) -> URL:
    if _has_ctl(raw):
        raise URLError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise URLError("empty url")
    u = URL()
    if raw == "*":
        u.path = b"*"
        return u
    scheme, rest = _get_scheme(raw)
    u.scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        u.force_query = True
        rest = rest[:-1]
    else:
        rest, _, u.raw_query = rest.partition("?")
    if not rest.startswith("/"):
        if u.scheme:
            u.opaque = rest
            return u
        if via_request:
            raise URLError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise URLError("first path segment in URL cannot contain colon")
    if (u.scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, rest = rest[2:], ""
        slash = authority.find("/")
        if slash >= 0:
            authority, rest = authority[:slash], authority[slash:]
        u.userinfo, u.host = _parse_authority(authority)
    elif u.scheme and rest.startswith("/"):
        u.omit_host = True
    u.path = _unescape(rest, _PATH)
    u.raw_path = "" if _escape(u.path, _PATH) == rest else rest
    return u


def parse(raw: str) -> URL:
    """Go's url.Parse: a URL or a relative reference, with an optional #fragment."""
    text, has_fragment, fragment = raw.partition("#")
    u = _parse(text, via_request=False)
    if has_fragment:
        u.fragment = _unescape(fragment, _FRAGMENT)
    return u


def parse_request_uri(raw: str) -> URL:
    """Go's url.ParseRequestURI: an absolute URI or an absolute path; '#' is not special."""
    return _parse(raw, via_request=True)


def is_valid_http_url(raw: str) -> bool:
    """Mattermost's IsValidHTTPURL: starts with http:// or https:// (case-sensitive) and Go's ParseRequestURI
    accepts it with a scheme and a non-empty host."""
    if not isinstance(raw, str) or not (raw.startswith("http://") or raw.startswith("https://")):
        return False
    try:
        u = parse_request_uri(raw)
    except URLError:
        return False
    return bool(u.scheme) and bool(u.host)


# --- queries ---------------------------------------------------------------------------------------------------

def query_escape(value: str) -> str:
    """Go's url.QueryEscape."""
    return _escape(_to_bytes(value), _QUERY_COMPONENT)


def query_unescape(value: str) -> str:
    """Go's url.QueryUnescape; URLError on a bad escape."""
    return _from_bytes(_unescape(value, _QUERY_COMPONENT))


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """Go's url.ParseQuery with its error ignored (as URL.Query() does): pairs with a ';' or a bad escape are
    dropped, the rest kept in order."""
    values: dict[str, list[str]] = {}
    for pair in raw_query.split("&"):
        if not pair or ";" in pair:
            continue
        key, _, value = pair.partition("=")
        try:
            key, value = query_unescape(key), query_unescape(value)
        except URLError:
            continue
        values.setdefault(key, []).append(value)
    return values


def encode_query(values: dict[str, list[str]]) -> str:
    """Go's url.Values.Encode: keys sorted (by bytes), every value query-escaped."""
    parts = []
    for key in sorted(values, key=_to_bytes):
        escaped_key = query_escape(key)
        for value in values[key]:
            parts.append(f"{escaped_key}={query_escape(value)}")
    return "&".join(parts)


# --- building ---------------------------------------------------------------------------------------------------

def _clean_path(path: str) -> str:
    """Go's path.Clean for an absolute path."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def join_path(base: str, *elems: str) -> str:
    """Go's url.JoinPath(base, elems...) for an absolute base URL: the elements are joined onto the base's path
    and the result cleaned; query and fragment of the base are kept."""
    u = parse(base)
    joined = _clean_path("/".join(["/" + u.escaped_path().lstrip("/"), *elems]))
    if elems and elems[-1].endswith("/") and not joined.endswith("/"):
        joined += "/"
    out = f"{u.scheme}:" if u.scheme else ""
    if u.opaque:
        out += u.opaque
    else:
        if u.scheme or u.host or u.userinfo is not None:
            out += "//"
            if u.userinfo is not None:
                out += u.userinfo + "@"
            out += _escape(_to_bytes(u.host), _HOST)
        out += joined
    if u.force_query or u.raw_query:
        out += "?" + u.raw_query
    if u.fragment:
        out += "#" + _escape(u.fragment, _FRAGMENT)
    return out
