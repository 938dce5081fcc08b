"""An asyncio event loop on a thread of its own: the host's loop, while the test's thread plays the plugin (whose
HostAPI client is synchronous and would block a loop it shared with the host)."""
from __future__ import annotations

import asyncio
import threading


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="host-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30):
        """Run the coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
