// PriceFeed market board: one WebSocket in the pricefeed.v1.json subprotocol, a table of quotes
// repainted once per animation frame, and a candlestick chart of the symbol clicked (chart.js, which
// this file hands the bars messages). No framework and no build step: the server embeds this file.
//
// The flow: messages arrive -> the latest quote per symbol waits in `pending` -> once per frame,
// each waiting quote updates its row's data, and the rows on screen repaint their cells in place.
// However fast quotes come, the page does one batch of DOM writes per frame, only for what can be
// seen (500 rows do not fit on a screen), and a row's nodes are made once and reused.
'use strict';

(() => {
  const SUBPROTOCOL = 'pricefeed.v1.json';
  const THROTTLES = [0, 100, 250, 1000];
  const DEFAULT_THROTTLE_MS = 250;   // humans cannot read 50 updates a second; 250 ms still feels live
  const DEFAULT_SYMBOLS = 25;        // first visit: the first symbols the server lists
  const SPARK_POINTS = 60;           // last prices kept per row for its sparkline
  const SPARK_REDRAW_MS = 250;       // a sparkline redraws at most 4 times a second
  const FLASH_MS = 350;              // how long a moved cell stays green or red, then fades
  const STATS_WINDOW_MS = 5000;      // latency percentiles and skipped updates over the last 5 s
  const LATENCY_SAMPLES = 1 << 15;   // ring of (arrival time, latency) pairs: 32768 covers 5 s at 6,500 quotes/s
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const STORAGE_KEY = 'pricefeed.board';

  const $ = (id) => document.getElementById(id);
  const dom = {
    rows: $('rows'), empty: $('empty'), banner: $('banner'),
    search: $('search'), results: $('search-results'), addTop: $('add-top'), topN: $('top-n'), clear: $('clear'),
    conn: $('conn'), connText: $('conn-text'), serverId: $('server-id'), rate: $('rate'),
    p50: $('p50'), p99: $('p99'), skipped: $('skipped'), count: $('count'), resume: $('resume'),
  };

  // ---- state --------------------------------------------------------------------------------

  const token = new URLSearchParams(location.search).get('token');
  const rows = new Map();          // symbol -> Row, in board order
  const pending = new Map();       // symbol -> latest quote not yet painted
  const lastSeq = new Map();       // symbol -> last seq taken in `epoch` (the seq guard, and where a resume starts)
  const received = new Map();      // symbol -> quotes taken since the page opened (for tests and curiosity)
  let allSymbols = [];
  let throttleMs = DEFAULT_THROTTLE_MS;
  let socket = null;
  let connection = 0;              // increments per connection: stale sockets' events are ignored
  let attempt = 0;
  let reconnectAt = 0;
  let requestId = 0;
  let serverId = '';
  let epoch = '';                  // the hello.epoch the seqs in lastSeq belong to ('' : the server names none)
  let helloSeen = false;           // on this connection: subscribes wait for hello, which says whether to resume
  let resumeRequest = null;        // { id, held, epochChanged } of the re-subscribe awaiting its answer
  let resumeLine = '';
  let slowConsumerLine = '';       // the last slow_consumer warning, for window.priceFeed
  let goAway = null;               // this connection's go_away hint: { afterMs, reason }
  let feedStale = null;            // why the server says its feed is stale; null while live
  let lastGoAway = null;           // the last one seen, for window.priceFeed
  let frameRequested = false;

  // The chart panel: it asks for bars on this file's socket and gets the answers from onMessage.
  const chart = window.PriceFeedChart.create({
    send,
    nextRequestId: () => String(++requestId),
    ready: () => helloSeen && socket !== null && socket.readyState === WebSocket.OPEN,
  });

  const stats = {
    quotesThisSecond: 0, rate: 0,
    latencyAt: new Float64Array(LATENCY_SAMPLES), latencyMs: new Float64Array(LATENCY_SAMPLES), latencyNext: 0,
    skips: [],                     // [arrival ms, updates skipped] per seq jump, last STATS_WINDOW_MS
  };

  // ---- formatting ---------------------------------------------------------------------------

  const price2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const price4 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 });
  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
  const signed2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4, signDisplay: 'exceptZero' });

  // Canonical JSON leaves zero values out and writes NaN/Infinity as strings: Number() covers all.
  const num = (value) => (value === undefined ? 0 : Number(value));
  // Prices under 1 get 4 decimals; a spread takes the decimals of the price it belongs to.
  const fmtPrice = (value, scale = value) => (Number.isFinite(value) ? (Math.abs(scale) < 1 ? price4 : price2).format(value) : '–');
  const fmtSize = (value) => (Number.isFinite(value) ? integer.format(value) : '–');

  // Same-host clocks (docs/protocol.md, "Messages": publish_time_ns is the server's Unix time); timeOrigin + now() keeps sub-ms precision.
  const nowMs = () => performance.timeOrigin + performance.now();

  // ---- the board's rows ---------------------------------------------------------------------

  const CELLS = ['bid', 'ask', 'spread', 'last', 'chg', 'chgPct', 'bidSize', 'askSize', 'volume'];

  class Row {
    constructor(symbol) {
      this.symbol = symbol;
      this.first = NaN;            // first last price seen: the base of change and change %
      this.quote = null;           // the latest quote taken, painted or not
      this.dirty = false;          // the cells do not show `quote` yet
      this.values = {};
      this.spark = new Float64Array(SPARK_POINTS);
      this.sparkCount = 0;
      this.sparkNext = 0;
      this.sparkDrawnAt = 0;
      this.sparkDirty = false;

      const tr = document.createElement('tr');
      tr.dataset.symbol = symbol;
      tr.tabIndex = 0;
      tr.className = 'stale';
      const th = document.createElement('th');
      th.scope = 'row';
      th.className = 'sym';
      th.textContent = symbol;
      tr.append(th);
      this.cells = {};
      for (const name of CELLS) {
        const td = document.createElement('td');
        td.className = name;
        td.textContent = '–';
        tr.append(td);
        this.cells[name] = td;
      }

      const sparkCell = document.createElement('td');
      sparkCell.className = 'spark';
      this.canvas = document.createElement('canvas');
      this.canvas.width = 96 * devicePixelRatio;
      this.canvas.height = 18 * devicePixelRatio;
      this.canvas.setAttribute('aria-hidden', 'true');
      sparkCell.append(this.canvas);
      tr.append(sparkCell);

      const removeCell = document.createElement('td');
      removeCell.className = 'remove';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = '×';
      button.title = `Remove ${symbol}`;
      button.setAttribute('aria-label', `Remove ${symbol}`);
      button.tabIndex = -1;        // the row itself takes focus; Delete removes it
      removeCell.append(button);
      tr.append(removeCell);
      this.tr = tr;
    }

    /** Takes a quote as the row's latest: data only, no DOM, so rows off screen cost next to nothing. */
    take(q) {
      const last = num(q.last);
      if (Number.isNaN(this.first) && last > 0) {
        this.first = last;
      }

      if (last > 0 && this.spark[(this.sparkNext + SPARK_POINTS - 1) % SPARK_POINTS] !== last) {
        this.spark[this.sparkNext] = last;
        this.sparkNext = (this.sparkNext + 1) % SPARK_POINTS;
        this.sparkCount = Math.min(this.sparkCount + 1, SPARK_POINTS);
        this.sparkDirty = true;
      }

      this.quote = q;
      this.dirty = true;
    }

    /** Shows the latest quote: text of the cells that changed, and a flash on those that moved if `flash`. */
    render(now, flash) {
      if (!this.dirty) {
        return;
      }

      this.dirty = false;
      this.tr.classList.remove('stale');
      const q = this.quote;
      const bid = num(q.bid);
      const ask = num(q.ask);
      const last = num(q.last);
      const change = last - this.first;
      this.set('bid', bid, fmtPrice(bid), now, flash);
      this.set('ask', ask, fmtPrice(ask), now, flash);
      this.set('spread', ask - bid, fmtPrice(ask - bid, bid), now, false);
      this.set('last', last, fmtPrice(last), now, flash);
      this.set('chg', change, Number.isFinite(change) ? signed2.format(change) : '–', now, false, true);
      // Rounded as shown, so a cell reading 0.00% is not coloured as a move.
      const pct = Math.round((change / this.first) * 10000) / 100;
      this.set('chgPct', pct, Number.isFinite(pct) ? `${percent.format(pct)}%` : '–', now, false, true);
      this.set('bidSize', num(q.bidSize), fmtSize(num(q.bidSize)), now, false);
      this.set('askSize', num(q.askSize), fmtSize(num(q.askSize)), now, false);
      this.set('volume', num(q.volume), fmtSize(num(q.volume)), now, false);
    }

    set(name, value, text, now, flash = true, signColored = false) {
      const old = this.values[name];
      if (old === value) {
        return;
      }

      this.values[name] = value;
      const cell = this.cells[name];
      cell.textContent = text;
      if (signColored) {
        cell.classList.toggle('pos', value > 0);
        cell.classList.toggle('neg', value < 0);
      }

      if (flash && old !== undefined && Number.isFinite(old) && Number.isFinite(value)) {
        flashCell(cell, value > old ? 'up' : 'down', now);
      }
    }

    /** Redraws the sparkline if it changed and its last redraw is old enough; true while a redraw still waits. */
    drawSpark(now) {
      if (!this.sparkDirty) {
        return false;
      }

      if (now - this.sparkDrawnAt < SPARK_REDRAW_MS) {
        return true;
      }

      this.sparkDirty = false;
      this.sparkDrawnAt = now;
      const ctx = this.canvas.getContext('2d');
      const { width, height } = this.canvas;
      ctx.clearRect(0, 0, width, height);
      if (this.sparkCount < 2) {
        return false;
      }

      let min = Infinity;
      let max = -Infinity;
      const start = (this.sparkNext - this.sparkCount + SPARK_POINTS) % SPARK_POINTS;
      for (let i = 0; i < this.sparkCount; i++) {
        const v = this.spark[(start + i) % SPARK_POINTS];
        min = Math.min(min, v);
        max = Math.max(max, v);
      }

      const pad = 2 * devicePixelRatio;
      const span = max - min || 1;
      const step = (width - 2 * pad) / (SPARK_POINTS - 1);
      const x0 = width - pad - (this.sparkCount - 1) * step;
      ctx.beginPath();
      for (let i = 0; i < this.sparkCount; i++) {
        const v = this.spark[(start + i) % SPARK_POINTS];
        const x = x0 + i * step;
        const y = height - pad - ((v - min) / span) * (height - 2 * pad);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }

      const rising = this.spark[(start + this.sparkCount - 1) % SPARK_POINTS] >= this.spark[start];
      ctx.strokeStyle = rising ? '#3fd68f' : '#ff6b6b';
      ctx.lineWidth = 1.25 * devicePixelRatio;
      ctx.lineJoin = 'round';
      ctx.stroke();
      return false;
    }
  }

  // Rows on screen (or about to be): the only ones whose cells and sparklines are repainted.
  const onScreen = new Set();
  const visibility = new IntersectionObserver((entries) => {
    const now = performance.now();
    for (const entry of entries) {
      const row = rows.get(entry.target.dataset.symbol);
      if (!row) continue;
      if (entry.isIntersecting) {
        onScreen.add(row);
        // Coming into view: show the latest at once, without flashing what changed while hidden.
        row.render(now, false);
        row.sparkDrawnAt = 0;
      } else {
        onScreen.delete(row);
      }
    }

    requestPaint();
  }, { root: document.querySelector('.board-wrap'), rootMargin: '200px 0px' });

  // A moved cell turns green or red at once and fades back (CSS transition) when the class goes.
  const flashing = new Map();      // cell -> time its flash ends
  function flashCell(cell, direction, now) {
    cell.classList.remove(direction === 'up' ? 'down' : 'up');
    cell.classList.add(direction);
    flashing.set(cell, now + FLASH_MS);
  }

  function endFlashes(now) {
    for (const [cell, until] of flashing) {
      if (until <= now) {
        cell.classList.remove('up', 'down');
        flashing.delete(cell);
      }
    }
  }

  // ---- painting: once per animation frame ---------------------------------------------------

  function requestPaint() {
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(paint);
    }
  }

  function paint() {
    frameRequested = false;
    const now = performance.now();
    for (const [symbol, quote] of pending) {
      rows.get(symbol)?.take(quote);
    }

    pending.clear();
    let sparksWaiting = false;
    for (const row of onScreen) {
      row.render(now, true);
      sparksWaiting = row.drawSpark(now) || sparksWaiting;
    }

    endFlashes(now);
    // Keep painting while flashes fade or sparklines wait for their next redraw.
    if (flashing.size > 0 || sparksWaiting) {
      requestPaint();
    }
  }

  // ---- the connection -----------------------------------------------------------------------

  function socketUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // Browsers cannot set headers on a WebSocket: the token travels as ?token= (docs/protocol.md, "Tokens").
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    return `${scheme}//${location.host}/ws${query}`;
  }

  function connect() {
    const id = ++connection;
    setState('connecting', attempt === 0 ? 'Connecting…' : `Reconnecting… (attempt ${attempt + 1})`);
    const ws = new WebSocket(socketUrl(), SUBPROTOCOL);
    socket = ws;
    helloSeen = false;
    resumeRequest = null;
    goAway = null;
    // A new connection is live until its server says stale (it does so right after hello).
    feedStale = null;
    dom.rows.classList.remove('feed-stale');
    // The board is subscribed once hello has said whether this server can resume (onHello).
    ws.onmessage = (event) => {
      if (id === connection) onMessage(event.data);
    };
    ws.onclose = (event) => {
      if (id === connection) scheduleReconnect(event);
    };
  }

  function scheduleReconnect(event) {
    socket = null;
    chart.disconnected();
    for (const row of rows.values()) row.tr.classList.add('stale');
    // Exponential backoff with full jitter: many dashboards of a restarted node do not return at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
    let delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    // A server that went away said when to come back (docs/protocol.md, "Go-away"): no sooner, plus our own jitter.
    if (goAway) delay = Math.max(delay, Math.round(goAway.afterMs + Math.random() * BACKOFF_FIRST_MS));
    attempt++;
    reconnectAt = Date.now() + delay;
    // 1006: no close frame at all (refused, or the network dropped); 1001: the server is shutting down.
    const why = event.code === 1006 ? 'server unreachable'
      : goAway ? `server ${goAway.reason === 'restart' ? 'restarting' : 'going away'}`
        : event.code === 1001 ? 'server went away' : `closed with ${event.code}`;
    goAway = null;
    setState('reconnecting', `Disconnected: ${why}`);
    showBanner('warn', () => `Connection lost (${why}). Reconnecting in ${Math.max(0, (reconnectAt - Date.now()) / 1000).toFixed(1)} s — attempt ${attempt}`);
    setTimeout(connect, delay);
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function subscribe(symbols) {
    if (symbols.length > 0 && helloSeen) {
      // requestId is a uint64: a string in canonical JSON.
      send({ subscribe: { requestId: String(++requestId), symbols, throttleMs } });
    }
  }

  function unsubscribe(symbols) {
    if (symbols.length > 0) {
      send({ unsubscribe: { requestId: String(++requestId), symbols } });
    }
  }

  function onMessage(text) {
    const message = JSON.parse(text);
    if (message.quotes) {
      take(message.quotes.quotes);
    } else if (message.bars) {
      chart.onBars(message.bars);
    } else if (message.snapshot) {
      take(message.snapshot.quotes);
      if (attempt > 0) {
        attempt = 0;
        showBanner('ok', () => 'Reconnected — board resynced from the snapshot', 3000);
      }
    } else if (message.hello) {
      onHello(message.hello);
      serverId = message.hello.serverId || '';
      dom.serverId.textContent = serverId || '–';
      setState('live', 'Live');
      if (attempt > 0 && rows.size === 0) {
        attempt = 0;
        showBanner('ok', () => 'Reconnected', 3000);
      }
    } else if (message.subscribeResult) {
      // The chart's subscribe_bars is answered here too; the chart shows its own rejections.
      if (!chart.onSubscribeResult(message.subscribeResult)) onSubscribeResult(message.subscribeResult);
    } else if (message.slowConsumer) {
      onSlowConsumer(message.slowConsumer);
    } else if (message.status) {
      onFeedStatus(message.status);
    } else if (message.goAway) {
      // The 1001 follows; scheduleReconnect waits at least this long.
      goAway = { afterMs: num(message.goAway.reconnectAfterMs), reason: message.goAway.reason || 'shutdown' };
      lastGoAway = goAway;
    } else if (message.error) {
      showBanner('error', () => `Server error ${message.error.code}: ${message.error.message}`, 8000);
    }
  }

  /** The answer to a subscribe of the board: how a resume went, and the symbols refused. */
  function onSubscribeResult(result) {
    if (resumeRequest && String(result.requestId || '0') === resumeRequest.id) {
      const recovered = (result.recovered || []).length;
      showResume(recovered, resumeRequest.held - recovered, resumeRequest.epochChanged);
      resumeRequest = null;
    }

    const rejected = result.rejected || [];
    if (rejected.length > 0) {
      showBanner('warn', () => `Not subscribed: ${rejected.slice(0, 5).map((r) => `${r.symbol} (${r.reason})`).join(', ')}${rejected.length > 5 ? '…' : ''}`, 6000);
    }
  }

  /**
   * status: the server's source became unreachable (its bus down, its publisher silent) or reachable again. While
   * stale the board greys every price and the status bar says why; the connection itself is fine.
   */
  function onFeedStatus(status) {
    feedStale = status.state === 'stale' ? (status.reason || 'source unreachable') : null;
    dom.rows.classList.toggle('feed-stale', feedStale !== null);
    if (feedStale !== null) {
      setState('stale', `Stale: ${feedStale.replace(/_/g, ' ')}`);
      showBanner('warn', () => `Prices may be stale: the server's source is unreachable (${feedStale.replace(/_/g, ' ')})`);
    } else {
      setState('live', 'Live');
      showBanner('ok', () => 'Quotes are flowing again', 3000);
    }
  }

  /**
   * slow_consumer: the server warns that this page is falling behind (its queue there past half its bound, or its
   * socket full for half the grace) and will close it with 4001 unless it catches up; then says when it has. The
   * banner counts down to the close; a throttle (the radio buttons) is the cure the page offers.
   */
  function onSlowConsumer(warning) {
    if (warning.cleared) {
      slowConsumerLine = 'caught up';
      showBanner('ok', () => 'Caught up — the server no longer warns that this page is falling behind', 3000);
      return;
    }

    const queued = num(warning.queued);
    const limit = num(warning.limit);
    const closeAt = Date.now() + num(warning.closeInMs);
    slowConsumerLine = `falling behind: ${queued} of ${limit} updates queued`;
    showBanner('warn', () =>
      `Falling behind: ${integer.format(queued)} of ${integer.format(limit)} updates queued at the server; it disconnects this page in ${Math.max(0, (closeAt - Date.now()) / 1000).toFixed(1)} s unless it catches up (a throttle helps)`,
      num(warning.closeInMs));
  }

  /**
   * hello, first on every connection and again when the server's source starts a new epoch. Same epoch and a
   * server that keeps history: the board resumes from its last seqs and the server sends exactly what was missed
   * (docs/clients.md, "Resume"). Otherwise the snapshot brings every symbol up to date, and after a new epoch
   * (the source restarted, seqs start again) the seq guard starts again instead of holding quotes back as stale.
   */
  function onHello(hello) {
    const next = hello.epoch || '';
    const epochChanged = epoch !== '' && next !== '' && next !== epoch;
    const held = [...rows.keys()].filter((s) => lastSeq.has(s));
    if (helloSeen) {
      // Mid-connection: a snapshot of every subscribed symbol follows.
      if (epochChanged) {
        lastSeq.clear();
        if (held.length > 0) showResume(0, held.length, true);
      }
    } else {
      helloSeen = true;
      const canResume = !epochChanged && epoch !== '' && next === epoch && num(hello.resumeDepth) > 0 && held.length > 0;
      // Without resume, a new connection is a new stream as before: the guard starts again from its snapshot.
      if (!canResume) lastSeq.clear();
      const symbols = [...rows.keys()];
      if (symbols.length > 0) {
        const request = { requestId: String(++requestId), symbols, throttleMs };
        if (canResume) {
          // map<string, uint64> in canonical JSON: seqs as strings.
          request.resume = Object.fromEntries(held.map((s) => [s, String(lastSeq.get(s))]));
          request.epoch = epoch;
        }

        resumeRequest = held.length > 0 ? { id: request.requestId, held: held.length, epochChanged } : null;
        send({ subscribe: request });
      }

      // An open chart asks again for its bars, from after the last closed bar it holds.
      chart.connected();
    }

    epoch = next;
  }

  /** The status bar's resume line: how the symbols held before a reconnect (or a new epoch) were brought up to date. */
  function showResume(recovered, fromSnapshot, epochChanged) {
    resumeLine = `resumed ${integer.format(recovered + fromSnapshot)} symbols, ${integer.format(fromSnapshot)} from snapshot${epochChanged ? ' (new epoch)' : ''}`;
    dom.resume.textContent = resumeLine;
    dom.resume.parentElement.hidden = false;
    if (fromSnapshot === 0 && attempt > 0) {
      // No snapshot follows to announce the reconnect: every symbol continues with no gap.
      attempt = 0;
      showBanner('ok', () => `Reconnected — resumed ${integer.format(recovered)} symbols with no gap`, 3000);
    }
  }

  /** Takes quotes off a message: the seq guard, gap counting, latency, then the latest per symbol waits for the frame. */
  function take(quotes) {
    const now = nowMs();
    for (const q of quotes) {
      // seq fits a double exactly up to 2^53, far past any session's count.
      const seq = num(q.seq);
      const previous = lastSeq.get(q.symbol) || 0;
      if (seq <= previous) {
        continue;              // not newer: already shown (docs/protocol.md, "Guarantees": seq strictly increases)
      }

      if (previous > 0 && seq > previous + 1) {
        stats.skips.push(now, seq - previous - 1);
      }

      lastSeq.set(q.symbol, seq);
      received.set(q.symbol, (received.get(q.symbol) || 0) + 1);
      stats.quotesThisSecond++;
      const publishMs = num(q.publishTimeNs) / 1e6;
      if (publishMs > 0) {
        const i = stats.latencyNext++ & (LATENCY_SAMPLES - 1);
        stats.latencyAt[i] = now;
        stats.latencyMs[i] = now - publishMs;
      }

      pending.set(q.symbol, q);
    }

    requestPaint();
  }

  // ---- status bar and banner ----------------------------------------------------------------

  function setState(state, text) {
    dom.conn.dataset.state = state;
    dom.connText.textContent = text;
  }

  let bannerText = null;
  let bannerUntil = 0;
  function showBanner(kind, text, forMs = 0) {
    bannerText = text;
    bannerUntil = forMs > 0 ? Date.now() + forMs : Infinity;
    dom.banner.className = `banner ${kind}`;
    dom.banner.textContent = text();
    dom.banner.hidden = false;
  }

  function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  function updateStatus() {
    const now = nowMs();
    stats.rate = stats.quotesThisSecond;
    stats.quotesThisSecond = 0;
    dom.rate.textContent = integer.format(stats.rate);

    const samples = [];
    const count = Math.min(stats.latencyNext, LATENCY_SAMPLES);
    for (let i = 0; i < count; i++) {
      if (now - stats.latencyAt[i] <= STATS_WINDOW_MS) samples.push(stats.latencyMs[i]);
    }

    samples.sort((a, b) => a - b);
    const ms = (v) => `${v < 10 ? v.toFixed(1) : integer.format(v)} ms`;
    dom.p50.textContent = samples.length ? ms(percentile(samples, 0.5)) : '–';
    dom.p99.textContent = samples.length ? ms(percentile(samples, 0.99)) : '–';

    while (stats.skips.length > 0 && now - stats.skips[0] > STATS_WINDOW_MS) stats.skips.splice(0, 2);
    let skipped = 0;
    for (let i = 1; i < stats.skips.length; i += 2) skipped += stats.skips[i];
    dom.skipped.textContent = integer.format(skipped);
    dom.skipped.parentElement.title = throttleMs > 0
      ? `Updates skipped in the last 5 s; with a ${throttleMs} ms throttle the server conflates by design`
      : 'Updates skipped by seq jumps in the last 5 s: conflated or dropped because this page fell behind';
  }

  function updateBanner() {
    if (bannerText === null) return;
    if (Date.now() >= bannerUntil) {
      bannerText = null;
      dom.banner.hidden = true;
      return;
    }

    dom.banner.textContent = bannerText();
  }

  // ---- choosing symbols ---------------------------------------------------------------------

  function addSymbols(symbols) {
    const added = [];
    for (const symbol of symbols) {
      if (!rows.has(symbol)) {
        const row = new Row(symbol);
        rows.set(symbol, row);
        dom.rows.append(row.tr);
        visibility.observe(row.tr);
        added.push(symbol);
      }
    }

    subscribe(added);
    boardChanged();
    return added;
  }

  function removeSymbol(symbol) {
    const row = rows.get(symbol);
    if (!row) return;
    const next = row.tr.nextElementSibling || row.tr.previousElementSibling;
    visibility.unobserve(row.tr);
    onScreen.delete(row);
    row.tr.remove();
    rows.delete(symbol);
    pending.delete(symbol);
    lastSeq.delete(symbol);
    unsubscribe([symbol]);
    boardChanged();
    if (next) next.focus();
  }

  function clearBoard() {
    unsubscribe([...rows.keys()]);
    visibility.disconnect();
    onScreen.clear();
    rows.clear();
    pending.clear();
    lastSeq.clear();
    dom.rows.replaceChildren();
    boardChanged();
  }

  function setThrottle(ms) {
    throttleMs = ms;
    for (const input of document.querySelectorAll('input[name=throttle]')) {
      input.checked = Number(input.value) === ms;
    }

    // Subscribing again to a symbol updates its throttle (and answers with a snapshot, which the seq guard passes over).
    subscribe([...rows.keys()]);
    saveChoice();
  }

  function boardChanged() {
    dom.count.textContent = integer.format(rows.size);
    dom.empty.hidden = rows.size > 0;
    saveChoice();
  }

  // The choice lives in the URL hash (shareable, survives reload) and in localStorage (the default next time).
  function saveChoice() {
    const choice = { symbols: [...rows.keys()], throttleMs };
    const hash = `#throttle=${throttleMs}&symbols=${choice.symbols.map(encodeURIComponent).join(',')}`;
    history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
    } catch {
      // Storage may be off (private mode, quota): the hash still keeps the choice.
    }
  }

  function loadChoice() {
    // Split before decoding: a symbol may hold ',' or '%' (each symbol is encoded on its own in saveChoice).
    const fields = new Map(location.hash.slice(1).split('&').map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    }));
    if (fields.has('symbols')) {
      try {
        return {
          symbols: fields.get('symbols').split(',').filter(Boolean).map(decodeURIComponent),
          throttleMs: Number(fields.get('throttle') ?? DEFAULT_THROTTLE_MS),
        };
      } catch {
        // A hand-edited hash that does not decode: fall back to storage and defaults.
      }
    }

    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      if (stored && Array.isArray(stored.symbols)) return stored;
    } catch {
      // Unreadable storage: fall back to the defaults.
    }

    return null;
  }

  // ---- search -------------------------------------------------------------------------------

  let matches = [];
  let active = -1;

  function search(text) {
    const query = text.trim().toUpperCase();
    matches = [];
    if (query) {
      const starts = [];
      const contains = [];
      for (const symbol of allSymbols) {
        if (rows.has(symbol)) continue;
        const at = symbol.toUpperCase().indexOf(query);
        if (at === 0) starts.push(symbol); else if (at > 0) contains.push(symbol);
        if (starts.length >= 12) break;
      }

      matches = starts.concat(contains).slice(0, 12);
    }

    active = matches.length ? 0 : -1;
    renderResults();
  }

  function renderResults() {
    dom.results.replaceChildren(...matches.map((symbol, i) => {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.id = `match-${i}`;
      li.textContent = symbol;
      li.setAttribute('aria-selected', String(i === active));
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();          // keep the focus in the box
        pick(symbol);
      });
      return li;
    }));
    const open = matches.length > 0;
    dom.results.hidden = !open;
    dom.search.setAttribute('aria-expanded', String(open));
    dom.search.setAttribute('aria-activedescendant', active >= 0 ? `match-${active}` : '');
  }

  function pick(symbol) {
    addSymbols([symbol]);
    dom.search.value = '';
    search('');
    rows.get(symbol)?.tr.scrollIntoView({ block: 'nearest' });
  }

  dom.search.addEventListener('input', () => search(dom.search.value));
  dom.search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (matches.length) {
        active = (active + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        renderResults();
      }
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const exact = dom.search.value.trim().toUpperCase();
      if (active >= 0) pick(matches[active]);
      else if (allSymbols.includes(exact)) pick(exact);
    } else if (e.key === 'Escape') {
      dom.search.value = '';
      search('');
      dom.search.blur();
    }
  });
  dom.search.addEventListener('blur', () => {
    dom.results.hidden = true;
  });

  dom.addTop.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Math.max(1, Math.floor(Number(dom.topN.value) || 0));
    addSymbols(allSymbols.slice(0, n));
  });
  dom.clear.addEventListener('click', clearBoard);

  for (const input of document.querySelectorAll('input[name=throttle]')) {
    input.addEventListener('change', () => setThrottle(Number(input.value)));
  }

  // Rows: the remove button, a click anywhere else opens the row's chart; Delete/Backspace, Enter or arrow keys on a focused row.
  dom.rows.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    const tr = e.target.closest('tr');
    if (button) removeSymbol(tr.dataset.symbol);
    else if (tr) chart.open(tr.dataset.symbol);
  });
  dom.rows.addEventListener('keydown', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      removeSymbol(tr.dataset.symbol);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      chart.open(tr.dataset.symbol);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
    }
  });

  document.addEventListener('keydown', (e) => {
    const active = document.activeElement;
    const typing = active instanceof HTMLInputElement && ['text', 'search', 'number'].includes(active.type);
    if (e.key === '/' && !typing) {
      e.preventDefault();
      dom.search.focus();
    } else if (e.key === 'Escape' && !typing && chart.isOpen()) {
      chart.close();
    }
  });

  // ---- start --------------------------------------------------------------------------------

  async function loadSymbols() {
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    for (let delay = BACKOFF_FIRST_MS; ; delay = Math.min(delay * 2, BACKOFF_MAX_MS)) {
      try {
        const response = await fetch(`/api/symbols${query}`, { cache: 'no-store' });
        if (response.ok) return await response.json();
      } catch {
        // The server is not reachable yet: try again, like the socket does.
      }

      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  // A view for the browser tests and for a curious trader's console: read-only but for opening and closing the chart.
  window.priceFeed = Object.freeze({
    state: () => dom.conn.dataset.state,
    serverId: () => serverId,
    throttleMs: () => throttleMs,
    symbols: () => [...rows.keys()],
    received: () => Object.fromEntries(received),
    epoch: () => epoch,
    resume: () => resumeLine,
    slowConsumer: () => slowConsumerLine,
    goAway: () => lastGoAway,
    feedStale: () => feedStale,
    rate: () => stats.rate,
    chart: () => chart.view(),
    chartBars: () => chart.bars(),
    openChart: (symbol, intervalS) => chart.open(symbol, intervalS),
    closeChart: () => chart.close(),
  });

  async function start() {
    const choice = loadChoice();
    throttleMs = THROTTLES.includes(Number(choice?.throttleMs)) ? Number(choice.throttleMs) : DEFAULT_THROTTLE_MS;
    for (const input of document.querySelectorAll('input[name=throttle]')) {
      input.checked = Number(input.value) === throttleMs;
    }

    connect();
    allSymbols = await loadSymbols();
    const known = new Set(allSymbols);
    addSymbols(choice ? choice.symbols.filter((s) => known.has(s)) : allSymbols.slice(0, DEFAULT_SYMBOLS));
    setInterval(updateStatus, 1000);
    setInterval(updateBanner, 100);
  }

  start();
})();
