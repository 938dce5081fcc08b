"""The gRPC servicers of the plugin's OAuth services, one module per area of the contract (proto/oauthplugin/v1/:
apps, authorize, token, discovery, audit, openid, device, par). Each translates messages to the domain's calls and
back; `calls` runs those calls and turns every failure into the response's AppError."""
from __future__ import annotations

from ..runtime import PluginRuntime
from .apps import AppsServicer
from .audit import AuditServicer
from .authorize import AuthorizeServicer
from .calls import ProviderCalls
from .device import DeviceServicer
from .discovery import DiscoveryServicer
from .openid import OpenIDServicer
from .par import PushedAuthorizationServicer
from .token import TokenServicer


def servicers(runtime: PluginRuntime) -> list:
    """One servicer per service, sharing one way to run domain calls (and its thread pool)."""
    calls = ProviderCalls(runtime)
    return [AppsServicer(calls), AuthorizeServicer(calls), TokenServicer(calls), DiscoveryServicer(calls),
            AuditServicer(calls), OpenIDServicer(calls), DeviceServicer(calls), PushedAuthorizationServicer(calls)]
