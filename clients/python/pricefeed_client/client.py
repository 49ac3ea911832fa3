"""PriceFeed client for quant scripts: ordered quotes that survive reconnects.

Model (the same as the C# PriceFeed.Client):

* Quotes come from one async iterator, ``client.quotes()``. Per symbol, ``seq`` strictly increases
  in what it yields, also across reconnects: a quote not newer than one already accepted for its
  symbol (typically a snapshot repeat after a reconnect) is ignored.
* Gaps and connection states are callbacks. ``on_gap(symbol, last_seq, new_seq)`` runs in the
  reader, just before the quote that reveals the gap is yielded. ``on_state(state, cause)`` runs on
  the connection task. Both should return quickly.
* A lost connection is replaced after an exponential backoff with full jitter; every subscription
  is sent again and the snapshot brings each symbol up to date. Refusals that would repeat (HTTP
  401/403; close codes 1002, 1003, 1007, 1008, 1009) close the client, and ``quotes()`` raises them.
* Resume: the client remembers the epoch (``hello.epoch``) its seqs came from and the last seq per
  symbol. When the new connection's server names the same epoch and keeps history
  (``hello.resume_depth`` > 0), the re-subscribe asks to resume from those seqs and the server sends
  exactly the missed updates instead of a snapshot; the rest get a snapshot as before.
  ``on_resume(recovered, snapshotted, epoch_changed)`` runs on the connection task with the two lists
  of symbols. A server with a different epoch (a restarted source: seqs started again) gets no resume
  request and the seq guard starts again, also when it announces the new epoch mid-connection.
  ``resume_on_reconnect=False`` turns resume off.
* Slow-consumer warning: when the server warns that this client is falling behind (its queue there
  past half its bound, or the socket full for half the server's grace), the client logs a warning
  on the ``pricefeed_client`` logger and calls ``on_slow_consumer(queued, limit, close_in_ms,
  cleared)``; a second call with ``cleared=True`` says it caught up. Without catching up, the server
  closes with 4001 after ``close_in_ms`` and the client reconnects.
* Feed status: when the server's source becomes unreachable (its Redis bus down, its publisher
  silent) the server says ``status`` stale and why; the client logs a warning, keeps it in
  ``feed_status`` (``(state, reason, since_ns)``) and calls ``on_status(state, reason, since_ns)``;
  live again when quotes flow. A new connection starts live until its server says otherwise.
* Go-away: a server that shuts down says when to come back (``go_away``); the client calls
  ``on_go_away(reconnect_after_ms, reason)`` and, after the 1001, waits at least that long plus a
  jitter of its own (up to ``reconnect_delay``) before it reconnects. The backoff starts over only
  once a new connection is back to normal: hello, then its snapshot (or every symbol resumed).
* Token refresh: with ``token_refresher`` (a callable, plain or async, that returns a fresh token for the same
  user), the client asks it for a new token at 80% of the current token's remaining lifetime (its ``exp`` is read
  from the token without verifying it, then from the server's ``auth_result``), sends it as ``auth`` on the open
  connection, and presents the latest token on every reconnect. A refresher that raises is asked again later, until
  the token runs out and the server closes with 1008. Symbols the new token no longer covers are dropped by the
  server (``subscribe_result`` with ``request_id`` 0) and forgotten here.
* The client pings every half heartbeat interval (announced in ``hello``) and replaces a connection
  on which no frame of any kind arrived for ``DEAD_AFTER_HEARTBEATS`` intervals.
* Bars: ``subscribe_bars(symbols, interval_s, history=0, throttle_ms=0)`` subscribes to the OHLCV bars the server
  computes; they come from ``client.bars()`` (``async for``), or to ``on_bar(bar)`` on the connection task instead
  when that callback is given. Per symbol and interval every closed bar comes exactly once, in start order, with no
  gap, also across reconnects: the re-subscribe asks for the history since the last closed bar delivered, and the
  overlap is dropped (``bars_ignored_as_stale``). ``to_frame(bars)`` makes a pandas DataFrame of them (module
  ``pricefeed_client.bars``).
* A buffer holds up to ``buffer_capacity`` quotes for a slow reader; past that it conflates by
  symbol (the newest quote replaces the one waiting, keeping its place), so the newest quote of every
  symbol always arrives. ``quotes_conflated`` counts what it discarded.

Everything runs on the caller's asyncio event loop; the client is not thread-safe.
"""

import asyncio
import base64
import enum
import inspect
import json
import logging
import random
import time

import websockets
from google.protobuf import json_format

from . import pricefeed_v1_pb2 as pb
from ._queue import ReplaceableQueue
from .bars import BarSubscriber, check_symbols as _check_symbols

try:
    # websockets 13 and later: the new asyncio implementation, whose header argument has a new name.
    from websockets.asyncio.client import connect as _ws_connect

    _HEADERS_ARGUMENT = "additional_headers"
except ImportError:
    # websockets 10 to 12 (Debian bookworm ships 10.4): the original implementation.
    from websockets import connect as _ws_connect

    _HEADERS_ARGUMENT = "extra_headers"

PROTO = "pricefeed.v1.proto"
JSON = "pricefeed.v1.json"

# Heartbeat intervals without any frame after which a connection is presumed dead: the server pings
# every interval and the client every half interval, so a live connection carries several frames
# in that time, while a dead one is replaced within three intervals.
DEAD_AFTER_HEARTBEATS = 2.5

_log = logging.getLogger("pricefeed_client")

# Close codes (docs/protocol.md, "Close codes") after which a new connection would be refused the same way: protocol
# error, wrong frame type, invalid payload, policy (e.g. an expired token), message too big.
_FINAL_CLOSE_CODES = frozenset({1002, 1003, 1007, 1008, 1009})

# 16 MiB: a snapshot of 100,000 symbols at about 100 bytes each; nothing larger is a PriceFeed message.
_MAX_MESSAGE_BYTES = 16 << 20

_WILDCARD = "*"

# The share of a token's remaining lifetime after which the client asks for a new one, and the shortest wait
# between two refreshes (so that a refresher returning a token about to run out cannot make the loop spin).
_REFRESH_AT = 0.8
_MIN_REFRESH_WAIT = 0.1


class ConnectionState(enum.Enum):
    """Where the client stands with its server."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class PriceFeedError(Exception):
    """A failure of the conversation; ``transient`` says whether a new connection may succeed."""

    def __init__(self, message, *, close_code=None, transient=True):
        super().__init__(message)
        self.close_code = close_code
        self.transient = transient


class _QuoteBuffer:
    """FIFO while the reader keeps up, conflating by symbol past ``capacity``; also the seq guard.

    Conflating rather than dropping the oldest: dropping can lose the last update of a quiet symbol
    for good, conflating never does, so once the source goes quiet the reader holds every symbol's
    newest quote. The bound is soft by at most one quote per symbol for the same reason.
    """

    def __init__(self, capacity):
        self._capacity = capacity
        self._queue = ReplaceableQueue(lambda quote: quote.symbol)
        self._last_accepted = {}
        self.conflated = 0
        self.stale = 0

    def __len__(self):
        return len(self._queue)

    def last_accepted(self):
        """The seq guard's state, symbol -> last seq accepted (a copy): what a resume request asks from."""
        return dict(self._last_accepted)

    def forget_seqs(self):
        """Starts the seq guard again: the source's epoch changed and its seqs start again from 1."""
        self._last_accepted.clear()

    def write(self, quote):
        last = self._last_accepted.get(quote.symbol)
        if last is not None and quote.seq <= last:
            self.stale += 1
            return
        self._last_accepted[quote.symbol] = quote.seq
        # Past capacity, a quote of a symbol with one waiting replaces it in place.
        if self._queue.write(quote, lambda _waiting, count: count >= self._capacity):
            self.conflated += 1

    def complete(self, error=None):
        self._queue.complete(error)

    async def read(self):
        """The oldest waiting quote; None once completed and drained (or the completion's error)."""
        return await self._queue.read()


class _Link:
    """What the client knows of one connection beyond the socket: the re-subscribe it sent after hello, whether
    the connection got back to normal (settled), and the server's go-away hint."""

    def __init__(self):
        self.resubscribe_id = 0
        self.answered = False
        self.settled = False
        self.go_away_s = None


def _backoff(attempt, base, cap):
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))], so that the clients of a
    restarted server come back spread out instead of in synchronised waves."""
    return random.uniform(0, min(cap, base * (2 ** min(attempt - 1, 30))))


class PriceFeedClient(BarSubscriber):
    """A PriceFeed subscriber that stays connected.

    ::

        async with PriceFeedClient("ws://127.0.0.1:8080/ws") as client:
            await client.subscribe("*")
            async for quote in client.quotes():
                print(quote.symbol, quote.seq, quote.bid, quote.ask)

    ``connect()`` (or entering ``async with``) opens the first connection and raises if that fails;
    later losses are retried until ``close()``.
    """

    def __init__(self, url, *, token=None, subprotocol=PROTO, throttle_ms=0, buffer_capacity=8192,
                 reconnect_delay=0.25, max_reconnect_delay=10.0, connect_timeout=10.0,
                 on_gap=None, on_state=None, on_resume=None, resume_on_reconnect=True, on_slow_consumer=None,
                 on_go_away=None, token_refresher=None, on_status=None, on_bar=None):
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"url must be a ws:// or wss:// URL such as ws://127.0.0.1:8080/ws; it is {url!r}")
        if subprotocol not in (PROTO, JSON):
            raise ValueError(f"subprotocol must be {PROTO!r} or {JSON!r}; it is {subprotocol!r}")
        if buffer_capacity < 1:
            raise ValueError(f"buffer_capacity must be at least 1; it is {buffer_capacity}")
        if not 0 < reconnect_delay <= max_reconnect_delay:
            raise ValueError("reconnect_delay must be positive and at most max_reconnect_delay")
        self._url = url
        self._token = token
        self._token_refresher = token_refresher
        self._token_expires_at = _token_expiry(token) if token else None
        self._subprotocol = subprotocol
        self._throttle_ms = throttle_ms
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._connect_timeout = connect_timeout
        self._on_gap = on_gap
        self._on_state = on_state
        self._on_resume = on_resume
        self._on_slow_consumer = on_slow_consumer
        self._on_go_away = on_go_away
        self._on_status = on_status
        self.feed_status = ("live", "", 0)
        self._link = _Link()
        self._resume_on_reconnect = resume_on_reconnect
        # The epoch the seqs in the guard belong to, and the re-subscribe whose answer tells what was recovered.
        self._epoch = ""
        self._pending_resume = None
        self._buffer = _QuoteBuffer(buffer_capacity)
        self._subscriptions = set()
        self._pending = {}
        self._next_request_id = 0
        self._ws = None
        self._connected = None
        self._connection_ended = None
        self._run_task = None
        self._closing = False
        self._closed_error = None
        self._last_yielded = {}
        self.state = ConnectionState.CONNECTING
        self.hello = None
        self.gaps_detected = 0
        self._init_bars(on_bar)

    @property
    def quotes_conflated(self):
        """Quotes the local buffer discarded: a newer quote of the same symbol arrived before the reader took them."""
        return self._buffer.conflated

    @property
    def quotes_ignored_as_stale(self):
        """Quotes not newer than one already accepted for their symbol (mostly snapshot repeats after a reconnect)."""
        return self._buffer.stale

    @property
    def buffered_quotes(self):
        """Quotes received and not yet read."""
        return len(self._buffer)

    @property
    def epoch(self):
        """The server epoch the client's seqs belong to ("" when the server names none)."""
        return self._epoch

    @property
    def token_expires_at(self):
        """When the current token expires, Unix seconds (its ``exp``, or the server's ``auth_result`` after a
        refresh); None without a token."""
        return self._token_expires_at

    @property
    def subscriptions(self):
        """The symbols subscribed to, sent again on every reconnect."""
        return frozenset(self._subscriptions)

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc_info):
        await self.close()

    async def connect(self):
        """Opens the first connection and waits for the server's hello."""
        self._connected = asyncio.get_running_loop().create_future()
        ws = await self._open()
        self._run_task = asyncio.ensure_future(self._run(ws))

    async def subscribe(self, *symbols):
        """Subscribes to exact symbols or ``"*"``; returns the server's ``SubscribeResult``.

        Accepted symbols are subscribed again on every reconnect; a request whose answer is lost
        with the connection is sent again on the next one.
        """
        return await self._request(symbols, lambda request_id: pb.ClientMessage(subscribe=pb.Subscribe(
            request_id=request_id, symbols=symbols, throttle_ms=self._throttle_ms)))

    async def _request(self, symbols, build):
        """Sends the request ``build(request_id)`` makes for a fresh request id and returns its ``SubscribeResult``; a
        request whose connection is lost before the answer is sent again on the next one."""
        _check_symbols(symbols)
        while True:
            ws = await self._wait_connected()
            ended = self._connection_ended
            self._next_request_id += 1
            request_id = self._next_request_id
            answer = asyncio.get_running_loop().create_future()
            self._pending[request_id] = answer
            try:
                if await self._try_send(ws, build(request_id)):
                    result = await answer
                    if result is not None:
                        return result
            finally:
                self._pending.pop(request_id, None)
            # The connection died before the answer: once the client has given up on it, try the next one.
            await ended
            if self._closing:
                raise self._closed_error or PriceFeedError("the client is closed", transient=False)

    async def unsubscribe(self, *symbols):
        """Stops the updates of ``symbols``. The server does not answer; the symbols are forgotten at
        once, so quotes of theirs still in flight are not yielded and reconnects do not bring them back."""
        _check_symbols(symbols)
        self._subscriptions.difference_update(symbols)
        if self._ws is not None:
            await self._try_send(self._ws, pb.ClientMessage(unsubscribe=pb.Unsubscribe(symbols=symbols)))

    async def quotes(self):
        """Yields quotes in arrival order, each symbol's seq strictly increasing; ends after ``close()``."""
        while True:
            quote = await self._buffer.read()
            if quote is None:
                return
            last = self._last_yielded.get(quote.symbol)
            if last is not None and quote.seq > last + 1:
                self.gaps_detected += 1
                if self._on_gap is not None:
                    self._on_gap(quote.symbol, last, quote.seq)
            self._last_yielded[quote.symbol] = quote.seq
            yield quote

    async def close(self):
        """Closes the connection normally, stops reconnecting and ends ``quotes()``."""
        if self._closing:
            return
        self._closing = True
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), timeout=2)
            except (asyncio.TimeoutError, websockets.exceptions.WebSocketException, OSError):
                _abort(ws)
        if self._run_task is not None:
            self._run_task.cancel()
            try:
                await self._run_task
            except asyncio.CancelledError:
                pass
        self._finish(None)

    # --- connection loop -------------------------------------------------------------------

    async def _open(self):
        """Connects, waits for hello and sends every subscription again."""
        if (self._token_refresher is not None and self._token_expires_at is not None
                and self._token_expires_at - time.time() < 1):
            # The latest token: one that ran out while the client was away is refreshed first.
            try:
                await self._refresh_token()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the refresher is the application's; the reconnect is retried
                raise PriceFeedError(f"the token ran out and token_refresher failed: {error}") from error
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            ws = await _ws_connect(
                self._url,
                subprotocols=[self._subprotocol],
                # The client's own ping/pong heartbeat detects dead servers; the library's would add nothing.
                ping_interval=None,
                max_size=_MAX_MESSAGE_BYTES,
                open_timeout=self._connect_timeout,
                **{_HEADERS_ARGUMENT: headers},
            )
        except (asyncio.TimeoutError, TimeoutError):
            # Distinct classes before Python 3.11; websockets raises one or the other depending on its version.
            raise PriceFeedError(f"no WebSocket handshake within connect_timeout ({self._connect_timeout} s)") from None
        except websockets.exceptions.InvalidHandshake as error:
            status = _status_code(error)
            if status in (401, 403):
                raise PriceFeedError(f"the server refused the connection with HTTP {status}: check the token",
                                     transient=False) from error
            raise PriceFeedError(f"the WebSocket handshake failed: {error}") from error
        except OSError as error:
            raise PriceFeedError(f"cannot connect to {self._url}: {error}") from error

        try:
            # docs/protocol.md, "The conversation": the server sends hello first.
            first = await asyncio.wait_for(ws.recv(), timeout=self._connect_timeout)
            message = self._decode(first)
            if message.WhichOneof("body") != "hello":
                raise PriceFeedError(f"the server's first message was {message.WhichOneof('body')}, not hello",
                                     transient=False)
            self.hello = message.hello
            link = _Link()
            # A new connection is live until its server says stale (it does so right after hello).
            if self.feed_status[0] == "stale":
                self._set_feed_status("live", "", time.time_ns())
            held = self._held_seqs()
            remembered = self._epoch
            epoch_changed = self._start_epoch(message.hello.epoch)
            if self._subscriptions:
                # A request id of its own, never a caller's: its answer says which held symbols were recovered.
                self._next_request_id += 1
                request = pb.Subscribe(request_id=self._next_request_id, symbols=sorted(self._subscriptions),
                                       throttle_ms=self._throttle_ms)
                # docs/clients.md, "Resume": only seqs of the server's own epoch, and only from a server that keeps history.
                if (self._resume_on_reconnect and held and remembered and message.hello.epoch == remembered
                        and message.hello.resume_depth > 0):
                    request.resume.update(held)
                    request.epoch = remembered
                self._pending_resume = (request.request_id, epoch_changed, sorted(held)) if held else None
                link.resubscribe_id = request.request_id
                await ws.send(self._encode(pb.ClientMessage(subscribe=request)))
            else:
                link.settled = True
            for bar_request in self._bar_resubscribe_messages():
                await ws.send(self._encode(bar_request))
        except asyncio.TimeoutError:
            _abort(ws)
            raise PriceFeedError(f"no hello within connect_timeout ({self._connect_timeout} s)") from None
        except websockets.exceptions.ConnectionClosed as error:
            raise _describe_close(error, None) from error
        except BaseException:
            _abort(ws)
            raise

        self._ws = ws
        self._link = link
        self._connection_ended = asyncio.get_running_loop().create_future()
        self._set_state(ConnectionState.CONNECTED, None)
        if not self._connected.done():
            self._connected.set_result(ws)
        return ws

    async def _run(self, ws):
        attempt = 0
        try:
            while True:
                cause = await self._serve(ws)
                # Answer the callers waiting on this connection only after they can see it is gone.
                self._ws = None
                self._connected = asyncio.get_running_loop().create_future()
                self._connection_ended.set_result(None)
                for answer in self._pending.values():
                    if not answer.done():
                        answer.set_result(None)
                # Their answers will never come; a caller's request is sent again with a new id.
                self._bar_requests.clear()
                if self._closing:
                    return
                if not cause.transient:
                    self._finish(cause)
                    return
                # A connection that got back to normal (hello and its snapshot) was a success: start the backoff
                # over. One the server closed before that (full, overloaded, restarting again) keeps growing it.
                if self._link.settled:
                    attempt = 0
                # A server that went away said when to come back: no sooner, plus a jitter of our own.
                go_away = self._link.go_away_s
                while True:
                    attempt += 1
                    delay = _backoff(attempt, self._reconnect_delay, self._max_reconnect_delay)
                    if go_away is not None:
                        delay = max(delay, go_away + random.uniform(0, self._reconnect_delay))
                        go_away = None
                    self._set_state(ConnectionState.RECONNECTING, cause)
                    await asyncio.sleep(delay)
                    try:
                        ws = await self._open()
                        break
                    except PriceFeedError as error:
                        if not error.transient:
                            raise
                        cause = error
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a final refusal or a failing on_state callback closes the client with it
            self._finish(error)

    async def _serve(self, ws):
        """Receives and dispatches until the connection ends; returns why it ended."""
        # A server that announces no interval gets the server's default (15 s) rather than no check.
        interval = (self.hello.heartbeat_interval_ms or 15000) / 1000
        last_received = [time.monotonic()]
        watchdog = asyncio.ensure_future(self._watch(ws, interval, last_received))
        refresher = asyncio.ensure_future(self._keep_token_fresh(ws)) if self._token_refresher is not None else None
        last_error = None
        try:
            while True:
                raw = await ws.recv()
                last_received[0] = time.monotonic()
                message = self._decode(raw)
                kind = message.WhichOneof("body")
                link = self._link
                if kind == "quotes":
                    # Live quotes flow: also settled when no snapshot came (no subscribed symbol had a quote yet).
                    link.settled = link.settled or link.answered
                    self._accept(message.quotes)
                elif kind == "snapshot":
                    link.settled = True
                    self._accept(message.snapshot)
                elif kind == "subscribe_result":
                    result = message.subscribe_result
                    if result.request_id == link.resubscribe_id:
                        # Settled with the snapshot that follows, or here when every symbol was recovered.
                        link.answered = True
                        link.settled = link.settled or len(result.recovered) == len(result.accepted)
                    self._on_subscribe_result(result)
                elif kind == "bars":
                    self._accept_bars(message.bars)
                elif kind == "status":
                    self._set_feed_status(message.status.state, message.status.reason, message.status.since_ns)
                elif kind == "go_away":
                    link.go_away_s = message.go_away.reconnect_after_ms / 1000
                    _log.info("pricefeed: the server is going away (%s); reconnecting in %d ms or more",
                              message.go_away.reason, message.go_away.reconnect_after_ms)
                    if self._on_go_away is not None:
                        self._on_go_away(message.go_away.reconnect_after_ms, message.go_away.reason)
                elif kind == "hello":
                    self._on_hello_again(message.hello)
                elif kind == "slow_consumer":
                    self._on_slow_consumer_message(message.slow_consumer)
                elif kind == "auth_result":
                    # docs/clients.md, "Token refresh": the server took the new token; its exp is the next deadline.
                    self._token_expires_at = message.auth_result.expires_at_ns / 1e9
                elif kind == "error" and message.error.code == 0:
                    # A refusal with no close (docs/protocol.md, "Error"): auth on a server that takes no tokens.
                    _log.warning("pricefeed: %s", message.error.message)
                elif kind == "error":
                    # The server sends error just before it closes; keep it for the close's description.
                    last_error = f"{message.error.code} {message.error.message}"
                # pong: receiving it already proved the server alive.
        except websockets.exceptions.ConnectionClosed as error:
            silent = time.monotonic() - last_received[0]
            if watchdog.done() and silent > interval * DEAD_AFTER_HEARTBEATS:
                return PriceFeedError(f"no frame from the server for {silent:.1f} s (heartbeat interval "
                                      f"{interval} s): connection presumed dead")
            return _describe_close(error, last_error)
        except PriceFeedError as error:
            _abort(ws)
            return error
        finally:
            watchdog.cancel()
            if refresher is not None:
                refresher.cancel()

    async def _watch(self, ws, interval, last_received):
        """Pings every half interval; aborts the connection after DEAD_AFTER_HEARTBEATS silent intervals."""
        while True:
            await asyncio.sleep(interval / 2)
            if time.monotonic() - last_received[0] > interval * DEAD_AFTER_HEARTBEATS:
                # A frozen server or a half-open TCP connection never fails the receive by itself.
                _abort(ws)
                return
            await self._try_send(ws, pb.ClientMessage(ping=pb.Ping(client_time_ns=time.time_ns())))

    async def _keep_token_fresh(self, ws):
        """At _REFRESH_AT of the current token's remaining lifetime, gets a new one and sends it as ``auth``."""
        while True:
            expires_at = self._token_expires_at
            if expires_at is None:
                # No exp in the token: wait for the server's auth_result to say one.
                await asyncio.sleep(1)
                continue
            remaining = expires_at - time.time()
            if remaining <= 0:
                return
            await asyncio.sleep(max(remaining * _REFRESH_AT, _MIN_REFRESH_WAIT))
            try:
                token = await self._refresh_token()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the refresher is the application's; asked again later
                _log.warning("pricefeed: the token refresher failed (%s); trying again before the token expires", error)
                continue
            await self._try_send(ws, pb.ClientMessage(auth=pb.Auth(token=token)))

    async def _refresh_token(self):
        token = self._token_refresher()
        if inspect.isawaitable(token):
            token = await token
        if not token:
            raise PriceFeedError("token_refresher returned no token")
        self._token = token
        self._token_expires_at = _token_expiry(token)
        return token

    def _accept(self, batch):
        subscriptions = self._subscriptions
        everything = _WILDCARD in subscriptions
        for quote in batch.quotes:
            # Quotes of a symbol unsubscribed a moment ago may still be in flight: drop them.
            if everything or quote.symbol in subscriptions:
                self._buffer.write(quote)

    def _on_subscribe_result(self, result):
        bar_terms = self._bar_requests.pop(result.request_id, None)
        if bar_terms is not None:
            # A subscribe_bars answer: its symbols are bar series, not quote subscriptions.
            self._on_bars_subscribed(result, bar_terms)
            self._answer(result)
            return
        # Before the snapshot that follows is dispatched, so that its quotes pass the subscription filter.
        self._subscriptions.update(result.accepted)
        if result.request_id == 0:
            # docs/protocol.md, "Token refresh": symbols the refreshed token no longer covers were dropped by the server.
            self._subscriptions.difference_update(rejection.symbol for rejection in result.rejected)
            # Their bars stopped too (docs/protocol.md, "Bars").
            self._drop_bar_series_of({rejection.symbol for rejection in result.rejected})
        self._answer(result)
        resume = self._pending_resume
        if resume is not None and resume[0] == result.request_id:
            self._pending_resume = None
            recovered = set(result.recovered)
            _, epoch_changed, held = resume
            if self._on_resume is not None:
                self._on_resume([s for s in held if s in recovered], [s for s in held if s not in recovered],
                                epoch_changed)

    def _answer(self, result):
        """Completes the caller's request that ``result`` answers, if a caller waits for it."""
        answer = self._pending.get(result.request_id)
        if answer is not None and not answer.done():
            answer.set_result(result)

    def _set_feed_status(self, state, reason, since_ns):
        if state == "stale":
            _log.warning("pricefeed: the feed is stale (%s): prices may be old until it is live again", reason)
        elif self.feed_status[0] == "stale":
            _log.info("pricefeed: the feed is live again")
        self.feed_status = (state, reason, since_ns)
        if self._on_status is not None:
            self._on_status(state, reason, since_ns)

    def _on_slow_consumer_message(self, warning):
        if warning.cleared:
            _log.info("pricefeed: caught up; the server's slow-consumer warning is cleared")
        else:
            _log.warning("pricefeed: the server says this client is falling behind (%d of %d updates queued); "
                         "it closes the connection in %d ms unless the client catches up",
                         warning.queued, warning.limit, warning.close_in_ms)
        if self._on_slow_consumer is not None:
            self._on_slow_consumer(warning.queued, warning.limit, warning.close_in_ms, warning.cleared)

    def _on_hello_again(self, hello):
        """A hello on an open connection: the server's source started a new epoch; a snapshot follows."""
        held = self._held_seqs()
        self.hello = hello
        if self._start_epoch(hello.epoch) and held and self._on_resume is not None:
            self._on_resume([], sorted(held), True)

    def _start_epoch(self, epoch):
        """Remembers ``epoch`` as the one the seqs to come belong to. When it replaces a different named
        epoch the source's seqs started again, so the seq guard starts again too (True). An empty epoch
        on either side is no change: a server that names none cannot say its seqs restarted."""
        changed = bool(self._epoch) and bool(epoch) and epoch != self._epoch
        if changed:
            self._buffer.forget_seqs()
        self._epoch = epoch
        return changed

    def _held_seqs(self):
        """The last seq accepted of every subscribed symbol the client holds a quote of."""
        held = self._buffer.last_accepted()
        if _WILDCARD in self._subscriptions:
            return held
        return {s: seq for s, seq in held.items() if s in self._subscriptions}

    # --- helpers ---------------------------------------------------------------------------

    async def _wait_connected(self):
        """The open connection, once there is one; raises once the client is closed."""
        if self._connected is None:
            raise PriceFeedError("connect() first (or use the client in 'async with')", transient=False)
        ws = None if self._closing else await asyncio.shield(self._connected)
        if ws is None:
            raise self._closed_error or PriceFeedError("the client is closed", transient=False)
        return ws

    async def _try_send(self, ws, message):
        """Sends; False when the connection is dead (the connection loop notices and replaces it)."""
        try:
            await ws.send(self._encode(message))
            return True
        except (websockets.exceptions.ConnectionClosed, OSError):
            return False

    def _encode(self, message):
        if self._subprotocol == JSON:
            return json_format.MessageToJson(message, indent=None)
        return message.SerializeToString()

    def _decode(self, raw):
        try:
            if self._subprotocol == JSON:
                return json_format.Parse(raw, pb.ServerMessage(), ignore_unknown_fields=True)
            return pb.ServerMessage.FromString(raw)
        except Exception as error:  # noqa: BLE001 - protobuf raises DecodeError, ParseError, TypeError or UnicodeError
            raise PriceFeedError(f"the server sent a message that is not a {self._subprotocol} ServerMessage: {error}",
                                 transient=False) from error

    def _set_state(self, state, cause):
        self.state = state
        if self._on_state is not None:
            self._on_state(state, cause)

    def _finish(self, cause):
        """Final: no more connections; the reader ends (raising ``cause`` if any) and waiting callers fail."""
        if self.state == ConnectionState.CLOSED:
            return
        self._closing = True
        self._closed_error = cause
        self._buffer.complete(cause)
        self._bars.complete(cause)
        # None wakes the callers waiting for a connection or an answer; they see the client closed.
        # (Results rather than exceptions: nobody may be waiting, and asyncio warns of unread exceptions.)
        for waiter in (self._connected, self._connection_ended, *self._pending.values()):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._set_state(ConnectionState.CLOSED, cause)


async def connect(url, **options):
    """Creates a ``PriceFeedClient`` and opens its first connection; see the class for the options."""
    client = PriceFeedClient(url, **options)
    await client.connect()
    return client


def _token_expiry(token):
    """The ``exp`` of a JWT, Unix seconds, read from its payload without verifying it; None when there is none."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def _abort(ws):
    """Drops the TCP connection at once, without waiting for a close handshake a dead server will not answer."""
    transport = getattr(ws, "transport", None)
    if transport is not None:
        transport.abort()


def _status_code(error):
    # websockets 10-12: InvalidStatusCode.status_code; 13 and later: InvalidStatus.response.status_code.
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    return status


def _describe_close(error, last_error):
    close = getattr(error, "rcvd", None)
    code = close.code if close is not None else 1006
    detail = f" ({close.reason})" if close is not None and close.reason else ""
    after = f" after error: {last_error}" if last_error else ""
    return PriceFeedError(f"the server closed the connection with {code}{detail}{after}",
                          close_code=code, transient=code not in _FINAL_CLOSE_CODES)
