"""Hostile input on every RPC of the host's HostAPI (enumerated from host_api.proto, so a new RPC is fuzzed without
being listed), over its real mutual-TLS server with real accounts: random messages and random bytes, as
test_fuzz_rpc.py sends the plugin's RPCs. Each answers its response (an AppError inside, never a 500 or a stack
trace) or, for bytes that are no message of its type, a gRPC error without a stack trace; the server keeps serving."""
from __future__ import annotations

import dataclasses

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goplugin import protocol
from oauthplugin.v1 import host_api_pb2, host_api_pb2_grpc
from server_stub.accounts import Accounts
from server_stub.host_api import HostAPIServer, HostAPIServicer
from tests.faults.test_fuzz_rpc import EXAMPLES, call, check, fuzz_one, invalid_utf8_string_field
from tests.loop_thread import LoopThread

SERVICE = host_api_pb2.DESCRIPTOR.services_by_name["HostAPI"]


@dataclasses.dataclass
class Target:
    channel: grpc.Channel


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """(the HostAPI's channel, as the plugin holds it; unused; values worth trying per field name)."""
    accounts = Accounts(str(tmp_path_factory.mktemp("fuzz-host-api") / "host.db"))
    admin = accounts.create_user("admin@example.com", "admin", "passw0rd!", "system_admin system_user")
    gone = accounts.create_user("gone@example.com", "gone", "passw0rd!")
    accounts.set_active(gone.id, False)
    _, session = accounts.create_session(admin.id, 60_000)
    host_cert, plugin_cert = protocol.generate_certificate(), protocol.generate_certificate()
    loop = LoopThread()
    server = HostAPIServer(HostAPIServicer(accounts, lambda: {"SqlSettings": {"DataSource": "x"}}))
    endpoint = loop.run(server.start(host_cert, plugin_cert.cert_der))
    credentials = grpc.ssl_channel_credentials(root_certificates=host_cert.cert_pem, private_key=plugin_cert.key_pem,
                                               certificate_chain=plugin_cert.cert_pem)
    channel = grpc.secure_channel(endpoint.address, credentials,
                                  options=[("grpc.ssl_target_name_override", "localhost")])
    pool = {"user_id": [admin.id, gone.id], "username": ["admin", "ADMIN", "gone", "admin@example.com"],
            "permission": ["manage_system", "manage_oauth", ""], "session_id": [session.id]}
    yield Target(channel), None, pool
    channel.close()
    loop.run(server.stop())
    loop.close()
    accounts.close()


def test_every_host_api_rpc_answers_invalid_utf8_and_truncated_messages_without_a_stack_trace(target):
    for method in SERVICE.methods:
        for payload in (invalid_utf8_string_field(method.input_type), b"\x0a\xff\xff\xff\xff\x0f", b"\xff"):
            code, details, raw = call(target, SERVICE, method, payload)
            check(method, code, details, raw, was_message=False)


def test_random_host_api_calls_never_answer_500_or_a_stack_trace(target):
    @settings(max_examples=max(50, EXAMPLES // 4), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def run(data):
        fuzz_one(data, target, SERVICE, data.draw(st.sampled_from(list(SERVICE.methods))))

    run()
    answer = host_api_pb2_grpc.HostAPIStub(target[0].channel).GetUser(
        host_api_pb2.GetUserRequest(user_id=target[2]["user_id"][0]), timeout=5)
    assert answer.user.username == "admin"
