"""RFC 8414 authorization server metadata (GET /.well-known/oauth-authorization-server), derived from the
registry."""
from __future__ import annotations

from .base import Endpoint


class MetadataEndpoint(Endpoint):
    name = "metadata"

    def handle(self) -> dict:
        return self.server.metadata()
