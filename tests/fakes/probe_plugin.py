"""A stranger on the plugin's machine: a process of the same user that is not the plugin's host. Given the plugin's
pid, it finds every socket the plugin listens on (/proc/<pid>/fd, /proc/net/unix, /proc/net/tcp{,6}) and tries to
call the plugin's RPCs through each: in plaintext, and over TLS trusting whatever certificate the socket presents,
with no client certificate and with one of its own. Prints one JSON object: the endpoints found and every attempt.

    python tests/fakes/probe_plugin.py PID
"""
from __future__ import annotations

import json
import os
import socket
import ssl
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from goplugin import protocol
from oauthplugin.v1 import hooks_pb2, hooks_pb2_grpc

TIMEOUT = 3.0
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp
ACCEPTING = 0x10000  # __SO_ACCEPTCON in /proc/net/unix


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def unix_listeners(pid: int, inodes: set[str]) -> list[str]:
    found = []
    with open(f"/proc/{pid}/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8 and fields[6] in inodes and int(fields[3], 16) & ACCEPTING:
                found.append(fields[7])  # "@name" for an abstract socket
    return found


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{socket.inet_ntop(socket.AF_INET, raw[::-1])}:{int(port, 16)}"
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    if words[:12] == b"\0" * 10 + b"\xff\xff":  # an IPv4-mapped address (a dual-stack socket)
        return f"{socket.inet_ntop(socket.AF_INET, words[12:])}:{int(port, 16)}"
    return f"[{socket.inet_ntop(socket.AF_INET6, words)}]:{int(port, 16)}"


def tcp_listeners(pid: int, inodes: set[str]) -> list[str]:
    found = []
    for table in ("tcp", "tcp6"):
        try:
            f = open(f"/proc/{pid}/net/{table}")
        except FileNotFoundError:
            continue
        with f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == LISTEN and fields[9] in inodes:
                    found.append(_address(fields[1]))
    return found


def _connect(target: str) -> socket.socket:
    if target.startswith("unix:"):
        path = target[len("unix:"):]
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect("\0" + path[1:] if path.startswith("@") else path)
        return sock
    host, port = target.rsplit(":", 1)
    return socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT)


def presented_certificate(target: str) -> bytes | None:
    """The certificate a TLS server on `target` shows anyone who asks (None: not TLS, or no answer)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    try:
        with context.wrap_socket(_connect(target), server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


def calls(channel: grpc.Channel) -> dict[str, str]:
    """Each RPC tried on the channel: "ok" when the plugin answered, else the gRPC status."""
    results = {}
    for name, call in (
        ("Health.Check", lambda: health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=protocol.HEALTH_SERVICE), timeout=TIMEOUT)),
        ("PluginHooks.Implemented", lambda: hooks_pb2_grpc.PluginHooksStub(channel).Implemented(
            hooks_pb2.ImplementedRequest(), timeout=TIMEOUT)),
    ):
        try:
            call()
            results[name] = "ok"
        except grpc.RpcError as exc:
            results[name] = exc.code().name
    return results


def attempts(target: str) -> list[dict]:
    out = []
    options = [("grpc.ssl_target_name_override", "localhost")]
    with grpc.insecure_channel(target) as channel:
        out.append({"target": target, "how": "plaintext", "calls": calls(channel)})
    der = presented_certificate(target)
    if der is not None:
        root = protocol.der_to_pem(der)
        stranger = protocol.generate_certificate()
        for how, credentials in (
            ("tls without a client certificate", grpc.ssl_channel_credentials(root_certificates=root)),
            ("tls with a certificate of its own", grpc.ssl_channel_credentials(
                root_certificates=root, private_key=stranger.key_pem, certificate_chain=stranger.cert_pem)),
        ):
            with grpc.secure_channel(target, credentials, options=options) as channel:
                out.append({"target": target, "how": how, "calls": calls(channel)})
    return out


def main() -> None:
    pid = int(sys.argv[1])
    inodes = socket_inodes(pid)
    unix, tcp = unix_listeners(pid, inodes), tcp_listeners(pid, inodes)
    tried = []
    for target in [f"unix:{path}" for path in unix] + tcp:
        tried.extend(attempts(target))
    print(json.dumps({"probe_pid": os.getpid(), "unix": unix, "tcp": tcp, "attempts": tried}))


if __name__ == "__main__":
    main()
