// Drain on SIGTERM (--drain-ms 3000): 1000 WebSocket clients are closed with
// 1012, spread over the drain time (not all at once); a connection attempted
// meanwhile is refused with 503; the process exits 0 after the drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import {
  WebSocket, startServer, stopServer, socketUrl, upgradeStatus, httpRequest, fetchMetrics,
  withTimeout, sleep, scaled,
} from './support.mjs';

const DRAIN_MS = 3000;
const CLIENTS = scaled(1000, 500);
const JOINED_EVERY = 10; // every 10th client joins a room

// Opens one V2 WebSocket; resolves {ws, close: promise of {code, at}} once open.
function openClient(port, onClose) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(port));
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('WebSocket open timed out')); }, 10_000);
    ws.once('open', () => { clearTimeout(timer); resolve(ws); });
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); res.resume(); reject(new Error(`HTTP ${res.statusCode}`)); });
    ws.once('error', (err) => { clearTimeout(timer); reject(err); });
    ws.once('close', (code) => onClose(code, performance.now()));
  });
}

// Joins `topic` on a raw V2 socket; resolves the reply's status.
function join(ws, topic, ref) {
  return withTimeout(new Promise((resolve) => {
    const onMessage = (data) => {
      const [, r, , event, payload] = JSON.parse(data.toString());
      if (event === 'phx_reply' && r === ref) {
        ws.off('message', onMessage);
        resolve(payload.status);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify([ref, ref, topic, 'phx_join', {}]));
  }), 10_000, `join ${topic}`);
}

test(`SIGTERM with ${CLIENTS} WebSocket clients (--drain-ms ${DRAIN_MS}): 1012 spread over the drain, 503 meanwhile, exit 0`, { timeout: 60_000 }, async (t) => {
  const server = await startServer(['--drain-ms', String(DRAIN_MS)]);
  const clients = [];
  try {
    const closes = new Array(CLIENTS).fill(null);
    // Connect in batches of 50 at a time.
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(CLIENTS, i + 50); j++)
        batch.push(openClient(server.port, (code, at) => { closes[j] = { code, at }; }));
      clients.push(...await Promise.all(batch));
    }
    const joins = [];
    for (let i = 0; i < CLIENTS; i += JOINED_EVERY) joins.push(join(clients[i], `room:drain${i % 7}`, `j${i}`));
    const statuses = await Promise.all(joins);
    assert.ok(statuses.every((s) => s === 'ok'), `join statuses: ${statuses.filter((s) => s !== 'ok')}`);
    assert.equal(closes.filter(Boolean).length, 0, 'no client closed before the signal');
    const m0 = await fetchMetrics(server.port);
    assert.equal(m0.get('phx_connections', { transport: 'websocket' }), CLIENTS);

    const t0 = performance.now();
    server.proc.kill('SIGTERM');

    // During the drain: a new upgrade is refused with 503, /readyz says draining.
    await sleep(700);
    const during = { at: Math.round(performance.now() - t0) };
    during.upgrade = await upgradeStatus(server.port);
    const readyz = await httpRequest(server.port, { path: '/readyz' });
    during.readyz = readyz.status;
    during.closedSoFar = closes.filter(Boolean).length;
    const m = await fetchMetrics(server.port);
    const refusedDraining = m.get('phx_refused_connects_total', { reason: 'draining' });
    during.refusedDraining = refusedDraining;

    // Every client closed within the drain plus a margin.
    const bound = DRAIN_MS + 2000;
    while (closes.some((c) => c === null) && performance.now() - t0 < bound) await sleep(20);
    const missing = closes.filter((c) => c === null).length;
    const after = closes.filter(Boolean).map((c) => ({ code: c.code, ms: c.at - t0 }));
    const codes = {};
    for (const c of after) codes[c.code] = (codes[c.code] ?? 0) + 1;
    const times = after.map((c) => c.ms).sort((a, b) => a - b);
    const within = (ms) => times.filter((x) => x <= ms).length;
    const pct = (p) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))]);
    t.diagnostic(`closes: ${JSON.stringify(codes)}, first ${Math.round(times[0])} ms, `
      + `p10 ${pct(0.1)} ms, p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, last ${Math.round(times[times.length - 1])} ms; `
      + `within 100 ms: ${within(100)}, within ${DRAIN_MS / 10} ms: ${within(DRAIN_MS / 10)}; during: ${JSON.stringify(during)}`);

    assert.equal(missing, 0, `${missing} of ${CLIENTS} clients not closed within ${bound} ms of SIGTERM`);
    assert.deepEqual(codes, { 1012: CLIENTS }, 'every close code is 1012');
    assert.ok(within(100) < CLIENTS, `all ${CLIENTS} closes came within 100 ms of the signal`);
    assert.ok(within(DRAIN_MS / 10) <= CLIENTS / 2,
              `${within(DRAIN_MS / 10)} of ${CLIENTS} closes within the first tenth (${DRAIN_MS / 10} ms)`);
    assert.ok(times[times.length - 1] >= DRAIN_MS / 2,
              `the last close came ${Math.round(times[times.length - 1])} ms after the signal, before half the drain`);
    // the middle of the drain closes some too: the spread is not two bursts
    const middle = times.filter((x) => x > DRAIN_MS * 0.3 && x < DRAIN_MS * 0.7).length;
    assert.ok(middle >= CLIENTS / 10, `${middle} closes between 30 % and 70 % of the drain`);

    assert.equal(during.upgrade, 503, `an upgrade ${during.at} ms into the drain answered ${during.upgrade}`);
    assert.equal(during.readyz, 503, '/readyz during the drain');
    assert.ok(during.refusedDraining >= 1, `phx_refused_connects_total{reason="draining"} = ${refusedDraining}`);

    const exited = await withTimeout(server.exit.then(() => server.exited()), DRAIN_MS + 5000, 'phx-echo to exit');
    const exitMs = Math.round(performance.now() - t0);
    t.diagnostic(`phx-echo exited ${exitMs} ms after SIGTERM: ${JSON.stringify(exited)}`);
    assert.deepEqual(exited, { code: 0, signal: null });
    assert.ok(exitMs <= DRAIN_MS + 3000, `exited ${exitMs} ms after SIGTERM`);
  } catch (err) {
    err.message += `\n--- phx-echo ${JSON.stringify(server.exited())} output (tail) ---\n${server.log().split('\n').slice(-30).join('\n')}`;
    throw err;
  } finally {
    for (const ws of clients) ws.terminate();
    await stopServer(server);
    if (!server.exited()) server.proc.kill('SIGKILL');
  }
});
