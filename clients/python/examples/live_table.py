#!/usr/bin/env python3
"""A live table of PriceFeed quotes: per symbol, the mid price, its rolling mean and the rolling VWAP.

    python3 clients/python/examples/live_table.py --url ws://127.0.0.1:8080/ws --symbols '*' --window 30

The VWAP counts the trades inside the window: a quote whose cumulative volume grew reports a trade of
that many units at its last price. The table is redrawn every --refresh seconds; --duration stops it.
"""

import argparse
import asyncio
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pricefeed_client import PriceFeedClient  # noqa: E402


class RollingStats:
    """One symbol's mids and trades over the last ``window`` seconds."""

    def __init__(self, window):
        self.window = window
        self.mids = collections.deque()    # (time, mid)
        self.trades = collections.deque()  # (time, price, size)
        self.mid_sum = 0.0
        self.notional = 0.0
        self.traded = 0
        self.last_volume = None
        self.last_seq = 0

    def add(self, quote, now):
        mid = (quote.bid + quote.ask) / 2
        self.mids.append((now, mid))
        self.mid_sum += mid
        # The first quote only sets the baseline: its volume is the whole session's, not a trade.
        if self.last_volume is not None and quote.volume > self.last_volume:
            size = quote.volume - self.last_volume
            self.trades.append((now, quote.last, size))
            self.notional += quote.last * size
            self.traded += size
        self.last_volume = quote.volume
        self.last_seq = quote.seq
        self.expire(now)

    def expire(self, now):
        horizon = now - self.window
        while self.mids and self.mids[0][0] < horizon:
            self.mid_sum -= self.mids.popleft()[1]
        while self.trades and self.trades[0][0] < horizon:
            _, price, size = self.trades.popleft()
            self.notional -= price * size
            self.traded -= size

    @property
    def mid(self):
        return self.mids[-1][1] if self.mids else float("nan")

    @property
    def mean_mid(self):
        return self.mid_sum / len(self.mids) if self.mids else float("nan")

    @property
    def vwap(self):
        return self.notional / self.traded if self.traded else float("nan")


def render(stats, client, window, rows):
    now = time.monotonic()
    lines = [f"{'symbol':<10} {'seq':>8} {'mid':>12} {f'mean mid {window:g}s':>14} {f'vwap {window:g}s':>12} {'traded':>10}"]
    for symbol in sorted(stats)[:rows]:
        s = stats[symbol]
        s.expire(now)
        lines.append(f"{symbol:<10} {s.last_seq:>8} {s.mid:>12.4f} {s.mean_mid:>14.4f} {s.vwap:>12.4f} {s.traded:>10}")
    lines.append(f"{client.state.value}; {len(stats)} symbols; gaps {client.gaps_detected}; "
                 f"conflated locally {client.quotes_conflated}")
    return "\n".join(lines)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8080/ws")
    parser.add_argument("--symbols", default="*", help="comma-separated symbols, or * for all (default)")
    parser.add_argument("--token", help="JWT for a server started with --auth-secret")
    parser.add_argument("--window", type=float, default=30.0, help="rolling window in seconds (default 30)")
    parser.add_argument("--refresh", type=float, default=1.0, help="seconds between redraws (default 1)")
    parser.add_argument("--rows", type=int, default=20, help="symbols shown, alphabetically (default 20)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    args = parser.parse_args()

    stats = {}
    async with PriceFeedClient(args.url, token=args.token) as client:
        await client.subscribe(*args.symbols.split(","))

        async def consume():
            async for quote in client.quotes():
                stats.setdefault(quote.symbol, RollingStats(args.window)).add(quote, time.monotonic())

        consumer = asyncio.ensure_future(consume())
        interactive = sys.stdout.isatty()
        started = time.monotonic()
        try:
            while args.duration is None or time.monotonic() - started < args.duration:
                await asyncio.sleep(args.refresh)
                # On a terminal, redraw in place; into a pipe or file, append one table per refresh.
                print(("\x1b[H\x1b[2J" if interactive else "") + render(stats, client, args.window, args.rows) + "\n",
                      flush=True)
        finally:
            consumer.cancel()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
