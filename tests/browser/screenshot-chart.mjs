// The dashboard's chart, photographed in headless Chromium against a running server: docs/dashboard-chart.png.
//
//   dotnet run -c Release --project feed-server -- --symbols 25 --rate 2000 --port 8080 &
//   # let it run a few minutes, so that the 1 s chart has a few hundred closed bars to show
//   PRICEFEED_URL=http://127.0.0.1:8080/ node tests/browser/screenshot-chart.mjs [out.png]
//
// Options by environment: CHART_INTERVAL_S (1, 5, 60 or 300; default 1), CHART_MIN_BARS (bars to wait for;
// default 120), CHART_ROW (which row of the board to click, from 1; default 1), CHROMIUM_PATH.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const baseUrl = process.env.PRICEFEED_URL;
const out = process.argv[2] || join(here, '..', '..', 'docs', 'dashboard-chart.png');
const intervalS = Number(process.env.CHART_INTERVAL_S || 1);
const minBars = Number(process.env.CHART_MIN_BARS || 120);
const row = Number(process.env.CHART_ROW || 1);

if (!baseUrl) {
  console.error('Set PRICEFEED_URL to the server, e.g. PRICEFEED_URL=http://127.0.0.1:8080/');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(new URL('/#throttle=250', baseUrl).href);
  await page.waitForFunction(() => window.priceFeed.state() === 'live' && document.querySelectorAll('#rows tr').length > 0, undefined, { timeout: 30000 });

  await page.click(`#rows tr:nth-child(${row}) th`);
  await page.click(`#chart-intervals button[data-interval="${intervalS}"]`);
  await page.waitForFunction(
    ([s, n]) => window.priceFeed.chart().intervalS === s && window.priceFeed.chart().phase === 'live' && window.priceFeed.chartBars().length >= n,
    [intervalS, minBars], { timeout: 60000, polling: 250 });

  // Let the sparklines fill (60 prices at 4 a second) and the bar in progress move, the pointer off the chart (no crosshair).
  await page.mouse.move(0, 0);
  await page.waitForTimeout(15000);
  // A bar that has begun has no trade yet (open at the last close, no volume) until its first trade: wait for one.
  await page.waitForFunction(() => window.priceFeed.chartBars().at(-1).volume > 0, undefined, { timeout: 30000, polling: 20 });
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  const { symbol } = await page.evaluate(() => window.priceFeed.chart());
  console.log(`${out}: ${symbol}, ${(await page.evaluate(() => window.priceFeed.chartBars())).length} bars of ${intervalS} s`);
} finally {
  await browser.close();
}
