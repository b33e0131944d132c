"""Serve a WSGI app on a loopback port from a background thread (tests, `make run`, the bench).

waitress, not werkzeug's development server: werkzeug closes the connection after every
response, and a SIS behind a load balancer keeps it alive. Reconnecting per request would put
a connection set-up and a thread start on every call, which the bench would then measure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server


@dataclass
class RunningServer:
    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}"

    def stop(self) -> None:
        """Close the listener and every open connection on waitress's own loop thread (closing
        them from here races its select() and can kill the loop, leaking connections)."""
        server = self.server

        def close_all() -> None:
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()

        if self.thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:  # the loop already closed its trigger: it is stopping on its own
                pass
            self.thread.join(timeout=5)
        else:
            close_all()
        server.task_dispatcher.shutdown()


def start(app: Any, *, host: str = "127.0.0.1", port: int = 0, threads: int = 48) -> RunningServer:
    """Start `app` on host:port (0 picks a free port) and return once it listens."""
    server = create_server(app, host=host, port=port, threads=threads, ident="sisbridge",
                           channel_timeout=30, connection_limit=200, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, name=f"wsgi-{server.effective_port}", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread)
