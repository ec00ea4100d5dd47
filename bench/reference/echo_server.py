#!/usr/bin/env python3
"""Second, optional reference for the bot-echo scenario: the same echo as
echo_server.c (each handover.chat.v1 text message answered with the same
bytes), written with Python `websockets` (asyncio). It shows where a
straightforward high-level implementation lands; run.py uses it when the
project's .venv has `websockets`.

    echo_server.py --port P [--bind 127.0.0.1]
"""
import argparse
import asyncio
import resource
import signal

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port, bind):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(echo, bind, port, subprotocols=["handover.chat.v1", "handover.copilot.v1"],
                     compression=None, ping_interval=None, max_size=65536):
        print(f"echo_server.py listening on {bind}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(a.port, a.bind))
