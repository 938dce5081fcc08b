"""The RevokeUser calls the host owes its OAuth plugin: a user deactivated while the plugin was disabled, restarting
or not answering. Each is remembered (the systems table, so a host restart keeps it) until the plugin has it, and
delivered when the plugin next activates, before it serves anything. Meanwhile the plugin refuses the user's tokens
by asking the host (HostAPI); without the delivery, reactivating the user would bring their old tokens back.
"""
from __future__ import annotations

import json
import logging

import grpc

from oauthplugin.v1 import token_pb2

log = logging.getLogger("server_stub.revocations")

PENDING_KEY = "PendingOAuthUserRevocations"


def pending(accounts) -> list[str]:
    try:
        users = json.loads(accounts.get_system(PENDING_KEY) or "[]")
    except ValueError:
        return []
    return [u for u in users if isinstance(u, str)] if isinstance(users, list) else []


def remember(accounts, user_id: str) -> None:
    users = pending(accounts)
    if user_id not in users:
        accounts.set_system(PENDING_KEY, json.dumps(users + [user_id]))


def forget(accounts, user_ids) -> None:
    done = set(user_ids)
    users = pending(accounts)
    if done.intersection(users):
        accounts.set_system(PENDING_KEY, json.dumps([u for u in users if u not in done]))


async def deliver(accounts, oauth, timeout: float) -> None:
    """Send every owed RevokeUser to a plugin that has just activated; what fails stays owed."""
    delivered = []
    for user_id in pending(accounts):
        try:
            answer = await oauth.RevokeUser(token_pb2.RevokeUserRequest(user_id=user_id), timeout=timeout)
        except grpc.RpcError as exc:
            log.warning("owed RevokeUser not delivered", extra={"user_id": user_id, "error": exc.code().name})
            break
        if answer.HasField("error"):
            log.warning("owed RevokeUser refused", extra={"user_id": user_id, "error": answer.error.id})
            continue
        delivered.append(user_id)
        log.info("owed RevokeUser delivered", extra={"user_id": user_id})
    forget(accounts, delivered)
