// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against a real server.
//
//   PRICEFEED_URL=http://127.0.0.1:8080/ node dashboard.test.mjs
//
// Run by tests/PriceFeed.Tests/Browser/DashboardTests.cs, which starts the server and sets
// PRICEFEED_CONTROL=stdio: this script then asks it to stop and start the server by printing
// "pricefeed-control stop" or "pricefeed-control start" and waits for "ok" on stdin. Without a
// controller the reconnect case is skipped (nothing here may stop a server it did not start).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const baseUrl = process.env.PRICEFEED_URL;
const controlled = process.env.PRICEFEED_CONTROL === 'stdio';
const screenshotPath = process.env.PRICEFEED_SCREENSHOT || join(here, 'artifacts', 'dashboard.png');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

if (!baseUrl) {
  console.error('Set PRICEFEED_URL to the server, e.g. PRICEFEED_URL=http://127.0.0.1:8080/');
  process.exit(2);
}

let browser;
let page;
let userDataDir;
const pageErrors = [];

// ---- helpers -------------------------------------------------------------------------------

// The controller's answers, one line each; closed at the end so that stdin does not keep node alive.
const controllerInput = controlled ? createInterface({ input: process.stdin }) : null;
const controllerLines = controllerInput?.[Symbol.asyncIterator]();

async function control(command) {
  process.stdout.write(`pricefeed-control ${command}\n`);
  const { value } = await controllerLines.next();
  assert.equal(value?.trim(), 'ok', `the controller did not confirm '${command}'`);
}

/** Polls fn in the page until it returns a truthy value; waits, never sleeps blindly. */
async function until(what, fn, arg, timeout = 15000) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return await handle.jsonValue();
  } catch (error) {
    throw new Error(`Timed out after ${timeout} ms waiting until ${what}: ${error.message.split('\n')[0]}`);
  }
}

const lastPrices = () => page.$$eval('#rows td.last', (cells) => cells.map((c) => c.textContent));
const received = () => page.evaluate(() => window.priceFeed.received());

/** Quotes per symbol per second over `ms`, averaged over the board's symbols. */
async function updatesPerSymbolPerSecond(ms) {
  const start = await received();
  const startedAt = Date.now();
  await page.waitForTimeout(ms);
  const end = await received();
  const seconds = (Date.now() - startedAt) / 1000;
  const symbols = Object.keys(end);
  const total = symbols.reduce((sum, s) => sum + (end[s] - (start[s] || 0)), 0);
  return total / symbols.length / seconds;
}

async function setThrottle(label) {
  await page.getByRole('radio', { name: label }).check({ force: true });
  const expected = { Off: 0, '100 ms': 100, '250 ms': 250, '1 s': 1000 }[label];
  await until(`the throttle is ${label}`, (ms) => window.priceFeed.throttleMs() === ms, expected);
}

// ---- fixture -------------------------------------------------------------------------------

before(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'pricefeed-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

after(async () => {
  controllerInput?.close();
  process.stdin.destroy();
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

// ---- cases ---------------------------------------------------------------------------------

test('loads, connects, subscribes and shows prices that change', async () => {
  // A token in the query goes on to the WebSocket (auth comes later; the server ignores it today).
  await page.goto(new URL('/?token=test-token', baseUrl).href);
  assert.equal(await page.title(), 'PriceFeed · Market board');

  await until('the socket is live', () => window.priceFeed.state() === 'live');
  const serverId = await page.evaluate(() => window.priceFeed.serverId());
  assert.ok(serverId, 'hello gave a server id');
  assert.equal(await page.textContent('#server-id'), serverId);

  const rows = await until('the default symbols are on the board', () => document.querySelectorAll('#rows tr').length >= 25 && document.querySelectorAll('#rows tr').length);
  assert.equal(rows, 25);
  assert.match(new URL(page.url()).hash, /symbols=/, 'the choice is kept in the URL hash');

  await until('every row shows a price', () => [...document.querySelectorAll('#rows td.last')].every((c) => /\d/.test(c.textContent)));
  const first = await lastPrices();
  await until('prices change', (before) => [...document.querySelectorAll('#rows td.last')].some((c, i) => c.textContent !== before[i]), first);
  await until('the status bar counts updates', () => Number(document.getElementById('rate').textContent.replace(/,/g, '')) > 0);
  await until('the status bar shows latency', () => /ms/.test(document.getElementById('p99').textContent));
  assert.deepEqual(pageErrors, []);
});

test('the throttle reaches the server: fewer updates per symbol per second', async () => {
  await setThrottle('Off');
  await page.waitForTimeout(500);
  const unthrottled = await updatesPerSymbolPerSecond(2000);

  await setThrottle('1 s');
  // Let updates already in flight arrive before measuring.
  await page.waitForTimeout(1200);
  const throttled = await updatesPerSymbolPerSecond(3000);

  console.log(`# updates per symbol per second: off ${unthrottled.toFixed(2)}, 1 s ${throttled.toFixed(2)}`);
  assert.ok(throttled <= 1.5, `with a 1 s throttle a symbol got ${throttled.toFixed(2)} updates a second`);
  assert.ok(unthrottled > 3 * throttled, `off (${unthrottled.toFixed(2)}/s) is not clearly above 1 s (${throttled.toFixed(2)}/s)`);
  assert.match(new URL(page.url()).hash, /throttle=1000/);
});

test('symbols are added by search and top N, and removed', async () => {
  const all = await page.evaluate(async () => (await fetch('/api/symbols')).json());
  const onBoard = new Set(await page.evaluate(() => window.priceFeed.symbols()));
  // From beyond the top 40, so that adding the top 40 next does not bring it in a second time.
  const candidate = all.slice(40).find((s) => !onBoard.has(s));

  await page.keyboard.press('/');
  await page.keyboard.type(candidate);
  await page.waitForSelector('#search-results li');
  await page.keyboard.press('Enter');
  await until(`${candidate} has a row with a price`, (s) => /\d/.test(document.querySelector(`#rows tr[data-symbol="${s}"] td.last`)?.textContent ?? ''), candidate);

  await page.fill('#top-n', '40');
  await page.click('#add-top button');
  await until('the top 40 are on the board', () => window.priceFeed.symbols().length >= 40);

  await page.hover(`#rows tr[data-symbol="${candidate}"]`);
  await page.click(`#rows tr[data-symbol="${candidate}"] td.remove button`);
  await until(`${candidate} is gone`, (s) => !document.querySelector(`#rows tr[data-symbol="${s}"]`), candidate);
  assert.equal(await page.$$eval('#rows tr', (r) => r.length), 40);

  // The choice survives a reload: it is in the URL hash.
  const chosen = await page.evaluate(() => window.priceFeed.symbols());
  await page.reload();
  await until('the socket is live after the reload', () => window.priceFeed.state() === 'live');
  await until('the same 40 symbols are back', (expected) => window.priceFeed.symbols().join() === expected.join(), chosen);
  assert.equal(await page.evaluate(() => window.priceFeed.throttleMs()), 1000);
});

test('screenshot of the live board', async () => {
  await setThrottle('250 ms');
  await page.mouse.move(0, 0);
  // Let sparklines fill and a few cells flash.
  await page.waitForTimeout(6000);
  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath });
  console.log(`# screenshot: ${screenshotPath}`);
});

test('shows the server\'s slow-consumer warning with a countdown, then that it caught up; greys prices while the feed is stale', async () => {
  // The server side of the warning is tested with real stalled sockets (PriceFeedClientSignalTests, the Python
  // client's slow_consumer scenario); here the page's part: a second page whose socket passes through a route,
  // so the test can add the server's slow_consumer messages to what the real server sends.
  const second = await browser.newPage();
  let toPage = null;
  await second.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => ws.send(message));
    ws.onMessage((message) => server.send(message));
    toPage = ws;
  });
  try {
    await second.goto(baseUrl);
    await second.waitForFunction(() => window.priceFeed.state() === 'live', undefined, { timeout: 15000, polling: 100 });
    toPage.send(JSON.stringify({ slowConsumer: { queued: 700, limit: 1024, closeInMs: 8000 } }));
    await second.waitForFunction(() => /Falling behind: 700 of 1,024 updates queued.*disconnects this page in \d/.test(document.getElementById('banner').textContent), undefined, { timeout: 5000, polling: 100 });
    assert.equal(await second.evaluate(() => window.priceFeed.slowConsumer()), 'falling behind: 700 of 1024 updates queued');
    assert.equal(await second.getAttribute('#banner', 'class'), 'banner warn');

    toPage.send(JSON.stringify({ slowConsumer: { cleared: true, limit: 1024 } }));
    await second.waitForFunction(() => /^Caught up/.test(document.getElementById('banner').textContent), undefined, { timeout: 5000, polling: 100 });
    assert.equal(await second.evaluate(() => window.priceFeed.slowConsumer()), 'caught up');
    assert.equal(await second.evaluate(() => window.priceFeed.state()), 'live');

    // Feed status: stale greys every price and says why; live brings them back.
    toPage.send(JSON.stringify({ status: { state: 'stale', reason: 'bus_down', sinceNs: '1' } }));
    await second.waitForFunction(() => document.getElementById('rows').classList.contains('feed-stale'), undefined, { timeout: 5000, polling: 100 });
    assert.equal(await second.evaluate(() => window.priceFeed.feedStale()), 'bus_down');
    assert.equal(await second.evaluate(() => window.priceFeed.state()), 'stale');
    assert.match(await second.textContent('#banner'), /Prices may be stale.*bus down/);
    toPage.send(JSON.stringify({ status: { state: 'live' } }));
    await second.waitForFunction(() => !document.getElementById('rows').classList.contains('feed-stale'), undefined, { timeout: 5000, polling: 100 });
    assert.equal(await second.evaluate(() => window.priceFeed.feedStale()), null);
    assert.equal(await second.evaluate(() => window.priceFeed.state()), 'live');
  } finally {
    await second.close();
  }
});

// ---- the chart ---------------------------------------------------------------------------------

/** Polls fn here in node (not in the page) until it returns a truthy value. */
async function eventually(what, fn, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A bar as the server writes it in canonical JSON: start in whole seconds, int64s as strings, closed left out when false. */
function bar(symbol, intervalS, startS, [open, high, low, close], volume, closed) {
  const b = { symbol, intervalS, startNs: String(BigInt(startS) * 1_000_000_000n), open, high, low, close, volume: String(volume), trades: 3 };
  if (closed) b.closed = true;
  return b;
}

test('the chart takes history, the bar in progress and closed bars; switches interval; after a reconnect asks only for what it missed (injected bars)', async () => {
  // The page talks to this route alone (no server behind it): the test plays the server's part of the protocol.
  const second = await browser.newPage();
  const errors = [];
  second.on('pageerror', (error) => errors.push(error.message));
  const fromPage = [];
  let toPage = null;
  await second.addInitScript(() => localStorage.removeItem('pricefeed.chart'));
  await second.routeWebSocket(/\/ws/, (ws) => {
    toPage = ws;
    ws.onMessage((text) => {
      const message = JSON.parse(text);
      fromPage.push(message);
      if (message.subscribe) ws.send(JSON.stringify({ subscribeResult: { requestId: message.subscribe.requestId, accepted: message.subscribe.symbols } }));
    });
    ws.send(JSON.stringify({ hello: { serverId: 'injected', protocol: 'pricefeed.v1.json' } }));
  });
  const sent = (kind, n = 1) => eventually(`the page sent ${kind} #${n}`, () => fromPage.filter((m) => m[kind]).length >= n && fromPage.filter((m) => m[kind])[n - 1][kind]);
  const send = (message) => toPage.send(JSON.stringify(message));
  const bars = () => second.evaluate(() => window.priceFeed.chartBars());
  const untilChart = (what, fn, arg) => second.waitForFunction(fn, arg, { timeout: 15000, polling: 50 }).catch((e) => {
    throw new Error(`Timed out waiting until ${what}: ${e.message.split('\n')[0]}`);
  });

  try {
    await second.goto(baseUrl);
    await second.waitForFunction(() => window.priceFeed.state() === 'live' && document.querySelectorAll('#rows tr').length > 1, undefined, { timeout: 15000, polling: 100 });
    const symbol = await second.getAttribute('#rows tr:first-child', 'data-symbol');

    // A click on the row opens the chart: 300 closed bars of 5 s (the default interval) are asked for.
    await second.click('#rows tr:first-child th');
    assert.equal(await second.isVisible('#chart'), true);
    assert.equal(await second.textContent('#chart-symbol'), symbol);
    const first = await sent('subscribeBars');
    assert.deepEqual({ ...first, requestId: undefined }, { requestId: undefined, symbols: [symbol], intervalS: 5, history: 300, throttleMs: 200 });

    // The 1s button: the 5 s bars are unsubscribed, 1 s bars subscribed (the 5 s subscribe was never answered).
    await second.click('#chart-intervals button[data-interval="1"]');
    assert.deepEqual({ ...(await sent('unsubscribeBars')), requestId: undefined }, { requestId: undefined, symbols: [symbol], intervalS: 5 });
    const tooMany = await sent('subscribeBars', 2);
    assert.equal(tooMany.intervalS, 1);
    // A server that keeps fewer closed bars refuses 300: the page asks for half as many.
    send({ subscribeResult: { requestId: tooMany.requestId, rejected: [{ symbol, reason: 'history_over_limit' }] } });
    const subscribe = await sent('subscribeBars', 3);
    assert.deepEqual({ ...subscribe, requestId: undefined }, { requestId: undefined, symbols: [symbol], intervalS: 1, history: 150, throttleMs: 200 });
    assert.equal(await second.getAttribute('#chart-intervals button[data-interval="1"]', 'aria-pressed'), 'true');

    // Bars before the answer belong to an older subscription: not shown. Then the answer, then the history.
    const t0 = Math.floor(Date.now() / 1000) - 20;
    send({ bars: { bars: [bar(symbol, 1, t0 - 1, [9, 9, 9, 9], 1, true)] } });
    send({ subscribeResult: { requestId: subscribe.requestId, accepted: [symbol] } });
    send({ bars: { bars: [0, 1, 2, 3, 4].map((i) => bar(symbol, 1, t0 + i, [10 + i / 10, 10.5 + i / 10, 9.5 + i / 10, 10.2 + i / 10], 100 * (i + 1), true)) } });
    await untilChart('the history is on the chart', () => window.priceFeed.chart().phase === 'live' && window.priceFeed.chartBars().length === 5);
    assert.equal((await second.evaluate(() => window.priceFeed.chart())).historyCount, 5);
    assert.deepEqual((await bars()).map((b) => b.time), [0, 1, 2, 3, 4].map((i) => t0 + i));
    assert.ok(await second.$$eval('#chart-canvas canvas', (canvases) => canvases.length > 0 && canvases.every((c) => c.width > 0)));
    assert.equal((await second.evaluate(() => window.priceFeed.chart())).panes, 2, 'candles over a pane of volume');

    // The bar in progress, as it changes: one bar, updated in place. Bars of other symbols or intervals pass by.
    send({ bars: { bars: [bar(symbol, 1, t0 + 5, [11, 11.2, 10.9, 11.1], 300, false), bar('OTHER', 1, t0 + 5, [1, 1, 1, 1], 1, false), bar(symbol, 5, t0 + 5, [1, 1, 1, 1], 1, false)] } });
    await untilChart('the bar in progress is on the chart', (t) => window.priceFeed.chartBars().at(-1).time === t, t0 + 5);
    send({ bars: { bars: [bar(symbol, 1, t0 + 5, [11, 11.3, 10.9, 11.3], 400, false)] } });
    await untilChart('the bar in progress moved', () => window.priceFeed.chartBars().at(-1).close === 11.3);
    let held = await bars();
    assert.equal(held.length, 6);
    assert.deepEqual(held.at(-1), { time: t0 + 5, open: 11, high: 11.3, low: 10.9, close: 11.3, volume: 400, closed: false });
    assert.match(await second.textContent('#chart-legend'), /O 11\.00.*H 11\.30.*L 10\.90.*C 11\.30.*V 400/);

    // Its interval ends: the closed bar replaces it, and the next one begins.
    send({ bars: { bars: [bar(symbol, 1, t0 + 5, [11, 11.3, 10.8, 11.25], 450, true), bar(symbol, 1, t0 + 6, [11.25, 11.4, 11.2, 11.4], 50, false)] } });
    await untilChart('the next bar began', (t) => window.priceFeed.chartBars().at(-1).time === t, t0 + 6);
    held = await bars();
    assert.equal(held.length, 7);
    assert.deepEqual(held[5], { time: t0 + 5, open: 11, high: 11.3, low: 10.8, close: 11.25, volume: 450, closed: true });
    assert.equal((await second.evaluate(() => window.priceFeed.chart())).updates, 4);

    // The connection drops. The page comes back and asks for the closed bars since its last one (t0 + 5):
    // ceil(elapsed / 1 s) + 1 of them, elapsed counted when it subscribes again.
    const subscribesBefore = fromPage.filter((m) => m.subscribeBars).length;
    const lowest = Math.ceil((Date.now() - (t0 + 5) * 1000) / 1000) + 1;
    await toPage.close({ code: 1011, reason: 'injected drop' });
    const again = await sent('subscribeBars', subscribesBefore + 1);
    const highest = Math.ceil((Date.now() - (t0 + 5) * 1000) / 1000) + 1;
    assert.equal(again.intervalS, 1);
    assert.deepEqual(again.symbols, [symbol]);
    assert.ok(again.history >= lowest && again.history <= highest, `history ${again.history}, expected ${lowest}..${highest}`);

    // The answer repeats bars the chart has (dropped: t0 + 5 is not changed back) and brings the ones missed.
    send({ subscribeResult: { requestId: again.requestId, accepted: [symbol] } });
    send({ bars: { bars: [4, 5, 6, 7].map((i) => bar(symbol, 1, t0 + i, [99, 99, 99, 99], 9, true)) } });
    send({ bars: { bars: [bar(symbol, 1, t0 + 8, [12, 12.1, 11.9, 12], 70, false)] } });
    await untilChart('the bars missed and the new bar in progress are on the chart', (t) => window.priceFeed.chartBars().at(-1).time === t, t0 + 8);
    held = await bars();
    assert.deepEqual(held.map((b) => b.time), [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => t0 + i), 'no gap, no duplicate');
    assert.equal(held[5].close, 11.25, 'a closed bar the chart had is not replaced by its repeat');
    assert.equal(held[6].close, 99, 'the bar in progress at the drop is replaced by its closed version');
    assert.deepEqual(held.map((b) => b.closed), [true, true, true, true, true, true, true, true, false]);

    // A symbol without bars says why; the close button unsubscribes and hides the panel.
    await second.evaluate(() => window.priceFeed.openChart('NOPE', 60));
    const nope = await sent('subscribeBars', subscribesBefore + 2);
    send({ subscribeResult: { requestId: nope.requestId, rejected: [{ symbol: 'NOPE', reason: 'unknown_symbol' }] } });
    await untilChart('the chart says why it has no bars', () => /No bars for NOPE: unknown symbol/.test(document.getElementById('chart-note').textContent));
    assert.equal((await bars()).length, 0);
    await second.click(`#rows tr[data-symbol="${symbol}"] th`);
    const last = await sent('subscribeBars', subscribesBefore + 3);
    assert.equal(last.intervalS, 60, 'the interval chosen stays');
    const unsubscribes = fromPage.filter((m) => m.unsubscribeBars).length;
    await second.click('#chart-close');
    await eventually('the page unsubscribed the closed chart', () => fromPage.filter((m) => m.unsubscribeBars).length > unsubscribes);
    assert.deepEqual(fromPage.filter((m) => m.unsubscribeBars).at(-1).unsubscribeBars.symbols, [symbol]);
    assert.equal(await second.isVisible('#chart'), false);
    assert.deepEqual(errors, []);
  } finally {
    await second.close();
  }
});

/** The chart's bars in order: each start after the one before, only the last one possibly in progress. */
function assertOrdered(bars, intervalS) {
  for (let i = 1; i < bars.length; i++) {
    assert.ok(bars[i].time > bars[i - 1].time, `bar ${i} (${bars[i].time}) does not come after bar ${i - 1} (${bars[i - 1].time})`);
  }

  assert.ok(bars.slice(0, -1).every((b) => b.closed), 'a bar before the last one is still in progress');
  assert.ok(bars.every((b) => b.time % intervalS === 0 && b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close)), JSON.stringify(bars.slice(-3)));
}

test('clicking a symbol opens its candlestick chart: history, volume, the last bar moving live; the interval switches', async () => {
  const symbol = await page.getAttribute('#rows tr:first-child', 'data-symbol');
  await page.click('#rows tr:first-child th');
  await page.click('#chart-intervals button[data-interval="1"]');
  assert.equal(await page.textContent('#chart-symbol'), symbol);
  assert.match(await page.getAttribute('#rows tr:first-child', 'class'), /charted/);

  // The server has run for a while: closed 1 s bars come first (the history), then the live ones.
  const view = await until('the chart holds its history and live bars', (s) => {
    const c = window.priceFeed.chart();
    return c.symbol === s && c.intervalS === 1 && c.phase === 'live' && c.historyCount > 0 && c.updates > 0 && c;
  }, symbol, 30000);
  assert.equal(view.panes, 2, 'candles over a pane of volume');
  assert.ok(await page.$$eval('#chart-canvas canvas', (canvases) => canvases.length > 0 && canvases.every((c) => c.width > 0 && c.height > 0)));
  let bars = await page.evaluate(() => window.priceFeed.chartBars());
  assert.ok(bars.length > view.historyCount, `live bars follow the ${view.historyCount} of the history`);
  assertOrdered(bars, 1);
  assert.ok(bars.some((b) => b.volume > 0), 'some bars have volume');
  console.log(`# chart of ${symbol}: ${view.historyCount} closed 1 s bars of history, then ${bars.length - view.historyCount} live`);
  assert.match(await page.textContent('#chart-legend'), /O \d.*H \d.*L \d.*C \d.*V \d/);

  // The last bar moves: its prices or volume change, or a new bar begins.
  const last = bars.at(-1);
  await until('the last bar moves', (before) => JSON.stringify(window.priceFeed.chartBars().at(-1)) !== before, JSON.stringify(last));
  await until('a new bar begins', (t) => window.priceFeed.chartBars().at(-1).time > t, last.time);
  bars = await page.evaluate(() => window.priceFeed.chartBars());
  assertOrdered(bars, 1);

  // Another interval: 5 s bars, from their own history.
  await page.click('#chart-intervals button[data-interval="5"]');
  await until('the chart shows live 5 s bars', () => {
    const c = window.priceFeed.chart();
    return c.intervalS === 5 && c.phase === 'live' && c.updates > 0 && window.priceFeed.chartBars().length > 0;
  }, undefined, 30000);
  assertOrdered(await page.evaluate(() => window.priceFeed.chartBars()), 5);
  assert.equal(await page.getAttribute('#chart-intervals button[data-interval="5"]', 'aria-pressed'), 'true');
  assert.deepEqual(pageErrors, []);
  // The chart stays open: the reconnect case checks that it resumes.
});

test('reconnects by itself after the server restarts, and prices move again', { skip: !controlled && 'needs PRICEFEED_CONTROL=stdio' }, async () => {
  await control('stop');
  await until('the page sees the server go', () => window.priceFeed.state() === 'reconnecting');
  await until('the page says it is reconnecting', () => /Reconnecting in/.test(document.getElementById('banner').textContent));
  // The server said go_away before its 1001: the page knows why it was closed and waits at least the hint.
  // (Its delay depends on how many clients the server had: another page's session may still have been closing.)
  const hint = await page.evaluate(() => window.priceFeed.goAway());
  assert.equal(hint?.reason, 'shutdown');
  assert.ok(hint.afterMs >= 0 && hint.afterMs <= 1000, JSON.stringify(hint));
  assert.match(await page.textContent('#banner'), /server going away/);

  await control('start');
  await until('the socket is live again', () => window.priceFeed.state() === 'live', undefined, 30000);
  await until('the page says it resynced', () => /resynced from the snapshot/.test(document.getElementById('banner').textContent));
  // The status bar says how the board came back: a restarted server's source started its seqs again (a new
  // epoch, or none named), so every symbol the board held is brought up to date by the snapshot.
  const line = await until('the status bar says how the board resumed', () => /^resumed \d+ symbols, \d+ from snapshot/.test(window.priceFeed.resume()) && window.priceFeed.resume());
  const [, held, fromSnapshot] = line.match(/^resumed (\d+) symbols, (\d+) from snapshot/);
  assert.ok(Number(held) > 0, line);
  assert.equal(fromSnapshot, held, line);
  assert.equal(await page.textContent('#resume'), line);
  const counts = await received();
  const prices = await lastPrices();
  await until('quotes flow again', (before) => Object.entries(window.priceFeed.received()).some(([s, n]) => n > (before[s] || 0) + 2), counts);
  await until('prices move again', (before) => [...document.querySelectorAll('#rows td.last')].some((c, i) => c.textContent !== before[i]), prices);
  await until('rows on screen are no longer marked stale', () => [...document.querySelectorAll('#rows tr')].slice(0, 20).every((tr) => !tr.classList.contains('stale')));
  // The chart left open asked the new server for its bars again and goes on: in order, no repeat.
  const chartBefore = await page.evaluate(() => window.priceFeed.chart());
  await until('the chart is live again with new bars', (updates) => window.priceFeed.chart().phase === 'live' && window.priceFeed.chart().updates > updates, chartBefore.updates);
  assertOrdered(await page.evaluate(() => window.priceFeed.chartBars()), chartBefore.intervalS);
  // The reconnect's close reads as a console error in Chromium ("WebSocket connection ... failed"): only page errors count here.
  assert.deepEqual(pageErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)), []);
});
