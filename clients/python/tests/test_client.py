#!/usr/bin/env python3
"""Interop tests of the Python client against real PriceFeed server processes.

    python3 clients/python/tests/test_client.py --server-dll feed-server/bin/Release/net10.0/PriceFeed.Server.dll [scenario ...]

Scenarios: ordered, ordered_json, restart, slow_reader, dead (default: all). Each starts its own servers on free
ports, signals them by PID (SIGTERM to stop, SIGSTOP/SIGCONT to freeze) and kills whatever is left
in a finally block. Exit code 0 when every scenario passed; a failure prints the server's output.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pricefeed_client import JSON, PROTO, ConnectionState, PriceFeedClient  # noqa: E402

TIMEOUT = 30.0  # seconds; generous, so that a busy build machine cannot fail a correct test
HEARTBEAT_MS = "500"  # a dead connection is found in about 1.5 s instead of 45 s


class ServerProcess:
    """A feed server process on 127.0.0.1, signalled by PID."""

    def __init__(self, dll, port, *arguments):
        self.port = port
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(["dotnet", dll, "--port", str(port), *arguments],
                                         stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def output(self):
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def http_json(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
            return json.load(response)

    async def quiet(self, duration):
        """Waits until the simulator has stopped and the fan-out has sent everything on. The simulator
        produces rate x duration quotes and may need longer than the duration on a busy machine, so
        "quiet" is a processed count that stays the same for half a second, not the clock."""
        seen = {"processed": -1, "since": time.monotonic()}

        def settled():
            health = self.http_json("/healthz")
            if health["quotesProcessed"] != seen["processed"]:
                seen["processed"], seen["since"] = health["quotesProcessed"], time.monotonic()
            return (health["uptimeSeconds"] > duration and health["ringLag"] == 0
                    and time.monotonic() - seen["since"] > 0.5)
        await until(settled, "the server's source has gone quiet", self)

    async def started(self):
        def healthy():
            if self._process.poll() is not None:
                raise AssertionError(f"the server exited with {self._process.returncode}")
            try:
                return self.http_json("/healthz")["status"] == "serving"
            except (urllib.error.URLError, ConnectionError):
                return False
        await until(healthy, f"the server on port {self.port} serves /healthz", self)
        return self

    def stop(self):
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=15)

    def freeze(self):
        os.kill(self._process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self._process.pid, signal.SIGCONT)

    def kill(self):
        if self._process.poll() is None:
            self.thaw()
            self._process.kill()
            self._process.wait(timeout=10)
        self._log.close()


class Recorder:
    """Reads the client's quotes in a task; records seq order violations, states and the last quote per symbol."""

    def __init__(self, client):
        self.client = client
        self._count = 0
        self.last = {}
        self.violations = []
        self.states = []
        self._task = asyncio.ensure_future(self._read())

    async def _read(self):
        async for quote in self.client.quotes():
            previous = self.last.get(quote.symbol)
            if previous is not None and quote.seq <= previous.seq:
                self.violations.append(f"{quote.symbol}: seq {quote.seq} after {previous.seq}")
            self.last[quote.symbol] = quote
            self._count += 1

    @property
    def count(self):
        """Quotes read so far; raises the reader's failure, so that a closed client fails the scenario at once."""
        if self._task.done() and not self._task.cancelled() and self._task.exception() is not None:
            raise self._task.exception()
        return self._count

    async def stop(self):
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(condition, what, server=None):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT} s waiting until {what}"
                                 + (f"\n--- server output ---\n{server.output()}" if server else ""))
        await asyncio.sleep(0.05)


def new_client(url, states, **options):
    return PriceFeedClient(url, reconnect_delay=0.1, max_reconnect_delay=0.5,
                           on_state=lambda state, cause: states.append((state, cause)), **options)


async def scenario_ordered(dll, subprotocol=PROTO):
    server = await ServerProcess(dll, free_port(), "--symbols", "20", "--rate", "2000", "--seed", "11",
                                 "--heartbeat-ms", HEARTBEAT_MS).started()
    try:
        symbols = server.http_json("/api/symbols")[:5]
        async with PriceFeedClient(server.url, subprotocol=subprotocol) as client:
            result = await client.subscribe(*symbols, "NO.SUCH")
            assert list(result.accepted) == symbols, result
            assert [(r.symbol, r.reason) for r in result.rejected] == [("NO.SUCH", "unknown_symbol")], result
            assert client.hello.protocol == subprotocol, client.hello
            recorder = Recorder(client)
            await until(lambda: recorder.count >= 300, "300 quotes arrived", server)
            await recorder.stop()
            assert not recorder.violations, recorder.violations
            assert set(recorder.last) <= set(symbols), set(recorder.last)
            print(f"ordered ({subprotocol}): {recorder.count} quotes of {len(recorder.last)} symbols, seq increasing")
    finally:
        server.kill()


async def scenario_restart(dll):
    # The same seed gives the same symbols, and the restarted simulator replays the same quotes from
    # seq 1: at ten times the rate it soon passes every seq the client saw, then stops (--duration).
    port = free_port()
    first = await ServerProcess(dll, port, "--symbols", "10", "--rate", "500", "--seed", "5",
                                "--heartbeat-ms", HEARTBEAT_MS).started()
    second = None
    states = []
    client = new_client(first.url, states)
    try:
        await client.connect()
        await client.subscribe("*")
        recorder = Recorder(client)
        await until(lambda: recorder.count >= 200, "200 quotes from the first server", first)
        first.stop()
        await until(lambda: any(s == ConnectionState.RECONNECTING for s, _ in states),
                    "the client notices the server is gone", first)
        before_restart = recorder.count

        second = await ServerProcess(dll, port, "--symbols", "10", "--rate", "5000", "--seed", "5",
                                     "--duration", "3", "--heartbeat-ms", HEARTBEAT_MS).started()
        await until(lambda: client.state == ConnectionState.CONNECTED and recorder.count > before_restart,
                    "quotes from the restarted server", second)
        await second.quiet(3)

        snapshot = await take_snapshot(second)
        await until(lambda: all(recorder.last.get(s) == q for s, q in snapshot.items()),
                    "the client holds the server's latest quote of every symbol", second)
        await recorder.stop()
        assert not recorder.violations, recorder.violations
        print(f"restart: {recorder.count} quotes, {client.quotes_ignored_as_stale} stale ignored, "
              f"converged on {len(snapshot)} symbols")
    finally:
        await client.close()
        first.kill()
        if second is not None:
            second.kill()


async def scenario_slow_reader(dll):
    capacity = 8
    server = await ServerProcess(dll, free_port(), "--symbols", "5", "--rate", "2000", "--seed", "9",
                                 "--duration", "2", "--heartbeat-ms", HEARTBEAT_MS).started()
    try:
        gaps = []
        async with PriceFeedClient(server.url, buffer_capacity=capacity,
                                   on_gap=lambda symbol, last, new: gaps.append(symbol)) as client:
            await client.subscribe("*")
            # Nobody reads while the source runs: the buffer fills, then conflates.
            await server.quiet(2)
            snapshot = await take_snapshot(server)
            await until(lambda: client.quotes_conflated > 0, "the buffer conflated", server)
            buffered = client.buffered_quotes
            assert 1 <= buffered <= capacity + len(snapshot), buffered

            last = {}
            quotes = client.quotes()
            for _ in range(buffered):
                quote = await quotes.__anext__()
                assert quote.symbol not in last or quote.seq > last[quote.symbol].seq, quote
                last[quote.symbol] = quote
            assert last == snapshot, (last, snapshot)
            assert gaps, "the conflated updates show as gaps"
            print(f"slow_reader: {client.quotes_conflated} conflated, {buffered} buffered, {len(gaps)} gaps, converged")
    finally:
        server.kill()


async def scenario_dead(dll):
    server = await ServerProcess(dll, free_port(), "--symbols", "10", "--rate", "500", "--seed", "3",
                                 "--heartbeat-ms", HEARTBEAT_MS).started()
    states = []
    # A frozen server accepts TCP connections (the kernel does) but never answers the upgrade.
    client = new_client(server.url, states, connect_timeout=2)
    try:
        await client.connect()
        await client.subscribe("*")
        recorder = Recorder(client)
        await until(lambda: recorder.count >= 100, "100 quotes", server)
        server.freeze()
        try:
            await until(lambda: any(s == ConnectionState.RECONNECTING and "presumed dead" in str(c) for s, c in states),
                        "the client declares the silent connection dead", server)
        finally:
            server.thaw()
        after_thaw = recorder.count
        await until(lambda: client.state == ConnectionState.CONNECTED and recorder.count > after_thaw + 100,
                    "quotes on a new connection", server)
        await recorder.stop()
        assert not recorder.violations, recorder.violations
        print(f"dead: detected ({next(str(c) for s, c in states if c is not None)}), replaced, {recorder.count} quotes")
    finally:
        await client.close()
        server.kill()


async def take_snapshot(server):
    """A fresh client's first quote of each symbol: the snapshot, as the source is quiet."""
    symbols = server.http_json("/api/symbols")
    snapshot = {}
    async with PriceFeedClient(server.url) as fresh:
        await fresh.subscribe("*")
        quotes = fresh.quotes()
        while len(snapshot) < len(symbols):
            quote = await asyncio.wait_for(quotes.__anext__(), TIMEOUT)
            snapshot.setdefault(quote.symbol, quote)
    return snapshot


SCENARIOS = {
    "ordered": scenario_ordered,
    "ordered_json": lambda dll: scenario_ordered(dll, JSON),
    "restart": scenario_restart,
    "slow_reader": scenario_slow_reader,
    "dead": scenario_dead,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-dll", required=True)
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; expected any of {', '.join(SCENARIOS)}")
    failed = 0
    for name in args.scenarios or SCENARIOS:
        try:
            asyncio.run(SCENARIOS[name](args.server_dll))
        except Exception as error:  # noqa: BLE001 - report every scenario, then fail
            failed += 1
            print(f"FAILED {name}: {type(error).__name__}: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
