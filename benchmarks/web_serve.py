"""Serve an ASGI app with uvicorn's worker processes, for ``make bench-web``.

``uvicorn --workers N`` binds its listening socket with ``proto`` 0, so asyncio never turns on
TCP_NODELAY for the accepted connections and every keep-alive response after the first waits
about 40 ms for the client's delayed ACK (uvicorn issue #3149, open as of uvicorn 0.54). Here
the socket is made with ``IPPROTO_TCP``, which is all the fix needs; the rest is uvicorn's own
supervisor, as ``--workers`` runs it.

    python benchmarks/web_serve.py APP PORT WORKERS [--factory] [--app-dir DIR]
"""

from __future__ import annotations

import argparse
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("port", type=int)
    parser.add_argument("workers", type=int)
    parser.add_argument("--factory", action="store_true")
    parser.add_argument("--app-dir", default="")
    args = parser.parse_args()
    if args.app_dir:
        sys.path.insert(0, args.app_dir)
    config = uvicorn.Config(
        args.app,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        factory=args.factory,
        log_level="warning",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.set_inheritable(True)
    server = uvicorn.Server(config)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


if __name__ == "__main__":
    main()
