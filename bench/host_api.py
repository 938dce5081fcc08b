"""What one HostAPI call costs the plugin: `python bench/host_api.py [--calls N]`.

The host's HostAPI server (server_stub/host_api.py, real accounts on SQLite) runs on this process's event loop, as
in the host (uvloop when installed); the plugin's synchronous client (plugin/rpc/host_client.py) calls it from a
worker thread, as the plugin's event loop does. Measured: GetUser with the cache off, over mutual TLS on TCP and
over a unix socket, then get_user answered from the cache. Prints the mean and the percentiles of one call.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "proto")]

from goplugin import protocol  # noqa: E402
from plugin.rpc.host_client import HostClient, open_channel  # noqa: E402
from server_stub.accounts import Accounts  # noqa: E402
from server_stub.host_api import HostAPIServer, HostAPIServicer  # noqa: E402


def timed_calls(client: HostClient, user_id: str, calls: int) -> list[float]:
    """Microseconds per get_user, after a warm-up."""
    for _ in range(200):
        client.get_user(user_id)
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        user = client.get_user(user_id)
        times.append((time.perf_counter_ns() - start) / 1000)
        assert user is not None and user.is_active
    return times


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (f"{name:<34} {len(times):>6} calls  mean {statistics.fmean(times):8.1f} us  p50 {p(0.50):8.1f}  "
            f"p90 {p(0.90):8.1f}  p99 {p(0.99):8.1f}")


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        accounts = Accounts(os.path.join(directory, "host.db"))
        user = accounts.create_user("bench@example.com", "bench", "passw0rd!")
        servicer = HostAPIServicer(accounts, dict)
        host_cert, plugin_cert = protocol.generate_certificate(), protocol.generate_certificate()
        tls = (host_cert.cert_pem, plugin_cert.key_pem, plugin_cert.cert_pem)
        for name, plugin_der in (("GetUser, mutual TLS over TCP", plugin_cert.cert_der),
                                 ("GetUser, unix socket", None)):
            server = HostAPIServer(servicer)
            endpoint = await server.start(host_cert, plugin_der)
            client = HostClient(open_channel(endpoint, tls), cache_seconds=0)
            print(summary(name, await asyncio.to_thread(timed_calls, client, user.id, calls)), flush=True)
            if plugin_der:
                cached = HostClient(open_channel(endpoint, tls))
                print(summary("get_user from the cache", await asyncio.to_thread(timed_calls, cached, user.id,
                                                                                 calls)), flush=True)
                cached.close()
            client.close()
            await server.stop()
        accounts.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    arguments = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(arguments.calls))
    else:
        uvloop.run(main(arguments.calls))
