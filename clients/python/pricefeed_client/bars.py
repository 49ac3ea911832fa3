"""Bars: OHLCV bars the server computes (docs/clients.md, "Bars"), and ``to_frame`` for pandas.

A bar is the generated ``pricefeed.v1.Bar`` message: ``symbol``, ``interval_s``, ``start_ns`` (the bar covers
[start_ns, start_ns + interval) of the quotes' source time), ``open``, ``high``, ``low``, ``close``, ``volume``,
``trades`` and ``closed`` (False: the bar in progress, newer versions follow; True: final, sent once).

The client delivers, per symbol and interval, every closed bar exactly once and in start order, also across
reconnects: it remembers the start of the last closed bar it delivered, re-subscribes after a reconnect asking
for the history since then, and drops any bar, closed or in progress, that does not start after it.
"""

import time

from . import pricefeed_v1_pb2 as pb
from ._queue import ReplaceableQueue

# The most closed bars the server sends as history per symbol.
MAX_BAR_HISTORY = 1000

_WILDCARD = "*"
_NS = 1_000_000_000


class _BarTerms:
    """What a bar subscription asked for; ``again`` marks the re-subscribe of a reconnect (computed history)."""

    __slots__ = ("interval_s", "history", "throttle_ms", "again")

    def __init__(self, interval_s, history, throttle_ms, again=False):
        self.interval_s = interval_s
        self.history = history
        self.throttle_ms = throttle_ms
        self.again = again


class _BarBuffer:
    """The queue of bars for ``bars()`` and the guard that delivers each closed bar once.

    A waiting bar in progress is replaced in place by a newer version of the same bar (in progress or closed: latest
    wins), so a reader that keeps up sees every version and a slow one holds at most one bar in progress per symbol
    and interval; closed bars are never discarded.
    """

    def __init__(self):
        self._queue = ReplaceableQueue(lambda bar: (bar.symbol, bar.interval_s))
        self._last_closed = {}
        self.stale = 0
        self.conflated = 0

    def __len__(self):
        return len(self._queue)

    def admit(self, bar):
        """The guard: False for a bar that does not start after the last closed bar of its series."""
        key = (bar.symbol, bar.interval_s)
        last = self._last_closed.get(key)
        if last is not None and bar.start_ns <= last:
            self.stale += 1
            return False
        if bar.closed:
            self._last_closed[key] = bar.start_ns
        return True

    def write(self, bar):
        """Queues a bar the guard admitted."""
        def replaces(waiting, _count):
            return not waiting.closed and waiting.start_ns == bar.start_ns
        if self._queue.write(bar, replaces):
            self.conflated += 1

    def last_closed(self):
        """(symbol, interval_s) -> start_ns of the last closed bar admitted (a copy)."""
        return dict(self._last_closed)

    def forget(self, predicate):
        """Forgets the guard's state of the series ``predicate`` selects: a later subscription starts afresh."""
        for key in [k for k in self._last_closed if predicate(k)]:
            del self._last_closed[key]

    def complete(self, error=None):
        self._queue.complete(error)

    async def read(self):
        return await self._queue.read()


def history_since(last_start_ns, interval_s, now_ns):
    """The history a re-subscribe asks for: the closed bars since the one that started at ``last_start_ns``, that
    one included, at most MAX_BAR_HISTORY."""
    interval_ns = interval_s * _NS
    missed = max(0, now_ns - last_start_ns)
    return min(MAX_BAR_HISTORY, -(-missed // interval_ns) + 1)


def _bar_resubscribes(subscriptions, last_closed, now_ns):
    """One SubscribeBars per interval, throttle and history: every series again, each asking for the history since
    its last closed bar delivered, or its original history when none was delivered."""
    def needed(key, terms):
        symbol, interval_s = key
        if symbol != _WILDCARD:
            start = last_closed.get(key)
            return terms.history if start is None else history_since(start, interval_s, now_ns)
        # Everything at this interval: as far back as the series that missed the most (the guard drops the overlap).
        starts = [start for (_, interval), start in last_closed.items() if interval == interval_s]
        return max([terms.history] + [history_since(start, interval_s, now_ns) for start in starts])

    groups = {}
    for key, terms in subscriptions.items():
        groups.setdefault((key[1], terms.throttle_ms, needed(key, terms)), []).append(key[0])
    return [pb.SubscribeBars(symbols=sorted(symbols), interval_s=interval_s, history=history, throttle_ms=throttle_ms)
            for (interval_s, throttle_ms, history), symbols in sorted(groups.items())]


def _covers(subscriptions, key):
    return key in subscriptions or (_WILDCARD, key[1]) in subscriptions


class BarSubscriber:
    """The bar half of ``PriceFeedClient``: subscribe_bars, unsubscribe_bars, bars() and the re-subscribe."""

    def _init_bars(self, on_bar):
        self._on_bar = on_bar
        self._bars = _BarBuffer()
        # (symbol or "*", interval_s) -> _BarTerms: every bar series subscribed to, sent again on every reconnect.
        self._bar_subscriptions = {}
        # request_id -> _BarTerms of the subscribe_bars sent and not answered yet (callers' and re-subscribes').
        self._bar_requests = {}

    @property
    def bar_subscriptions(self):
        """The bar series subscribed to, (symbol or "*", interval_s), sent again on every reconnect."""
        return frozenset(self._bar_subscriptions)

    @property
    def bars_ignored_as_stale(self):
        """Bars dropped because they did not start after the last closed bar delivered of their series (mostly the
        overlap of the history asked for after a reconnect)."""
        return self._bars.stale

    @property
    def bars_conflated(self):
        """Versions of a bar in progress a newer version replaced before ``bars()`` yielded them."""
        return self._bars.conflated

    @property
    def buffered_bars(self):
        """Bars received and not yet read."""
        return len(self._bars)

    async def subscribe_bars(self, symbols, interval_s, history=0, throttle_ms=0):
        """Subscribes to the ``interval_s`` bars of ``symbols`` (a list of exact symbols or ``["*"]``; one symbol may be
        a string); returns the server's ``SubscribeResult``.

        ``interval_s``: the server offers 1, 5, 60 and 300 (others are rejected with ``interval_not_offered``).
        ``history``: closed bars per symbol sent first, oldest first (at most MAX_BAR_HISTORY, else
        ``history_over_limit``). ``throttle_ms``: 0 for every change of the bar in progress, N for at most one per
        symbol per N ms. Accepted series are subscribed again on every reconnect, asking for the history since the
        last closed bar delivered.
        """
        symbols = [symbols] if isinstance(symbols, str) else list(symbols)
        _check_positive("interval_s", interval_s)
        _check_non_negative("history", history)
        _check_non_negative("throttle_ms", throttle_ms)
        terms = _BarTerms(interval_s, history, throttle_ms)

        def build(request_id):
            self._bar_requests[request_id] = terms
            return pb.ClientMessage(subscribe_bars=pb.SubscribeBars(
                request_id=request_id, symbols=symbols, interval_s=interval_s, history=history, throttle_ms=throttle_ms))
        return await self._request(symbols, build)

    async def unsubscribe_bars(self, symbols, interval_s):
        """Stops the ``interval_s`` bars of ``symbols`` (``"*"``: the wildcard subscription at that interval). The server
        does not answer; the series are forgotten at once (bars of theirs in flight are dropped, reconnects do not bring
        them back, a later subscription starts afresh)."""
        symbols = [symbols] if isinstance(symbols, str) else list(symbols)
        _check_positive("interval_s", interval_s)
        check_symbols(symbols)
        for symbol in symbols:
            self._bar_subscriptions.pop((symbol, interval_s), None)
        remaining = self._bar_subscriptions
        self._bars.forget(lambda key: key[1] == interval_s and not _covers(remaining, key))
        if self._ws is not None:
            await self._try_send(self._ws, pb.ClientMessage(
                unsubscribe_bars=pb.UnsubscribeBars(symbols=symbols, interval_s=interval_s)))

    async def bars(self):
        """Yields bars in arrival order: per symbol and interval every closed bar exactly once, in start order, with
        the bar in progress between them; ends after ``close()``. Nothing comes here when ``on_bar`` is given."""
        while True:
            bar = await self._bars.read()
            if bar is None:
                return
            yield bar

    def _accept_bars(self, batch):
        subscriptions = self._bar_subscriptions
        for bar in batch.bars:
            # Bars of a series unsubscribed a moment ago may still be in flight: drop them.
            if not _covers(subscriptions, (bar.symbol, bar.interval_s)) or not self._bars.admit(bar):
                continue
            if self._on_bar is not None:
                self._on_bar(bar)
            else:
                self._bars.write(bar)

    def _on_bars_subscribed(self, result, terms):
        # A re-subscribe's series are subscribed already, with the history their caller asked for.
        if not terms.again:
            for symbol in result.accepted:
                self._bar_subscriptions[(symbol, terms.interval_s)] = terms

    def _drop_bar_series_of(self, symbols):
        """Forgets every bar subscription of ``symbols``: the server dropped them (a refreshed token no longer covers
        the symbols), so a reconnect does not ask for them again."""
        self._bar_subscriptions = {key: terms for key, terms in self._bar_subscriptions.items() if key[0] not in symbols}

    def _bar_resubscribe_messages(self):
        """The subscribe_bars of a new connection, each with a request id of its own, registered for its answer."""
        messages = []
        for request in _bar_resubscribes(self._bar_subscriptions, self._bars.last_closed(), time.time_ns()):
            self._next_request_id += 1
            request.request_id = self._next_request_id
            self._bar_requests[request.request_id] = _BarTerms(
                request.interval_s, request.history, request.throttle_ms, again=True)
            messages.append(pb.ClientMessage(subscribe_bars=request))
        return messages


def to_frame(bars):
    """A pandas DataFrame of ``bars`` (an iterable of Bar messages, e.g. the closed ones collected from ``bars()``).

    Index: the bar start as UTC timestamps (named ``start``); columns: ``symbol``, ``interval``, ``open``, ``high``,
    ``low``, ``close``, ``volume``, ``trades``, ``closed``. Needs pandas, an optional dependency.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("to_frame needs pandas, an optional dependency of pricefeed_client: install python3-pandas "
                          "(apt-get install python3-pandas) or pandas (pip install pandas, or "
                          "pip install './clients/python[pandas]')") from error
    bars = list(bars)
    index = pd.DatetimeIndex(pd.to_datetime([bar.start_ns for bar in bars], unit="ns", utc=True), name="start")
    return pd.DataFrame({
        "symbol": pd.Series([bar.symbol for bar in bars], index=index, dtype=object),
        "interval": pd.Series([bar.interval_s for bar in bars], index=index, dtype="int64"),
        "open": pd.Series([bar.open for bar in bars], index=index, dtype="float64"),
        "high": pd.Series([bar.high for bar in bars], index=index, dtype="float64"),
        "low": pd.Series([bar.low for bar in bars], index=index, dtype="float64"),
        "close": pd.Series([bar.close for bar in bars], index=index, dtype="float64"),
        "volume": pd.Series([bar.volume for bar in bars], index=index, dtype="uint64"),
        "trades": pd.Series([bar.trades for bar in bars], index=index, dtype="int64"),
        "closed": pd.Series([bar.closed for bar in bars], index=index, dtype="bool"),
    }, index=index)


def check_symbols(symbols):
    """Raises ValueError unless ``symbols`` holds at least one symbol and none is empty."""
    if not symbols or not all(isinstance(s, str) and s for s in symbols):
        raise ValueError("give at least one symbol, none of them empty")


def _check_positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number of seconds; it is {value!r}")


def _check_non_negative(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more; it is {value!r}")
