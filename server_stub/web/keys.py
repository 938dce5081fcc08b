"""Keys of the values every handler finds on `request.app`."""
from __future__ import annotations

from aiohttp import web

HOST_KEY = web.AppKey("host", object)
LOCAL_MODE_KEY = web.AppKey("local_mode", bool)
