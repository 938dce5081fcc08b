"""gRPC servicer of the lifecycle hooks (oauthplugin.v1.PluginHooks)."""
from __future__ import annotations

import asyncio
import logging

from oauthplugin.v1 import common_pb2, hooks_pb2, hooks_pb2_grpc

from .runtime import PluginRuntime

log = logging.getLogger("plugin.hooks")

IMPLEMENTED_HOOKS = ["OnActivate", "ConfigurationWillBeSaved", "OnConfigurationChange", "OnDeactivate", "ServeMetrics"]


# The plugin refuses a configuration that would change its database to one it may not serve from.
DATABASE_REFUSED_ID = "plugin.oauth.database.change_refused.app_error"


def _hook_error(hook: str, exc: Exception) -> common_pb2.AppError:
    log.error(f"{hook} failed", exc_info=exc)
    return common_pb2.AppError(
        id=f"plugin.hooks.{hook.lower()}.app_error",
        message=f"The plugin could not complete {hook}: {exc}",
        status_code=500,
    )


class HooksServicer(hooks_pb2_grpc.PluginHooksServicer):
    def __init__(self, runtime: PluginRuntime) -> None:
        self.runtime = runtime

    async def Implemented(self, request, context):
        return hooks_pb2.ImplementedResponse(hooks=IMPLEMENTED_HOOKS)

    async def OnActivate(self, request, context):
        cfg = request.configuration
        try:
            await asyncio.to_thread(self.runtime.activate, cfg.server_config_json, cfg.plugin_config_json,
                                    request.host_api if request.HasField("host_api") else None)
        except Exception as exc:  # the host records the message and marks the plugin failed to start
            return hooks_pb2.OnActivateResponse(error=_hook_error("OnActivate", exc))
        return hooks_pb2.OnActivateResponse()

    async def ConfigurationWillBeSaved(self, request, context):
        from .database import DatabaseRefused

        cfg = request.configuration
        try:
            await asyncio.to_thread(self.runtime.configuration_will_be_saved, cfg.server_config_json,
                                    cfg.plugin_config_json)
        except (DatabaseRefused, ValueError) as exc:  # the change the host was about to save: refused, as said
            log.warning("configuration change refused", extra={"error": str(exc)})
            return hooks_pb2.ConfigurationWillBeSavedResponse(error=common_pb2.AppError(
                id=DATABASE_REFUSED_ID, message=str(exc), status_code=400))
        except Exception as exc:
            return hooks_pb2.ConfigurationWillBeSavedResponse(error=_hook_error("ConfigurationWillBeSaved", exc))
        return hooks_pb2.ConfigurationWillBeSavedResponse()

    async def OnConfigurationChange(self, request, context):
        cfg = request.configuration
        try:
            await asyncio.to_thread(self.runtime.configure, cfg.server_config_json, cfg.plugin_config_json)
        except Exception as exc:
            return hooks_pb2.OnConfigurationChangeResponse(error=_hook_error("OnConfigurationChange", exc))
        return hooks_pb2.OnConfigurationChangeResponse()

    async def OnDeactivate(self, request, context):
        try:
            await asyncio.to_thread(self.runtime.deactivate)
        except Exception as exc:
            return hooks_pb2.OnDeactivateResponse(error=_hook_error("OnDeactivate", exc))
        return hooks_pb2.OnDeactivateResponse()

    async def ServeMetrics(self, request, context):
        from . import metrics

        return hooks_pb2.ServeMetricsResponse(text=metrics.text())
