#!/usr/bin/env python3
"""Interop tests of the Python client against real PriceFeed server processes.

    python3 clients/python/tests/test_client.py --server-dll feed-server/bin/Release/net10.0/PriceFeed.Server.dll [scenario ...]

Scenarios: ordered, ordered_json, restart, slow_reader, dead, resume_cut, resume_scripted, resume_lossless, slow_consumer,
token_refresh, bars, bars_json, bars_cut, bars_frame, bars_scripted (default: all). Each starts its own servers on free
ports, signals them by PID (SIGTERM to stop, SIGSTOP/SIGCONT to freeze) and kills whatever is left
in a finally block. Exit code 0 when every scenario passed; a failure prints the server's output.

Over 300 lines because every scenario shares the server, relay and scripted-peer helpers above them, and the
C# test runs them all through this one entry point.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
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

import websockets  # noqa: E402

from pricefeed_client import JSON, PROTO, ConnectionState, PriceFeedClient, to_frame  # noqa: E402
from pricefeed_client import pricefeed_v1_pb2 as pb  # noqa: E402
from pricefeed_client.bars import history_since  # noqa: E402

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
        self.epoch_changes = 0
        self._task = asyncio.ensure_future(self._read())

    def on_resume(self, recovered, snapshotted, epoch_changed):
        """Pass as the client's on_resume: a new epoch starts every symbol's seqs again (docs/protocol.md, "Epoch"),
        so order is checked within one epoch. It runs before the new epoch's first quote reaches the reader."""
        if epoch_changed:
            self.last.clear()
            self.epoch_changes += 1

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
    # The same seed gives the same symbols, and the restarted simulator starts again from seq 1 under a
    # new epoch: the client starts its seq guard again (no quote held back as stale) and converges on
    # the restarted server's quotes; order is checked within each epoch.
    port = free_port()
    first = await ServerProcess(dll, port, "--symbols", "10", "--rate", "500", "--seed", "5",
                                "--heartbeat-ms", HEARTBEAT_MS).started()
    second = None
    states = []
    client = new_client(first.url, states, on_resume=lambda *args: recorder.on_resume(*args))
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
        assert recorder.epoch_changes == 1, f"{recorder.epoch_changes} epoch changes seen, expected the restart's one"
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


class TcpRelay:
    """A TCP relay on 127.0.0.1 in front of a server, so a scenario can cut the client off while the
    server keeps producing quotes: cut() resets every relayed connection and refuses new ones until restore();
    stall() stops relaying bytes both ways, connections open, as a congested path does, until unstall()."""

    def __init__(self, target_port):
        self._target_port = target_port
        self._open = set()
        self._cut = False
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = None
        self.port = None

    async def start(self):
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def cut(self):
        self._cut = True
        for writer in list(self._open):
            writer.transport.abort()

    def restore(self):
        self._cut = False

    def stall(self):
        self._flowing.clear()

    def unstall(self):
        self._flowing.set()

    async def close(self):
        self.cut()
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, client_reader, client_writer):
        if self._cut:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._open.update((client_writer, server_writer))

        async def pump(reader, writer, other):
            try:
                while True:
                    await self._flowing.wait()
                    data = await reader.read(65536)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                # One side ended or was cut: take the other down with it.
                writer.transport.abort()
                other.transport.abort()
                self._open.discard(writer)

        await asyncio.gather(pump(client_reader, server_writer, client_writer),
                             pump(server_reader, client_writer, server_writer))


async def cut_for(relay, server, states, quotes):
    """Cuts the relay, then waits until the client noticed and the server produced ``quotes`` more quotes."""
    relay.cut()
    await until(lambda: any(s == ConnectionState.RECONNECTING for s, _ in states), "the client notices the cut", server)
    processed = server.http_json("/healthz")["quotesProcessed"]
    await until(lambda: server.http_json("/healthz")["quotesProcessed"] >= processed + quotes,
                f"{quotes} quotes while cut off", server)


async def scenario_resume_cut(dll):
    """Cut off by the relay while quotes flow: the reconnect delivers no duplicate and no seq going back, and
    on_resume reports every held symbol once, recovered or snapshotted (which, depends on the server)."""
    server = await ServerProcess(dll, free_port(), "--symbols", "10", "--rate", "1000", "--seed", "13",
                                 "--heartbeat-ms", HEARTBEAT_MS).started()
    relay = await TcpRelay(server.port).start()
    states = []
    resumes = []
    client = new_client(relay.url, states, on_resume=lambda r, s, changed: resumes.append((r, s, changed)))
    try:
        symbols = server.http_json("/api/symbols")
        await client.connect()
        await client.subscribe("*")
        recorder = Recorder(client)
        await until(lambda: recorder.count >= 300 and len(recorder.last) == len(symbols), "300 quotes of every symbol", server)
        await cut_for(relay, server, states, quotes=1000)
        before_restore = recorder.count
        relay.restore()
        await until(lambda: client.state == ConnectionState.CONNECTED and resumes and recorder.count > before_restore + 300,
                    "quotes on the new connection and on_resume", server)
        await recorder.stop()
        assert not recorder.violations, recorder.violations
        assert len(resumes) == 1, resumes
        recovered, snapshotted, changed = resumes[0]
        assert not changed, resumes
        assert sorted(recovered + snapshotted) == sorted(symbols), resumes
        print(f"resume_cut: {len(recovered)} recovered, {len(snapshotted)} snapshotted, {recorder.count} quotes")
    finally:
        await client.close()
        await relay.close()
        server.kill()


def metric(server, name):
    """The value of one sample in the server's /metrics (0 when absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


async def scenario_slow_consumer(dll):
    """The path to the server stalls for half its grace: the server warns (slow_consumer), the client reports
    it through on_slow_consumer and the log once the path flows again, then reports it cleared; no 4001."""
    server = await ServerProcess(dll, free_port(), "--symbols", "20", "--rate", "20000", "--seed", "3",
                                 "--slow-consumer-grace-ms", "3000").started()
    relay = await TcpRelay(server.port).start()
    states = []
    warnings = []
    client = new_client(relay.url, states, on_slow_consumer=lambda *w: warnings.append(w))
    try:
        await client.connect()
        await client.subscribe("*")
        recorder = Recorder(client)
        await until(lambda: recorder.count > 1000, "quotes flowing", server)
        relay.stall()
        await until(lambda: metric(server, 'pricefeed_slow_consumer_warnings_total{kind="warned"}') >= 1,
                    "the server's warning", server)
        relay.unstall()
        await until(lambda: len(warnings) == 2, "the warning, then cleared", server)
        await recorder.stop()
        (queued, limit, close_in_ms, cleared), last = warnings
        assert not cleared and last[3], warnings
        assert 1500 <= close_in_ms <= 3000 and queued > 0 and limit > 0, warnings
        assert metric(server, "pricefeed_slow_consumer_closes_total") == 0
        assert ConnectionState.RECONNECTING not in [s for s, _ in states], states
        assert not recorder.violations, recorder.violations
        print(f"slow_consumer: warned with {queued} of {limit} queued, {close_in_ms} ms ahead; cleared")
    finally:
        await client.close()
        await relay.close()
        server.kill()


async def scenario_go_away(_dll):
    """A server that goes away says when to come back: the client reports it (on_go_away), waits at least that long
    after the 1001 (its own backoff would be 0.1 s), then reconnects and re-subscribes."""
    peer = await ScriptedPeer().start()
    hints = []
    client = PriceFeedClient(peer.url, reconnect_delay=0.1, max_reconnect_delay=0.2,
                             on_go_away=lambda after_ms, reason: hints.append((after_ms, reason)))
    try:
        connecting = asyncio.ensure_future(client.connect())
        first = await peer.accept(scripted_hello("e", 0))
        await connecting
        await first.send(go_away=pb.GoAway(reconnect_after_ms=1500, reason="restart"))
        await until(lambda: hints, "on_go_away")
        closed_at = time.monotonic()
        await first.go_away()
        second = await peer.accept(scripted_hello("e", 0))
        waited = time.monotonic() - closed_at
        assert hints == [(1500, "restart")], hints
        # At least the hint (the jitter and a loaded machine add to it: no upper bound on shared cores).
        assert waited >= 1.5, f"reconnected after {waited:.2f} s, before the hint's 1.5 s"
        await until(lambda: client.state == ConnectionState.CONNECTED, "connected again")
        print(f"go_away: hinted 1.5 s, reconnected after {waited:.2f} s")
        await second.go_away()
    finally:
        await client.close()
        await peer.close()


async def scenario_resume_lossless(dll):
    """Cut off by the relay while quotes flow, against a server that resumes: every symbol is recovered and
    its sequence goes on with every seq once (no gap, no duplicate)."""
    # 20 updates per symbol per second, the default rate's: a second away is far inside the default resume depth.
    server = await ServerProcess(dll, free_port(), "--symbols", "10", "--rate", "200", "--seed", "17",
                                 "--heartbeat-ms", HEARTBEAT_MS).started()
    relay = await TcpRelay(server.port).start()
    states = []
    resumes = []
    gaps = []
    client = new_client(relay.url, states, on_resume=lambda r, s, changed: resumes.append((r, s, changed)),
                        on_gap=lambda symbol, last, new: gaps.append((symbol, last, new)))
    try:
        symbols = server.http_json("/api/symbols")
        await client.connect()
        await client.subscribe("*")
        recorder = Recorder(client)
        await until(lambda: recorder.count >= 100 and len(recorder.last) == len(symbols), "100 quotes of every symbol", server)
        assert client.hello.epoch and client.hello.resume_depth > 0, client.hello
        await cut_for(relay, server, states, quotes=200)
        at_cut = {s: q.seq for s, q in recorder.last.items()}
        relay.restore()
        await until(lambda: client.state == ConnectionState.CONNECTED and resumes
                    and all(s in recorder.last and recorder.last[s].seq > at_cut[s] + 20 for s in symbols),
                    "every symbol well past the cut", server)
        await recorder.stop()
        assert not recorder.violations, recorder.violations
        assert not gaps, gaps
        assert resumes == [(sorted(symbols), [], False)], resumes
        print(f"resume_lossless: {len(symbols)} symbols recovered, {recorder.count} quotes, no gap")
    finally:
        await client.close()
        await relay.close()
        server.kill()


class ScriptedPeer:
    """A WebSocket endpoint whose side of the conversation the scenario writes message by message (a hello
    naming a chosen epoch, a chosen recovered list): client behaviour no real server shows on cue."""

    def __init__(self):
        self._connections = asyncio.Queue()
        self._handlers = []
        self._server = None
        self.url = None

    async def start(self):
        # One-argument handlers: websockets 10.1 and later.
        self._server = await websockets.serve(self._handle, "127.0.0.1", 0, subprotocols=[PROTO])
        self.url = f"ws://127.0.0.1:{next(iter(self._server.sockets)).getsockname()[1]}/ws"
        return self

    async def _handle(self, ws):
        done = asyncio.get_running_loop().create_future()
        self._handlers.append(done)
        await self._connections.put((ws, done))
        await done

    async def accept(self, hello):
        """The client's next connection, greeted with ``hello``."""
        ws, done = await asyncio.wait_for(self._connections.get(), TIMEOUT)
        connection = ScriptedConnection(ws, done)
        await connection.send(hello=hello)
        return connection

    async def close(self):
        # The server waits for its handlers: end the ones still serving.
        for done in self._handlers:
            if not done.done():
                done.set_result(None)
        self._server.close()
        await self._server.wait_closed()


class ScriptedConnection:
    def __init__(self, ws, done):
        self._ws = ws
        self._done = done

    async def send(self, **body):
        await self._ws.send(pb.ServerMessage(**body).SerializeToString())

    async def receive_subscribe(self):
        while True:
            message = pb.ClientMessage.FromString(await asyncio.wait_for(self._ws.recv(), TIMEOUT))
            if message.WhichOneof("body") == "subscribe":
                return message.subscribe

    async def receive(self, kind):
        """The next message of ``kind`` the client sent (pings and others skipped)."""
        while True:
            message = pb.ClientMessage.FromString(await asyncio.wait_for(self._ws.recv(), TIMEOUT))
            if message.WhichOneof("body") == kind:
                return getattr(message, kind)

    async def answer(self, request, recovered=()):
        await self.send(subscribe_result=pb.SubscribeResult(
            request_id=request.request_id, accepted=request.symbols, recovered=recovered))

    async def go_away(self):
        await self._ws.close(1001, "restart")
        if not self._done.done():
            self._done.set_result(None)


def scripted_hello(epoch, resume_depth):
    # A long heartbeat, so that the client's dead-connection check never fires during the scenario.
    return pb.Hello(server_id="scripted", protocol=PROTO, heartbeat_interval_ms=60000, max_symbols_per_client=1000,
                    slow_consumer_policy="conflate", epoch=epoch, resume_depth=resume_depth)


def batch(*quotes):
    return pb.QuoteBatch(quotes=[pb.Quote(symbol=s, seq=q, bid=1, ask=2) for s, q in quotes])


async def read_exactly(quotes, *expected):
    for symbol, seq in expected:
        quote = await asyncio.wait_for(quotes.__anext__(), TIMEOUT)
        assert (quote.symbol, quote.seq) == (symbol, seq), f"read {quote.symbol} {quote.seq}, expected {symbol} {seq}"


async def scenario_resume_scripted(_dll):
    """The resume request, on_resume and the epoch rules, against a scripted peer (docs/clients.md, "Resume")."""
    peer = await ScriptedPeer().start()
    resumes = []
    client = PriceFeedClient(peer.url, reconnect_delay=0.02, max_reconnect_delay=0.05,
                             on_resume=lambda r, s, changed: resumes.append((r, s, changed)))
    try:
        connecting = asyncio.ensure_future(client.connect())
        connection = await peer.accept(scripted_hello("run-1", 100))
        await asyncio.wait_for(connecting, TIMEOUT)
        quotes = client.quotes()

        subscribing = asyncio.ensure_future(client.subscribe("AAA", "BBB"))
        first = await connection.receive_subscribe()
        assert not first.resume and first.epoch == "", first
        await connection.answer(first)
        await asyncio.wait_for(subscribing, TIMEOUT)
        await connection.send(snapshot=batch(("AAA", 5), ("BBB", 7)))
        await connection.send(quotes=batch(("AAA", 6)))
        await read_exactly(quotes, ("AAA", 5), ("BBB", 7), ("AAA", 6))

        # The same epoch, history kept: resume from the last seqs; AAA recovered, BBB snapshotted.
        await connection.go_away()
        connection = await peer.accept(scripted_hello("run-1", 100))
        request = await connection.receive_subscribe()
        assert dict(request.resume) == {"AAA": 6, "BBB": 7} and request.epoch == "run-1", request
        await connection.answer(request, recovered=["AAA"])
        await connection.send(snapshot=batch(("BBB", 12)))
        await connection.send(quotes=batch(("AAA", 7)))
        await read_exactly(quotes, ("BBB", 12), ("AAA", 7))
        await until(lambda: resumes, "on_resume")
        assert resumes.pop() == (["AAA"], ["BBB"], False)

        # The same epoch but no history: no resume request; the repeated snapshot passes the seq guard.
        await connection.go_away()
        connection = await peer.accept(scripted_hello("run-1", 0))
        request = await connection.receive_subscribe()
        assert not request.resume and request.epoch == "", request
        await connection.answer(request)
        await connection.send(snapshot=batch(("AAA", 7), ("BBB", 12)))
        await connection.send(quotes=batch(("BBB", 13)))
        await read_exactly(quotes, ("BBB", 13))
        await until(lambda: resumes, "on_resume")
        assert resumes.pop() == ([], ["AAA", "BBB"], False)

        # A new epoch: no resume for the old one, and the new, lower seqs are delivered, not held back as stale.
        await connection.go_away()
        connection = await peer.accept(scripted_hello("run-2", 100))
        request = await connection.receive_subscribe()
        assert not request.resume and request.epoch == "", request
        await connection.answer(request)
        await connection.send(snapshot=batch(("AAA", 1), ("BBB", 1)))
        await read_exactly(quotes, ("AAA", 1), ("BBB", 1))
        await until(lambda: resumes, "on_resume")
        assert resumes.pop() == ([], ["AAA", "BBB"], True)
        assert client.epoch == "run-2" and client.quotes_ignored_as_stale == 2, (client.epoch, client.quotes_ignored_as_stale)

        # A new epoch announced mid-connection: a fresh hello, then a snapshot that starts again.
        await connection.send(hello=scripted_hello("run-3", 100))
        await connection.send(snapshot=batch(("AAA", 1)))
        await connection.send(quotes=batch(("AAA", 2)))
        await read_exactly(quotes, ("AAA", 1), ("AAA", 2))
        assert resumes.pop() == ([], ["AAA", "BBB"], True)

        # The next reconnect resumes in the new epoch.
        await connection.go_away()
        connection = await peer.accept(scripted_hello("run-3", 100))
        request = await connection.receive_subscribe()
        # BBB had no quote in this epoch yet: nothing to resume it from.
        assert dict(request.resume) == {"AAA": 2} and request.epoch == "run-3", request
        print("resume_scripted: resume requests, on_resume and epoch changes as documented")
    finally:
        await client.close()
        await peer.close()


AUTH_SECRET = "python-test-secret-0123456789-abcdefghijklmnop"


def mint_token(sub, ttl_seconds, secret=AUTH_SECRET):
    """An HS256 JWT as the server's mint-token makes it: sub and exp, whole seconds."""
    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = (part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "."
                     + part(json.dumps({"sub": sub, "exp": int(time.time()) + ttl_seconds}).encode()))
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


async def scenario_token_refresh(dll):
    """Tokens of 3 s, refreshed by the client's token_refresher (one async, one plain callable): both clients stay
    connected past several tokens' exp, with no reconnect, while the server closes expired sessions with 1008."""
    server = await ServerProcess(dll, free_port(), "--symbols", "20", "--rate", "2000", "--seed", "5",
                                 "--heartbeat-ms", HEARTBEAT_MS, "--auth-secret", AUTH_SECRET,
                                 "--token-clock-skew-s", "30").started()
    refreshes = {"async": 0, "plain": 0}

    async def refresh_async():
        refreshes["async"] += 1
        await asyncio.sleep(0)
        return mint_token("alice", 5)

    def refresh_plain():
        refreshes["plain"] += 1
        return mint_token("bob", 5)

    clients, recorders = [], []
    try:
        # 5 s tokens: exp is whole seconds, and each refresh at 80% of what is left must make its round trip on a
        # loaded machine.
        first_exp = int(time.time()) + 5
        for sub, refresher in (("alice", refresh_async), ("bob", refresh_plain)):
            states = []
            client = new_client(server.url, states, token=mint_token(sub, 5), token_refresher=refresher)
            await client.connect()
            clients.append((client, states))
            await client.subscribe("*")
            recorders.append(Recorder(client))
        assert clients[0][0].token_expires_at == first_exp, clients[0][0].token_expires_at
        await asyncio.sleep(first_exp - time.time() + 5)
        for (client, states), recorder in zip(clients, recorders):
            count = recorder.count
            await until(lambda: recorder.count > count + 100, "quotes still flowing after the first token's exp", server)
            assert [state for state, _ in states] == [ConnectionState.CONNECTED], states
            assert client.token_expires_at > first_exp + 2, (client.token_expires_at, first_exp)
            assert not recorder.violations, recorder.violations
        assert refreshes["async"] >= 2 and refreshes["plain"] >= 2, refreshes
        print(f"token_refresh: {refreshes} refreshes, connected past the first token's exp "
              f"({', '.join(str(r.count) for r in recorders)} quotes)")
    finally:
        for recorder in recorders:
            await recorder.stop()
        for client, _ in clients:
            await client.close()
        server.kill()


class BarCheck:
    """Collects bars (pass ``add`` as on_bar, or ``read`` a client's bars()) and checks the client's promise per symbol
    and interval as they come: each closed bar starts one interval after the previous closed one (no gap, no repeat),
    and a bar in progress starts after the last closed one."""

    def __init__(self):
        self.all = []
        self.closed = {}
        self.violations = []
        self._task = None

    def add(self, bar):
        closed = self.closed.setdefault((bar.symbol, bar.interval_s), [])
        if closed:
            last = closed[-1].start_ns
            if bar.closed and bar.start_ns != last + bar.interval_s * 1_000_000_000:
                self.violations.append(f"{bar.symbol}/{bar.interval_s}s: closed bar at {bar.start_ns} after {last}")
            elif not bar.closed and bar.start_ns <= last:
                self.violations.append(f"{bar.symbol}/{bar.interval_s}s: bar in progress at {bar.start_ns} after {last}")
        if bar.closed:
            closed.append(bar)
        self.all.append(bar)

    def read(self, client):
        async def read():
            async for bar in client.bars():
                self.add(bar)
        self._task = asyncio.ensure_future(read())
        return self

    def fewest_closed(self, symbols, interval_s=1):
        """Closed bars of the symbol with the fewest; raises the reader's failure at once."""
        if self._task is not None and self._task.done() and not self._task.cancelled() and self._task.exception():
            raise self._task.exception()
        return min(len(self.closed.get((s, interval_s), [])) for s in symbols)

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def bar_server(dll, seed):
    """5 symbols that trade often: 1 s bars fill at once."""
    return ServerProcess(dll, free_port(), "--symbols", "5", "--rate", "200", "--seed", str(seed),
                         "--heartbeat-ms", HEARTBEAT_MS).started()


async def scenario_bars(dll, subprotocol=PROTO):
    """History (the closed bars an earlier client read), then bars in progress and each bar closed, in both
    subprotocols; an interval the server does not offer is rejected."""
    server = await bar_server(dll, 31)
    early, client = PriceFeedClient(server.url, subprotocol=subprotocol), PriceFeedClient(server.url, subprotocol=subprotocol)
    earlier, check = BarCheck(), BarCheck()
    try:
        symbols = server.http_json("/api/symbols")
        await early.connect()
        await early.subscribe_bars("*", 1)
        earlier.read(early)
        await until(lambda: earlier.fewest_closed(symbols) >= 3, "3 closed bars of every symbol", server)

        await client.connect()
        result = await client.subscribe_bars(symbols + ["NO.SUCH"], 1, history=2)
        assert list(result.accepted) == symbols, result
        assert [(r.symbol, r.reason) for r in result.rejected] == [("NO.SUCH", "unknown_symbol")], result
        check.read(client)
        await until(lambda: check.fewest_closed(symbols) >= 4 and any(not b.closed for b in check.all),
                    "the history, bars in progress and 2 more closed bars of every symbol", server)
        refused = await client.subscribe_bars(symbols[0], 2)
        assert [(r.symbol, r.reason) for r in refused.rejected] == [(symbols[0], "interval_not_offered")], refused
        await earlier.stop()
        await check.stop()
        assert not check.violations and not earlier.violations, check.violations + earlier.violations
        for symbol in symbols:
            # The history is the earlier client's closed bars, the same values.
            earlier_bars = {b.start_ns: b for b in earlier.closed[(symbol, 1)]}
            for bar in check.closed[(symbol, 1)][:2]:
                assert bar == earlier_bars[bar.start_ns], (bar, earlier_bars.get(bar.start_ns))
            for bar in check.closed[(symbol, 1)]:
                assert bar.low <= min(bar.open, bar.close) and bar.high >= max(bar.open, bar.close), bar
        assert any(not b.closed and b.volume > 0 for b in check.all), "a bar in progress with trades"
        assert client.bar_subscriptions == {(s, 1) for s in symbols} and not client.subscriptions, client.bar_subscriptions
        print(f"bars ({subprotocol}): {len(check.all)} bars, {sum(map(len, check.closed.values()))} closed, "
              "history as read before, in order")
    finally:
        await early.close()
        await client.close()
        server.kill()


async def scenario_bars_cut(dll):
    """Cut off by the relay mid-interval for more than two intervals: through on_bar, every closed bar comes exactly
    once, consecutive, with no gap; the overlap of the history asked for after the reconnect is dropped."""
    server = await bar_server(dll, 33)
    relay = await TcpRelay(server.port).start()
    states = []
    check = BarCheck()
    client = new_client(relay.url, states, on_bar=check.add)
    try:
        symbols = server.http_json("/api/symbols")
        await client.connect()
        await client.subscribe_bars(["*"], 1, history=1)
        await until(lambda: check.fewest_closed(symbols) >= 2, "2 closed bars of every symbol", server)
        closed_at_cut = {s: len(check.closed[(s, 1)]) for s in symbols}
        # Mid-interval (the simulator stamps quotes with this machine's clock): the bar in progress closes while away.
        await asyncio.sleep((1.5 - time.time() % 1) % 1)
        cut_at = time.monotonic()
        relay.cut()
        await until(lambda: any(s == ConnectionState.RECONNECTING for s, _ in states), "the client notices the cut", server)
        await asyncio.sleep(max(0.0, 2.5 - (time.monotonic() - cut_at)))
        relay.restore()
        await until(lambda: client.state == ConnectionState.CONNECTED
                    and all(len(check.closed[(s, 1)]) >= closed_at_cut[s] + 5 for s in symbols),
                    "5 more closed bars of every symbol after the cut", server)
        assert not check.violations, check.violations
        for symbol in symbols:
            starts = [b.start_ns for b in check.closed[(symbol, 1)]]
            assert all(b - a == 1_000_000_000 for a, b in zip(starts, starts[1:])), (symbol, starts)
        assert client.bars_ignored_as_stale > 0, "the re-subscribe's history overlapped what was delivered"
        assert client.buffered_bars == 0, "with on_bar, nothing waits for bars()"
        print(f"bars_cut: {sum(map(len, check.closed.values()))} closed bars, each once, no gap; "
              f"{client.bars_ignored_as_stale} dropped as the overlap")
    finally:
        await client.close()
        await relay.close()
        server.kill()


async def scenario_bars_frame(dll):
    """to_frame: a DataFrame indexed by bar start (UTC), one row per bar; without pandas, an ImportError naming it."""
    server = await bar_server(dll, 35)
    client = PriceFeedClient(server.url)
    check = BarCheck()
    try:
        symbols = server.http_json("/api/symbols")
        await client.connect()
        await client.subscribe_bars(["*"], 1)
        check.read(client)
        await until(lambda: check.fewest_closed(symbols) >= 3, "3 closed bars of every symbol", server)
        await check.stop()
        bars = [bar for bar in check.all if bar.closed]
        frame = to_frame(bars)
        assert list(frame.columns) == ["symbol", "interval", "open", "high", "low", "close", "volume", "trades",
                                       "closed"], list(frame.columns)
        assert frame.index.name == "start" and str(frame.index.tz) == "UTC", (frame.index.name, frame.index.tz)
        assert len(frame) == len(bars) and frame["closed"].all(), frame
        first = frame.iloc[0]
        assert (first["symbol"], first["interval"], first["open"], first["close"], first["volume"], first["trades"]) == (
            bars[0].symbol, 1, bars[0].open, bars[0].close, bars[0].volume, bars[0].trades), (first, bars[0])
        assert frame.index[0].value == bars[0].start_ns, (frame.index[0], bars[0].start_ns)
        one = frame[frame["symbol"] == symbols[0]]
        assert one.index.is_monotonic_increasing and len(one) >= 3, one

        # pandas is optional: without it, to_frame says what to install.
        saved = sys.modules.get("pandas")
        sys.modules["pandas"] = None
        try:
            to_frame(bars)
            raise AssertionError("to_frame worked without pandas")
        except ImportError as error:
            assert "python3-pandas" in str(error) and "pip install pandas" in str(error), error
        finally:
            sys.modules["pandas"] = saved
        print(f"bars_frame: {len(frame)} rows of {frame['symbol'].nunique()} symbols, indexed by UTC start; "
              "an ImportError naming python3-pandas without pandas")
    finally:
        await client.close()
        server.kill()


async def scenario_bars_scripted(_dll):
    """The bar guard and re-subscribe against a scripted peer, exactly: the history asked for after a reconnect per
    series, the overlap dropped, and series a refreshed token no longer covers not asked for again."""
    second = 1_000_000_000
    peer = await ScriptedPeer().start()
    client = PriceFeedClient(peer.url, reconnect_delay=0.02, max_reconnect_delay=0.05)

    def batch_of(*bars):
        return pb.BarBatch(bars=[pb.Bar(symbol=s, interval_s=1, start_ns=t, open=1, high=2, low=0.5, close=1.5,
                                        volume=10, trades=2, closed=c) for s, t, c in bars])

    async def read(bars, *expected):
        for symbol, start, closed in expected:
            bar = await asyncio.wait_for(bars.__anext__(), TIMEOUT)
            assert (bar.symbol, bar.start_ns, bar.closed) == (symbol, start, closed), (bar, symbol, start, closed)

    try:
        connecting = asyncio.ensure_future(client.connect())
        connection = await peer.accept(scripted_hello("e", 0))
        await asyncio.wait_for(connecting, TIMEOUT)
        bars = client.bars()
        subscribing = asyncio.ensure_future(client.subscribe_bars(["AAA", "BBB", "CCC"], 1, history=2))
        request = await connection.receive("subscribe_bars")
        assert (list(request.symbols), request.interval_s, request.history) == (["AAA", "BBB", "CCC"], 1, 2), request
        await connection.send(subscribe_result=pb.SubscribeResult(request_id=request.request_id, accepted=request.symbols))
        await asyncio.wait_for(subscribing, TIMEOUT)
        t = time.time_ns() // second * second - 3 * second
        await connection.send(bars=batch_of(("AAA", t, True), ("BBB", t - second, True), ("AAA", t + second, False)))
        await read(bars, ("AAA", t, True), ("BBB", t - second, True), ("AAA", t + second, False))

        # docs/protocol.md, "Token refresh": request id 0 lists what the server dropped; its bars stop too.
        await connection.send(subscribe_result=pb.SubscribeResult(
            rejected=[pb.Rejection(symbol="CCC", reason="not_entitled")]))
        await until(lambda: client.bar_subscriptions == {("AAA", 1), ("BBB", 1)}, "the client forgets CCC's bars")

        before = time.time_ns()
        await connection.go_away()
        connection = await peer.accept(scripted_hello("e", 0))
        requests = [await connection.receive("subscribe_bars") for _ in range(2)]
        after = time.time_ns()
        for request in requests:
            last = {"AAA": t, "BBB": t - second}[request.symbols[0]]
            assert len(request.symbols) == 1 and request.interval_s == 1, request
            assert history_since(last, 1, before) <= request.history <= history_since(last, 1, after), (request, last)
            await connection.send(subscribe_result=pb.SubscribeResult(request_id=request.request_id,
                                                                      accepted=request.symbols))
        # The history overlaps what was read: the overlap and a bar in progress it closed are dropped.
        await connection.send(bars=batch_of(("AAA", t, True), ("AAA", t + second, True), ("BBB", t - second, True),
                                            ("BBB", t, True), ("AAA", t + second, False), ("AAA", t + 2 * second, False)))
        await read(bars, ("AAA", t + second, True), ("BBB", t, True), ("AAA", t + 2 * second, False))
        assert client.bars_ignored_as_stale == 3, client.bars_ignored_as_stale
        print(f"bars_scripted: histories {sorted(r.history for r in requests)} after the reconnect, the overlap dropped")
        await connection.go_away()
    finally:
        await client.close()
        await peer.close()


SCENARIOS = {
    "ordered": scenario_ordered,
    "ordered_json": lambda dll: scenario_ordered(dll, JSON),
    "restart": scenario_restart,
    "slow_reader": scenario_slow_reader,
    "dead": scenario_dead,
    "resume_cut": scenario_resume_cut,
    "resume_scripted": scenario_resume_scripted,
    "resume_lossless": scenario_resume_lossless,
    "slow_consumer": scenario_slow_consumer,
    "go_away": scenario_go_away,
    "token_refresh": scenario_token_refresh,
    "bars": scenario_bars,
    "bars_json": lambda dll: scenario_bars(dll, JSON),
    "bars_cut": scenario_bars_cut,
    "bars_frame": scenario_bars_frame,
    "bars_scripted": scenario_bars_scripted,
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
