"""The host's metrics: `/metrics` in Prometheus' text format on a listener of its own (Mattermost's
`MetricsSettings.Enable`, off by default, and `MetricsSettings.ListenAddress`), served with prometheus_client.

One scrape of a node sees the host and its plugins: the host's series, then each running plugin's (its ServeMetrics
hook, hooks.proto), every sample labelled with `plugin_id`. Each node has its own; Prometheus scrapes them all.

Host series:
- `mattermost_http_requests_total{route,method,status_code}` and `mattermost_http_request_duration_seconds{route,
  method}`: every HTTP request, by the route's pattern (`/api/v4/users/{user_id}`), never its concrete path;
- `mattermost_plugin_rpc_duration_seconds{rpc,outcome}`: the gateway's calls into the OAuth plugin (outcome ok,
  app_error, unavailable: no answer in time or none at all, failed: any other gRPC error);
- `mattermost_plugin_state{plugin_id}` (Mattermost's numbers), `mattermost_plugin_enabled`,
  `mattermost_plugin_restarts_total` (restarts after a failed health check or an unexpected exit),
  `mattermost_plugin_metrics_up` (whether the plugin's metrics were read in this scrape);
- `mattermost_oauth_token_cache_{hits,misses,dropped,expired,evicted}_total` and `_entries`: the validated tokens
  the host keeps (token_cache.py).

The request path only increments counters and observes histograms; everything else is read when scraped.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from oauthplugin.v1 import hooks_pb2

from .supervisor import PluginState

log = logging.getLogger("server_stub.metrics")

DEFAULT_LISTEN_ADDRESS = ":8067"  # Mattermost's MetricsSettings.ListenAddress
PLUGIN_METRICS_TIMEOUT_SECONDS = 2.0
_LATENCY_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)


class HostMetrics:
    def __init__(self, host) -> None:
        self.host = host
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("mattermost_http_requests", "HTTP requests, by route pattern, method and status.",
                                ["route", "method", "status_code"], registry=self.registry)
        self.request_seconds = Histogram("mattermost_http_request_duration_seconds", "Time to answer HTTP requests.",
                                         ["route", "method"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.rpc_seconds = Histogram("mattermost_plugin_rpc_duration_seconds", "Time of the host's RPCs into the "
                                     "OAuth plugin, by RPC and outcome.", ["rpc", "outcome"],
                                     buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(_StateCollector(host))
        self._children: dict[tuple, object] = {}  # the label sets' children, made once each

    # --- the request path -------------------------------------------------------------------------------------

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:  # one per route, method and status: the routes are the app's, not the client's
            children = self._children[key] = (self.requests.labels(route, method, str(status)),
                                               self.request_seconds.labels(route, method))
        children[0].inc()
        children[1].observe(seconds)

    def observe_rpc(self, rpc: str, outcome: str, seconds: float) -> None:
        child = self._children.get((rpc, outcome))
        if child is None:
            child = self._children[(rpc, outcome)] = self.rpc_seconds.labels(rpc, outcome)
        child.observe(seconds)

    def middleware(self):
        @web.middleware
        async def count_requests(request: web.Request, handler):
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except (ConnectionError, asyncio.CancelledError):
                status = 499  # the client left before the answer (nginx's number for it)
                raise
            finally:
                self.observe_request(_route_of(request), request.method, status, time.perf_counter() - started)
        return count_requests

    # --- a scrape -----------------------------------------------------------------------------------------------

    async def scrape(self) -> bytes:
        """The host's series, then each running plugin's."""
        plugins = CollectorRegistry(auto_describe=False)
        up: dict[str, bool] = {}
        supervisors = [s for s in self.host.plugins.supervisors.values()
                       if s.state == PluginState.RUNNING and s.process is not None
                       and "ServeMetrics" in getattr(s, "implemented", ())]
        texts = await asyncio.gather(*(_plugin_text(s) for s in supervisors))
        families = []
        for supervisor, text in zip(supervisors, texts):
            up[supervisor.manifest.id] = text is not None
            if text:
                families.extend(_labelled(text, supervisor.manifest.id))
        plugins.register(_Families(families, up))
        return generate_latest(self.registry) + generate_latest(plugins)


def _route_of(request: web.Request) -> str:
    route = getattr(request.match_info, "route", None)
    resource = getattr(route, "resource", None)
    return resource.canonical if resource is not None else "unmatched"


async def _plugin_text(supervisor) -> str | None:
    process = supervisor.process
    try:
        response = await process.hooks.ServeMetrics(hooks_pb2.ServeMetricsRequest(),
                                                    timeout=PLUGIN_METRICS_TIMEOUT_SECONDS)
    except Exception as exc:  # a plugin that cannot answer now: its series are missing from this scrape
        log.warning("plugin metrics not read", extra={"plugin_id": supervisor.manifest.id, "error": str(exc)})
        return None
    if response.HasField("error"):
        return None
    return response.text.decode("utf-8", "replace")


def _labelled(text: str, plugin_id: str) -> list:
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        log.warning("plugin metrics not understood", extra={"plugin_id": plugin_id, "error": str(exc)})
        return []
    for family in families:
        for sample in family.samples:
            sample.labels["plugin_id"] = plugin_id
    return families


class _Families:
    """Collector of metric families read from the plugins in one scrape, and whether each answered."""

    def __init__(self, families: list, up: dict[str, bool]) -> None:
        self.families, self.up = families, up

    def collect(self):
        up = GaugeMetricFamily("mattermost_plugin_metrics_up", "Whether the plugin's metrics were read in this "
                               "scrape.", labels=["plugin_id"])
        for plugin_id, answered in self.up.items():
            up.add_metric([plugin_id], 1 if answered else 0)
        yield up
        yield from self.families


class _StateCollector:
    """Plugin states and the token cache, read at each scrape."""

    def __init__(self, host) -> None:
        self.host = host

    def collect(self):
        env = self.host.plugins
        state = GaugeMetricFamily("mattermost_plugin_state", "The plugin's state (0 not running, 1 starting, "
                                  "2 running, 3 failed to start, 4 failed to stay running, 5 stopping).",
                                  labels=["plugin_id"])
        enabled = GaugeMetricFamily("mattermost_plugin_enabled", "Whether the plugin is enabled.",
                                    labels=["plugin_id"])
        restarts = CounterMetricFamily("mattermost_plugin_restarts", "Restarts of the plugin after a failed health "
                                       "check or an unexpected exit.", labels=["plugin_id"])
        for plugin_id, supervisor in sorted(env.supervisors.items()):
            state.add_metric([plugin_id], int(supervisor.state))
            enabled.add_metric([plugin_id], 1 if env.is_enabled(plugin_id) else 0)
            restarts.add_metric([plugin_id], supervisor.restarts)
        yield from (state, enabled, restarts)
        cache = self.host.gateway.tokens
        for name, value, text in (
                ("hits", cache.hits, "Bearer token lookups the host answered from its cache."),
                ("misses", cache.misses, "Bearer token lookups the host had to ask the plugin for."),
                ("dropped", cache.dropped, "Kept tokens dropped because an RPC may have revoked them."),
                ("expired", cache.expired, "Kept tokens dropped because they aged out or expired."),
                ("evicted", cache.evicted, "Kept tokens dropped to make room.")):
            yield CounterMetricFamily(f"mattermost_oauth_token_cache_{name}", text, value=value)
        yield GaugeMetricFamily("mattermost_oauth_token_cache_entries", "Validated tokens the host keeps.",
                                value=len(cache))


def listen_address(config: dict) -> str | None:
    """Where /metrics is served, or None when MetricsSettings.Enable is off."""
    settings = config.get("MetricsSettings") or {}
    if not settings.get("Enable", False):
        return None
    return str(settings.get("ListenAddress") or DEFAULT_LISTEN_ADDRESS)


class MetricsServer:
    """The metrics listener: started, moved or stopped as MetricsSettings change."""

    def __init__(self, metrics: HostMetrics) -> None:
        self.metrics = metrics
        self.address: str | None = None
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    async def apply(self, config: dict) -> None:
        wanted = listen_address(config)
        async with self._lock:
            if wanted == self.address:
                return
            await self._stop()
            if wanted is None:
                return
            app = web.Application()
            app.router.add_get("/metrics", self._serve)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            host, _, port = wanted.rpartition(":")
            try:
                await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
            except (OSError, ValueError) as exc:
                await runner.cleanup()
                log.error("metrics listener not started", extra={"listen": wanted, "error": str(exc)})
                return
            self._runner, self.address = runner, wanted
            log.info("metrics served", extra={"listen": wanted})

    async def _serve(self, request: web.Request) -> web.Response:
        body = await self.metrics.scrape()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner, self.address = None, None

    async def stop(self) -> None:
        async with self._lock:
            await self._stop()
