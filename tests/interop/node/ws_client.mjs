// Interop check: the `ws` package (pinned in package.json) against a PriceFeed server.
//
// Usage: node ws_client.mjs ws://127.0.0.1:PORT/ws
//
// Speaks pricefeed.v1.json (proto3 canonical JSON). Checks, in order: the negotiated subprotocol,
// hello first with its fields, ping -> pong echoing clientTimeNs, a message sent in three
// fragments, a clean close with 1000. Prints each check; exits 0 when all pass, 1 otherwise.
import WebSocket from 'ws';

const SUBPROTOCOL = 'pricefeed.v1.json';
const TIMEOUT_MS = 15_000; // generous: the machine running the tests may be busy

function check(condition, what) {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
  console.log(`ok: ${what}`);
}

/** Messages and the close as promises, so the checks below read in order. */
function conversation(ws) {
  const queue = [];
  const waiters = [];
  let closed = null;
  const settle = () => {
    while (waiters.length > 0 && (queue.length > 0 || closed)) {
      const waiter = waiters.shift();
      if (queue.length > 0) {
        waiter.resolve(queue.shift());
      } else {
        waiter.reject(new Error(`connection closed (${closed.code} ${closed.reason}) where a message was expected`));
      }
    }
  };
  ws.on('message', (data, isBinary) => { queue.push({ data, isBinary }); settle(); });
  ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; settle(); });
  return {
    next() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a message')), TIMEOUT_MS);
        waiters.push({
          resolve: (m) => { clearTimeout(timer); resolve(m); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        settle();
      });
    },
    closed: () => closed,
  };
}

async function receiveJson(messages) {
  const { data, isBinary } = await messages.next();
  check(!isBinary, 'message arrives as a text frame');
  return JSON.parse(data.toString('utf8'));
}

function sendFragment(ws, text, fin) {
  return new Promise((resolve, reject) => {
    ws.send(text, { binary: false, fin }, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(uri) {
  const ws = new WebSocket(uri, [SUBPROTOCOL], { handshakeTimeout: TIMEOUT_MS });
  const messages = conversation(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  check(ws.protocol === SUBPROTOCOL, `subprotocol negotiated: ${ws.protocol}`);

  const hello = await receiveJson(messages);
  check(hello.hello !== undefined, `first message is hello: ${JSON.stringify(hello)}`);
  check(hello.hello.protocol === SUBPROTOCOL, 'hello names the negotiated subprotocol');
  check(Number(hello.hello.heartbeatIntervalMs) > 0, 'hello announces the heartbeat interval');
  check(['conflate', 'drop'].includes(hello.hello.slowConsumerPolicy), 'hello announces the slow-consumer policy');

  // int64 travels as a JSON string in proto3 canonical JSON.
  ws.send(JSON.stringify({ ping: { clientTimeNs: '123' } }));
  let pong = await receiveJson(messages);
  check(pong.pong?.clientTimeNs === '123', `pong echoes clientTimeNs: ${JSON.stringify(pong)}`);
  check(BigInt(pong.pong.serverTimeNs ?? '0') > 0n, 'pong carries the server time');

  // fin: false sends a text frame and then continuation frames; the last one has fin: true.
  const text = JSON.stringify({ ping: { clientTimeNs: '456' } });
  await sendFragment(ws, text.slice(0, 5), false);
  await sendFragment(ws, text.slice(5, 12), false);
  await sendFragment(ws, text.slice(12), true);
  pong = await receiveJson(messages);
  check(pong.pong?.clientTimeNs === '456', 'a message in three fragments is understood');

  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000, 'interop done');
  const code = await Promise.race([
    closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('timed out waiting for the close')), TIMEOUT_MS)),
  ]);
  check(code === 1000, `clean close echoed with ${code}`);
  console.log('node interop: all checks passed');
}

if (process.argv.length !== 3) {
  console.error('Usage: node ws_client.mjs ws://127.0.0.1:PORT/ws');
  process.exit(2);
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error) => {
    console.error(`FAILED: ${error.stack ?? error}`);
    process.exit(1);
  },
);
