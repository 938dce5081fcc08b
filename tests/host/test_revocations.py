"""The RevokeUser calls the host owes its plugin (server_stub/revocations.py): remembered across restarts of the
host, delivered at the plugin's activation, kept when they cannot be delivered."""
from __future__ import annotations

import grpc
import pytest

from oauthplugin.v1 import common_pb2
from server_stub import revocations
from server_stub.accounts import Accounts


class Unreachable(grpc.RpcError):
    def code(self):
        return grpc.StatusCode.UNAVAILABLE


class Plugin:
    """The TokenService stub of a plugin that just activated; `refuse` / `fail_after` script its answers."""

    def __init__(self, refuse=(), fail_after: int | None = None) -> None:
        self.received: list[str] = []
        self.refuse, self.fail_after = set(refuse), fail_after

    async def RevokeUser(self, request, timeout):
        if self.fail_after is not None and len(self.received) >= self.fail_after:
            raise Unreachable()
        self.received.append(request.user_id)
        if request.user_id in self.refuse:
            return common_pb2.StatusResponse(error=common_pb2.AppError(id="x", status_code=500))
        return common_pb2.StatusResponse()


@pytest.fixture
def accounts(tmp_path):
    accounts = Accounts(str(tmp_path / "host.db"))
    yield accounts
    accounts.close()


def test_owed_revocations_survive_a_restart_of_the_host(tmp_path, accounts):
    revocations.remember(accounts, "a" * 26)
    revocations.remember(accounts, "a" * 26)
    revocations.remember(accounts, "b" * 26)
    accounts.close()
    again = Accounts(str(tmp_path / "host.db"))
    try:
        assert revocations.pending(again) == ["a" * 26, "b" * 26]
    finally:
        again.close()


async def test_delivery_forgets_what_the_plugin_took_and_keeps_the_rest(accounts):
    for user_id in ("a" * 26, "b" * 26, "c" * 26):
        revocations.remember(accounts, user_id)
    plugin = Plugin(refuse={"b" * 26}, fail_after=2)
    await revocations.deliver(accounts, plugin, timeout=1)
    assert plugin.received == ["a" * 26, "b" * 26]
    assert revocations.pending(accounts) == ["b" * 26, "c" * 26]
    await revocations.deliver(accounts, Plugin(), timeout=1)
    assert revocations.pending(accounts) == []


def test_a_damaged_record_owes_nothing(accounts):
    accounts.set_system(revocations.PENDING_KEY, "{not json")
    assert revocations.pending(accounts) == []
    accounts.set_system(revocations.PENDING_KEY, '{"a": 1}')
    assert revocations.pending(accounts) == []
