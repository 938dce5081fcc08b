"""Pools of codes and tokens for another harness (../bench-peers' project adapter), before the host starts.

    .venv/bin/python bench/pools.py OUT_DIR N_CODES N_REFRESH N_ACCESS

Makes a fresh data directory outside the checkout with the plugin configured as `make bench` configures it
(SQLite, rate limits off), registers a trusted confidential app through the real APIs (mint.register), writes
the rows in the shape the provider writes them (mint.py), and leaves in OUT_DIR:

- pool.code: "CODE VERIFIER" a line (PKCE S256 codes of the app, for its redirect URI);
- pool.refresh, pool.access: one token a line.

It prints the shell assignments PROJECT_DATA_DIR, PEER_CLIENT_ID, PEER_CLIENT_SECRET and PEER_REDIRECT_URI; the
data directory is then served with `python -m server_stub serve --data-dir "$PROJECT_DATA_DIR"`.
"""
from __future__ import annotations

import pathlib
import shlex
import sys
import tempfile

BENCH = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import mint  # noqa: E402
from run import configure  # noqa: E402


def main(out: pathlib.Path, n_codes: int, n_refresh: int, n_access: int) -> None:
    from plugin.rpc.runtime import open_store

    out.mkdir(parents=True, exist_ok=True)
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="oauth-bench-pools-"))
    source = str(data_dir / "oauth.db")
    configure(data_dir, "sqlite", source)
    store = open_store({}, {"drivername": "sqlite", "datasource": source})
    try:
        store.migrate()
        fx = mint.register(store, str(data_dir / "host.db"))
    finally:
        store.close()
    bulk = mint.Bulk("sqlite", source)
    try:
        codes = mint.mint_codes(bulk, fx, n_codes)
        refresh = mint.mint_refresh_tokens(bulk, fx, n_refresh)
        access = mint.mint_access_tokens(bulk, fx, n_access)
        bulk.analyze()
    finally:
        bulk.close()
    (out / "pool.code").write_text("".join(f"{code} {fx.verifier}\n" for code in codes))
    (out / "pool.refresh").write_text("".join(f"{token}\n" for token in refresh))
    (out / "pool.access").write_text("".join(f"{token}\n" for token in access))
    for name, value in (("PROJECT_DATA_DIR", str(data_dir)), ("PEER_CLIENT_ID", fx.client_id),
                        ("PEER_CLIENT_SECRET", fx.client_secret), ("PEER_REDIRECT_URI", fx.redirect_uri)):
        print(f"{name}={shlex.quote(value)}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__.split("\n\n")[1].strip())
    main(pathlib.Path(sys.argv[1]), *map(int, sys.argv[2:5]))
