// PriceFeed market board: the candlestick chart of one symbol, drawn by TradingView Lightweight Charts
// (lightweight-charts.standalone.production.js beside this file, vendored by tools/dashboard-vendor/update.sh).
//
// app.js owns the socket and hands this file what concerns bars: the answer to its subscribe_bars and every
// `bars` message. The protocol (docs/protocol.md): subscribe_bars is answered by subscribe_result, then exactly
// one `bars` message holds the history (closed bars, oldest first), then updates: the bar in progress as it
// changes and each bar once more, closed, after its interval ends. A bar is keyed by its start: a closed bar
// replaces the in-progress one with the same start.
'use strict';

window.PriceFeedChart = (() => {
  const INTERVALS = [1, 5, 60, 300];
  const DEFAULT_INTERVAL_S = 5;
  const HISTORY = 300;               // closed bars asked for on opening a chart
  const MAX_HISTORY = 1000;          // the most a server keeps by default (--bar-history); more is rejected: history_over_limit
  const BAR_THROTTLE_MS = 200;       // at most 5 redraws a second of the bar in progress
  const STORAGE_KEY = 'pricefeed.chart';
  const NS_PER_S = 1_000_000_000n;

  const LWC = window.LightweightCharts;
  const colours = {
    bg: '#0b0f14', text: '#7d8b9a', line: '#1f2a36', grid: 'rgba(31, 42, 54, .55)',
    up: '#3fd68f', down: '#ff6b6b', upVolume: 'rgba(63, 214, 143, .45)', downVolume: 'rgba(255, 107, 107, .45)',
  };

  const price2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const price4 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 });
  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const num = (value) => (value === undefined ? 0 : Number(value));

  // Times on the axis and in the crosshair in the browser's time zone (the library takes UTC seconds).
  const pad2 = (n) => String(n).padStart(2, '0');
  const clock = (date, seconds) => `${pad2(date.getHours())}:${pad2(date.getMinutes())}${seconds ? `:${pad2(date.getSeconds())}` : ''}`;
  const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  function tickMark(time, type) {
    const date = new Date(time * 1000);
    switch (type) {
      case LWC.TickMarkType.Year: return String(date.getFullYear());
      case LWC.TickMarkType.Month:
      case LWC.TickMarkType.DayOfMonth: return dayMonth.format(date);
      case LWC.TickMarkType.TimeWithSeconds: return clock(date, true);
      default: return clock(date, false);
    }
  }

  /**
   * The chart panel. `send` sends a ClientMessage on the current connection (or drops it when there is none);
   * `nextRequestId` numbers requests with app.js's counter; `ready` says whether the connection has said hello.
   */
  function create({ send, nextRequestId, ready }) {
    const $ = (id) => document.getElementById(id);
    const dom = {
      panel: $('chart'), symbol: $('chart-symbol'), legend: $('chart-legend'), note: $('chart-note'),
      canvas: $('chart-canvas'), close: $('chart-close'), intervals: [...document.querySelectorAll('#chart-intervals button')],
    };

    let chart = null;                // made on first open, kept after (closing only hides it)
    let candles = null;
    let volume = null;
    let symbol = null;               // null: closed
    let intervalS = loadInterval();
    let phase = 'closed';            // closed | waiting (for the connection) | subscribing | history | live | rejected
    let requestId = '';              // of the subscribe_bars awaiting its subscribe_result
    let requested = 0;               // the history it asked for
    let historyLimit = MAX_HISTORY;  // lowered when a server keeping fewer bars refuses a history
    let lastClosedNs = null;         // BigInt start_ns of the last closed bar taken: the reconnect resumes after it
    let data = [];                   // the bars the chart holds, oldest first: { time, open, high, low, close, volume, closed }
    let historyCount = 0;            // closed bars the last history message brought
    let updates = 0;                 // bars taken after the history
    let hoveredTime = null;          // time of the bar under the crosshair, for the legend

    function loadInterval() {
      try {
        const stored = Number(localStorage.getItem(STORAGE_KEY));
        return INTERVALS.includes(stored) ? stored : DEFAULT_INTERVAL_S;
      } catch {
        return DEFAULT_INTERVAL_S;
      }
    }

    function makeChart() {
      chart = LWC.createChart(dom.canvas, {
        autoSize: true,
        layout: {
          background: { type: LWC.ColorType.Solid, color: colours.bg },
          textColor: colours.text,
          fontFamily: getComputedStyle(document.body).fontFamily,
          panes: { separatorColor: colours.line },
        },
        grid: { vertLines: { color: colours.grid }, horzLines: { color: colours.grid } },
        rightPriceScale: { borderColor: colours.line },
        timeScale: { borderColor: colours.line, timeVisible: true, secondsVisible: true, rightOffset: 3, tickMarkFormatter: tickMark },
        crosshair: { mode: LWC.CrosshairMode.Normal },
        localization: { timeFormatter: (time) => `${dayMonth.format(new Date(time * 1000))} ${clock(new Date(time * 1000), true)}` },
      });
      candles = chart.addSeries(LWC.CandlestickSeries, {
        upColor: colours.up, downColor: colours.down, wickUpColor: colours.up, wickDownColor: colours.down, borderVisible: false,
      });
      // Volume in a pane of its own under the candles, a quarter of the height.
      volume = chart.addSeries(LWC.HistogramSeries, { priceFormat: { type: 'volume' }, priceLineVisible: false }, 1);
      chart.panes()[0].setStretchFactor(3);
      chart.panes()[1].setStretchFactor(1);
      chart.subscribeCrosshairMove((param) => {
        hoveredTime = param.time ?? null;
        showLegend();
      });
    }

    // ---- opening, switching, closing ------------------------------------------------------------

    function open(next, nextInterval = intervalS) {
      if (!INTERVALS.includes(nextInterval)) throw new Error(`interval ${nextInterval} s is not offered (${INTERVALS.join(', ')})`);
      if (symbol === next && intervalS === nextInterval && phase !== 'closed') return;
      unsubscribe();
      symbol = next;
      intervalS = nextInterval;
      try {
        localStorage.setItem(STORAGE_KEY, String(intervalS));
      } catch {
        // Storage may be off: the interval is only a preference.
      }

      dom.panel.hidden = false;
      if (!chart) makeChart();
      reset();
      dom.symbol.textContent = symbol;
      for (const button of dom.intervals) button.setAttribute('aria-pressed', String(Number(button.dataset.interval) === intervalS));
      for (const tr of document.querySelectorAll('#rows tr.charted')) tr.classList.remove('charted');
      document.querySelector(`#rows tr[data-symbol="${CSS.escape(symbol)}"]`)?.classList.add('charted');
      subscribe(HISTORY);
    }

    function close() {
      unsubscribe();
      symbol = null;
      phase = 'closed';
      dom.panel.hidden = true;
      for (const tr of document.querySelectorAll('#rows tr.charted')) tr.classList.remove('charted');
    }

    /** Forgets the bars of the previous symbol or interval. */
    function reset() {
      data = [];
      lastClosedNs = null;
      historyCount = 0;
      updates = 0;
      hoveredTime = null;
      candles.setData([]);
      volume.setData([]);
      chart.applyOptions({ timeScale: { secondsVisible: intervalS < 60 } });
      showLegend();
    }

    function subscribe(history) {
      if (!ready()) {
        phase = 'waiting';
        note('Waiting for the connection…');
        return;
      }

      requestId = nextRequestId();
      requested = Math.min(history, historyLimit);
      phase = 'subscribing';
      note(data.length === 0 ? 'Loading bars…' : '');
      // request_id is a uint64: a string in canonical JSON.
      send({ subscribeBars: { requestId, symbols: [symbol], intervalS, history: requested, throttleMs: BAR_THROTTLE_MS } });
    }

    function unsubscribe() {
      if (symbol !== null && phase !== 'closed' && phase !== 'rejected' && ready()) {
        send({ unsubscribeBars: { requestId: nextRequestId(), symbols: [symbol], intervalS } });
      }
    }

    /**
     * A new connection has said hello: subscribe again. With a closed bar held, ask for the closed bars since it
     * (docs/protocol.md, "Bars": the intervals since it plus one, at most what the server keeps); take drops what the
     * chart already has.
     */
    function connected() {
      historyLimit = MAX_HISTORY;    // this connection may be to another node, keeping more
      if (symbol === null) return;
      let history = HISTORY;
      if (lastClosedNs !== null) {
        const intervalNs = BigInt(intervalS) * NS_PER_S;
        const elapsed = BigInt(Date.now()) * 1_000_000n - lastClosedNs;
        const missed = elapsed <= 0n ? 0n : (elapsed + intervalNs - 1n) / intervalNs;
        history = Number(missed) + 1;    // subscribe keeps it to what the server keeps
      }

      subscribe(history);
    }

    function disconnected() {
      if (symbol !== null) {
        phase = 'waiting';
        note('Reconnecting… the chart resumes after its last closed bar');
      }
    }

    // ---- messages -------------------------------------------------------------------------------

    /** The answer to this chart's subscribe_bars: true when it was ours (app.js then leaves it alone). */
    function onSubscribeResult(result) {
      if (phase !== 'subscribing' || String(result.requestId || '0') !== requestId) return false;
      if ((result.accepted || []).includes(symbol)) {
        phase = 'history';         // the next `bars` message is the history
      } else {
        const reason = (result.rejected || []).find((r) => r.symbol === symbol)?.reason || 'not accepted';
        if (reason === 'history_over_limit' && requested > 1) {
          // This server keeps fewer closed bars (its --bar-history): ask for half as many.
          historyLimit = Math.floor(requested / 2);
          subscribe(historyLimit);
          return true;
        }

        phase = 'rejected';
        note(`No bars for ${symbol}: ${reason.replace(/_/g, ' ')}`);
      }

      return true;
    }

    function onBars(batch) {
      const bars = (batch.bars || []).filter((b) => b.symbol === symbol && num(b.intervalS) === intervalS);
      if (phase === 'history') {
        phase = 'live';
        historyCount = bars.length;
        if (data.length === 0) {
          setHistory(bars);
        } else {
          for (const bar of bars) take(bar);
        }

        note(data.length === 0 ? `Waiting for the first trade of ${symbol}` : '');
      } else if (phase === 'live') {
        for (const bar of bars) {
          if (take(bar)) updates++;
        }

        if (data.length > 0) note('');
      }
      // Before the answer to the subscribe (bars of a subscription already replaced): not ours to show.
    }

    function toPoint(bar) {
      return {
        time: Number(BigInt(bar.startNs) / NS_PER_S),
        open: num(bar.open), high: num(bar.high), low: num(bar.low), close: num(bar.close),
        volume: num(bar.volume), closed: Boolean(bar.closed),
      };
    }

    function setHistory(bars) {
      const closed = bars.filter((b) => b.closed);
      data = closed.map(toPoint);
      if (closed.length > 0) lastClosedNs = BigInt(closed[closed.length - 1].startNs);
      pricePrecision(data[data.length - 1]);
      candles.setData(data.map(candle));
      volume.setData(data.map(volumeBar));
      showLegend();
    }

    /** One bar, closed or in progress: replaces the bar with its start, or adds it. False when dropped. */
    function take(bar) {
      const startNs = BigInt(bar.startNs);
      // After a reconnect the history may repeat what the chart has: nothing at or before the last closed bar.
      if (lastClosedNs !== null && startNs <= lastClosedNs) return false;
      if (bar.closed) lastClosedNs = startNs;
      const point = toPoint(bar);
      const last = data[data.length - 1];
      if (!last || point.time >= last.time) {
        if (last && point.time === last.time) data[data.length - 1] = point; else data.push(point);
        candles.update(candle(point));
        volume.update(volumeBar(point));
      } else {
        // Older than the newest bar (a bar closed after the next one began): into its place.
        const at = data.findIndex((p) => p.time >= point.time);
        if (data[at].time === point.time) {
          data[at] = point;
          candles.update(candle(point), true);
          volume.update(volumeBar(point), true);
        } else {
          data.splice(at, 0, point);
          candles.setData(data.map(candle));
          volume.setData(data.map(volumeBar));
        }
      }

      if (data.length === 1) pricePrecision(point);
      showLegend();
      return true;
    }

    const candle = (p) => ({ time: p.time, open: p.open, high: p.high, low: p.low, close: p.close });
    const volumeBar = (p) => ({ time: p.time, value: p.volume, color: p.close >= p.open ? colours.upVolume : colours.downVolume });

    /** Prices under 1 get 4 decimals, as on the board. */
    function pricePrecision(point) {
      const small = point !== undefined && Math.abs(point.close) < 1;
      candles.applyOptions({ priceFormat: { type: 'price', precision: small ? 4 : 2, minMove: small ? 0.0001 : 0.01 } });
    }

    // ---- legend and notes -----------------------------------------------------------------------

    /** The bar under the crosshair, or the latest: open, high, low, close, volume, and whether it is still open. */
    function showLegend() {
      const bar = (hoveredTime !== null && data.find((b) => b.time === hoveredTime)) || data[data.length - 1];
      if (!bar) {
        dom.legend.textContent = '';
        return;
      }

      const fmt = Math.abs(bar.close) < 1 ? price4 : price2;
      const parts = [['O', fmt.format(bar.open)], ['H', fmt.format(bar.high)], ['L', fmt.format(bar.low)], ['C', fmt.format(bar.close)], ['V', integer.format(bar.volume)]];
      dom.legend.replaceChildren(...parts.map(([label, value]) => {
        const span = document.createElement('span');
        const b = document.createElement('b');
        b.textContent = value;
        span.append(`${label} `, b);
        return span;
      }));
      dom.legend.classList.toggle('up', bar.close >= bar.open);
      dom.legend.classList.toggle('down', bar.close < bar.open);
      dom.legend.dataset.state = bar.closed ? 'closed' : 'open';
    }

    function note(text) {
      dom.note.textContent = text;
      dom.note.hidden = text === '';
    }

    // ---- controls -------------------------------------------------------------------------------

    for (const button of dom.intervals) {
      button.addEventListener('click', () => {
        if (symbol !== null) open(symbol, Number(button.dataset.interval));
      });
    }

    dom.close.addEventListener('click', close);

    return Object.freeze({
      open, close, connected, disconnected, onSubscribeResult, onBars,
      isOpen: () => symbol !== null,
      /** For window.priceFeed: what the chart shows and where it is in the protocol. */
      view: () => ({
        symbol, intervalS, phase, historyCount, updates, panes: chart ? chart.panes().length : 0,
        lastClosedNs: lastClosedNs === null ? null : String(lastClosedNs),
      }),
      bars: () => data.map((bar) => ({ ...bar })),
    });
  }

  return Object.freeze({ create, INTERVALS });
})();
