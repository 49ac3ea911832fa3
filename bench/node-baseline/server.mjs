// The broadcaster a Node developer writes with the `ws` package: one process, one event loop, its own
// quote generator, each quote encoded once with protobufjs (stamped with its send time as it is
// encoded) and sent as its own frame to every subscriber; a client with more than 1 MB not yet
// written to its socket misses quotes until it drains.
// The load tool starts it like the Kestrel baseline (bench/PriceFeed.Baseline), with the same options:
//   node bench/node-baseline/server.mjs --port 8091 --symbols 1000 --rate 10000 [--duration S --seed N --pacing-slack-ms N]
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { WebSocketServer, WebSocket } from 'ws';

const SUBPROTOCOL = 'pricefeed.v1.proto';
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_QUOTES_PER_TICK = 4096; // after a stall, catch up in slices so the sockets get served in between

const options = { host: '127.0.0.1', port: 8080, symbols: 500, rate: 10_000, duration: 0, seed: Date.now() % 2_147_483_647, 'pacing-slack-ms': 1 };
const bounds = { port: [0, 65535], symbols: [1, 100_000], rate: [1, 1_000_000], duration: [1, 2 ** 31 - 1], seed: [0, 2 ** 53 - 1], 'pacing-slack-ms': [0, 100] };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const name = args[i].replace(/^--/, '');
  const value = args[i + 1];
  const number = Number(value);
  const ok = name === 'host' ? value !== undefined
    : Object.hasOwn(bounds, name) && /^\d+$/.test(value ?? '') && number >= bounds[name][0] && number <= bounds[name][1];
  if (!ok || !args[i].startsWith('--')) {
    console.error(`node-baseline: unknown option or bad value: ${args[i]} ${value ?? ''}. Options: --host --port --symbols --rate --duration --seed --pacing-slack-ms.`);
    process.exit(2);
  }
  options[name] = name === 'host' ? value : number;
}

// The schema itself, not generated code: the repository's .proto is the one source of truth.
const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/pricefeed.v1.proto', import.meta.url)));
const ServerMessage = root.lookupType('pricefeed.v1.ServerMessage');
const ClientMessage = root.lookupType('pricefeed.v1.ClientMessage');
const encode = (message) => ServerMessage.encode(message).finish();

// Unix time in ns, on the wall clock the load tool stamps with. Date.now() has only milliseconds;
// timeOrigin + now() has microseconds (a double holds these values to about 0.25 us), but timeOrigin
// was read a few microseconds off the wall clock: that skew, measured against Date.now()'s millisecond
// edges for 20 ms (the smallest difference is the one read just after an edge), is taken out.
const hiResNs = () => Math.round((performance.timeOrigin + performance.now()) * 1e6);
let skewNs = Infinity;
for (const end = Date.now() + 20; Date.now() < end;) {
  const ms = Date.now();
  skewNs = Math.min(skewNs, hiResNs() - ms * 1e6);
}
const nowNs = () => hiResNs() - skewNs;

// Seeded so the same --seed gives the same symbols and quotes: the mulberry32 generator.
let state = options.seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const instruments = [];
const indexBySymbol = new Map();
while (instruments.length < options.symbols) {
  let symbol = '';
  for (let n = 3 + Math.floor(random() * 3); n > 0; n--) symbol += String.fromCharCode(65 + Math.floor(random() * 26));
  if (indexBySymbol.has(symbol)) continue;
  indexBySymbol.set(symbol, instruments.length);
  const cents = Math.round(500 + random() * 50_000);
  instruments.push({ symbol, seq: 0, mid: cents, spread: Math.max(1, Math.round(cents * 0.0005)), lot: cents > 25_000 ? 40 : 100, last: cents, lastSize: 0, volume: 0, latest: null, subscribers: new Set() });
}
const symbols = instruments.map((i) => i.symbol);
const wildcard = new Set();

// One quote of a random instrument: a random walk of the mid in whole cents, a book around it, a trade now and then.
function nextQuote(sourceTimeNs, publishTimeNs) {
  const instrument = instruments[Math.floor(random() * instruments.length)];
  instrument.mid = Math.max(instrument.spread, instrument.mid + Math.round((random() - 0.5) * 4));
  const bid = instrument.mid - Math.floor(instrument.spread / 2);
  const ask = bid + instrument.spread;
  if (instrument.seq === 0 || instrument.last < bid || instrument.last > ask || random() < 0.3) {
    instrument.last = random() < 0.5 ? bid : ask;
    instrument.lastSize = instrument.lot * (1 + Math.floor(random() * 3));
    instrument.volume += instrument.lastSize;
  }
  instrument.seq++;
  instrument.latest = {
    symbol: instrument.symbol, seq: instrument.seq, sourceTimeNs, publishTimeNs,
    bid: bid / 100, ask: ask / 100, bidSize: instrument.lot * (1 + Math.floor(random() * 5)), askSize: instrument.lot * (1 + Math.floor(random() * 5)),
    last: instrument.last / 100, lastSize: instrument.lastSize, volume: instrument.volume,
  };
  return instrument;
}

function broadcast(instrument) {
  const frame = encode({ quotes: { quotes: [instrument.latest], sendTimeNs: nowNs() } });
  const send = (ws) => {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount <= MAX_BUFFERED_BYTES) ws.send(frame);
  };
  // A client on '*' gets the quote from the wildcard set only, never twice.
  for (const ws of instrument.subscribers) if (!ws.all) send(ws);
  wildcard.forEach(send);
}

// Paced by the clock, not by counting timer ticks: each tick sends every quote whose planned time has
// come, stamped with that planned time as its source time. Node timers fire at best every millisecond,
// so --pacing-slack-ms sets the tick (0 behaves as 1).
const startNs = nowNs();
const total = options.duration > 0 ? options.rate * options.duration : Infinity;
let produced = 0;
const pacer = setInterval(() => {
  const publishTimeNs = nowNs();
  const due = Math.min(total, Math.floor(((publishTimeNs - startNs) * options.rate) / 1e9), produced + MAX_QUOTES_PER_TICK);
  for (; produced < due; produced++) broadcast(nextQuote(startNs + Math.round((produced * 1e9) / options.rate), publishTimeNs));
  if (produced >= total) clearInterval(pacer);
}, Math.max(1, options['pacing-slack-ms']));

const server = http.createServer((request, response) => {
  const route = request.method === 'GET' ? request.url : '';
  const body = route === '/healthz' ? { status: 'serving' } : route === '/api/symbols' ? symbols : null;
  response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  response.end(body ? JSON.stringify(body) : '');
});

// Binary protobuf is the only subprotocol spoken, and the default when the client offers none.
const wss = new WebSocketServer({ server, path: '/ws', handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false) });
const hello = encode({ hello: { serverId: `node-baseline:${options.port}`, protocol: SUBPROTOCOL, heartbeatIntervalMs: 0, maxSymbolsPerClient: symbols.length, slowConsumerPolicy: 'drop' } });

wss.on('connection', (ws) => {
  ws.send(hello);
  ws.on('message', (data, isBinary) => {
    let message;
    try {
      message = isBinary ? ClientMessage.decode(data) : null;
    } catch {
      message = null;
    }
    if (message?.subscribe) subscribe(ws, message.subscribe);
    else if (message?.unsubscribe) unsubscribe(ws, message.unsubscribe.symbols);
    else if (message?.ping) ws.send(encode({ pong: { clientTimeNs: message.ping.clientTimeNs, serverTimeNs: nowNs() } }));
    else ws.close(isBinary ? 1007 : 1003, 'unexpected message');
  });
  ws.on('close', () => unsubscribe(ws, ['*', ...symbols]));
});

// Answer, then the latest quote of each newly accepted symbol: on one event loop nothing can slip between them and the live updates.
function subscribe(ws, request) {
  const accepted = [], rejected = [], snapshot = [];
  for (const symbol of request.symbols) {
    const targets = symbol === '*' ? instruments : indexBySymbol.has(symbol) ? [instruments[indexBySymbol.get(symbol)]] : null;
    if (!targets) {
      rejected.push({ symbol, reason: 'unknown_symbol' });
      continue;
    }
    accepted.push(symbol);
    // Only symbols the client was not getting yet: a second subscription must not send a seq it already has.
    const fresh = ws.all ? [] : targets.filter((i) => !i.subscribers.has(ws));
    if (symbol === '*') {
      ws.all = true;
      wildcard.add(ws);
    } else {
      targets[0].subscribers.add(ws);
    }
    for (const instrument of fresh) if (!request.skipSnapshot && instrument.latest) snapshot.push(instrument.latest);
  }
  ws.send(encode({ subscribeResult: { requestId: request.requestId, accepted, rejected } }));
  if (snapshot.length > 0) ws.send(encode({ snapshot: { quotes: snapshot, sendTimeNs: nowNs() } }));
}

function unsubscribe(ws, requested) {
  for (const symbol of requested) {
    if (symbol === '*') {
      ws.all = false;
      wildcard.delete(ws);
    } else if (indexBySymbol.has(symbol)) {
      instruments[indexBySymbol.get(symbol)].subscribers.delete(ws);
    }
  }
}

server.listen(options.port, options.host, () => {
  console.log(`node-baseline: listening on ws://${options.host}:${options.port}/ws, ${options.symbols} symbols, ${options.rate} quotes/s, seed ${options.seed}`);
});
