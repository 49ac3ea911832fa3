#!/usr/bin/env python3
"""Interop check: the Debian python3-websockets client against a PriceFeed server.

Usage: /usr/bin/python3 ws_client.py ws://127.0.0.1:PORT/ws

Speaks the pricefeed.v1.json subprotocol (proto3 canonical JSON), so no generated code is needed.
Checks, in order: the negotiated subprotocol, hello first with its fields, ping -> pong echoing
clientTimeNs, a message sent in three fragments, a clean close with 1000. Prints each check;
exits 0 when all pass, 1 otherwise.
"""
import asyncio
import json
import sys

import websockets

SUBPROTOCOL = "pricefeed.v1.json"
TIMEOUT_S = 15  # generous: the machine running the tests may be busy


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


async def receive_json(ws):
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT_S)
    check(isinstance(frame, str), f"message arrives as a text frame ({type(frame).__name__})")
    return json.loads(frame)


async def main(uri):
    async with websockets.connect(uri, subprotocols=[SUBPROTOCOL], open_timeout=TIMEOUT_S, close_timeout=TIMEOUT_S) as ws:
        check(ws.subprotocol == SUBPROTOCOL, f"subprotocol negotiated: {ws.subprotocol}")

        hello = await receive_json(ws)
        check("hello" in hello, f"first message is hello: {hello}")
        body = hello["hello"]
        check(body.get("protocol") == SUBPROTOCOL, "hello names the negotiated subprotocol")
        check(int(body.get("heartbeatIntervalMs", 0)) > 0, "hello announces the heartbeat interval")
        check(body.get("slowConsumerPolicy") in ("conflate", "drop"), "hello announces the slow-consumer policy")

        # int64 travels as a JSON string in proto3 canonical JSON.
        await ws.send(json.dumps({"ping": {"clientTimeNs": "123"}}))
        pong = await receive_json(ws)
        check(pong.get("pong", {}).get("clientTimeNs") == "123", f"pong echoes clientTimeNs: {pong}")
        check(int(pong["pong"].get("serverTimeNs", "0")) > 0, "pong carries the server time")

        # An iterable is sent as one message in several frames (a text frame, then continuations).
        text = json.dumps({"ping": {"clientTimeNs": "456"}})
        await ws.send([text[:5], text[5:12], text[12:]])
        pong = await receive_json(ws)
        check(pong.get("pong", {}).get("clientTimeNs") == "456", "a message in three fragments is understood")

        await ws.close(code=1000, reason="interop done")
        check(ws.close_code == 1000, f"clean close echoed with {ws.close_code}")
    print("python interop: all checks passed", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1]))
    except Exception as error:  # any failure, including timeouts and protocol errors, is a failed check
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
