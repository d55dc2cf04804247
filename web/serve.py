"""``wenze serve``: the review application under uvicorn, one process.

One process, because sessions and login throttling live in its memory (``web.sessions``).
``proxy_headers``: behind a TLS-terminating proxy on this machine, X-Forwarded-Proto makes
the request https, so the session cookie gets ``Secure`` (``--secure-cookies auto``).
"""

from __future__ import annotations

import uvicorn
from sqlalchemy import Engine

from web.app import create_app
from web.config import WebConfig


def serve(store: Engine, host: str, port: int, config: WebConfig) -> None:
    uvicorn.run(create_app(store, config), host=host, port=port, proxy_headers=True,
                workers=1, log_level="info", server_header=False)
