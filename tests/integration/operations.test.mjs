// Operations endpoints on the main port: GET /metrics (Prometheus text; its
// counters and gauges move with what clients do), GET /healthz, GET /readyz
// (ready, and 503 "draining" while a SIGTERM drain runs).
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, startServer, stopServer, fetchMetrics, metricsUntil, httpRequest, upgradeStatus,
  RawClient, eventually, sleep, withTimeout, destroyRawConnections, WAIT,
} from './support.mjs';

afterEach(destroyRawConnections);

// A short drain, so that a connection the server has not yet seen closed
// cannot hold the SIGTERM at the end of a suite past useServer's 3 s.
const QUICK_STOP = ['--drain-ms', '500'];

const WS = { transport: 'websocket' };
const LP = { transport: 'longpoll' };

// Family → type; every one must have a `# TYPE` line and at least one sample.
const REQUIRED = {
  phx_connections: 'gauge',
  phx_channels: 'gauge',
  phx_joins_total: 'counter',
  phx_channel_crashes_total: 'counter',
  phx_broadcasts_total: 'counter',
  phx_deliveries_total: 'counter',
  phx_slow_reader_closes_total: 'counter',
  phx_outbound_queued_bytes: 'gauge',
  phx_connects_total: 'counter',
  phx_refused_connects_total: 'counter',
  phx_frames_written_total: 'counter',
  phx_bytes_written_total: 'counter',
  phx_frames_read_total: 'counter',
  phx_bytes_read_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  process_open_fds: 'gauge',
  phx_cluster_peers: 'gauge',
};

// Labelled samples that must be there.
const REQUIRED_SAMPLES = [
  ['phx_connections', { transport: 'websocket' }],
  ['phx_connections', { transport: 'longpoll' }],
  ['phx_connects_total', { transport: 'websocket' }],
  ['phx_connects_total', { transport: 'longpoll' }],
  ['phx_joins_total', { result: 'ok' }],
  ['phx_joins_total', { result: 'error' }],
  ['phx_joins_total', { result: 'crash' }],
  ...['connect', 'origin', 'vsn', 'handshake', 'limit', 'draining'].map((reason) => ['phx_refused_connects_total', { reason }]),
  ['phx_channels', {}],
  ['phx_channel_crashes_total', {}],
  ['phx_broadcasts_total', {}],
  ['phx_deliveries_total', {}],
  ['phx_slow_reader_closes_total', {}],
  ['phx_outbound_queued_bytes', {}],
  ['phx_frames_written_total', {}],
  ['phx_bytes_written_total', {}],
  ['phx_frames_read_total', {}],
  ['phx_bytes_read_total', {}],
  ['process_resident_memory_bytes', {}],
  ['process_open_fds', {}],
];

// value(after) - value(before) of one sample.
const delta = (before, after, name, labels) => after.get(name, labels) - before.get(name, labels);

describe('/metrics: format and moving counters', () => {
  // A short long-poll window so that a long-poll session that stops polling ends quickly.
  const server = useServer(['--longpoll-window-ms', '1000', ...QUICK_STOP]);

  server.test('every line is a comment or a sample; the required families have # TYPE and samples', async ({ port }) => {
    const m = await fetchMetrics(port);
    assert.deepEqual(m.bad, [], `lines that are neither # HELP/# TYPE nor name{labels} value:\n${m.bad.join('\n')}`);
    for (const [name, type] of Object.entries(REQUIRED))
      assert.equal(m.types.get(name), type, `# TYPE ${name} ${type}`);
    for (const [name, labels] of REQUIRED_SAMPLES) {
      const v = m.get(name, labels);
      assert.ok(Number.isFinite(v) && v >= 0, `${name}${JSON.stringify(labels)} = ${v}`);
    }
    const peers = [...m.samples.keys()].filter((k) => k.startsWith('phx_cluster_peers{'));
    assert.ok(peers.length >= 1 && peers.every((k) => /^phx_cluster_peers\{state="[a-z_]+"\}$/.test(k)),
              `phx_cluster_peers samples: ${peers.join(', ')}`);
    assert.ok(m.get('process_resident_memory_bytes') > 1_000_000, 'RSS above 1 MB');
    assert.ok(m.get('process_open_fds') >= 3, 'open fds');
    // a sample's family has its # TYPE line before the sample
    const seen = new Set();
    for (const line of m.text.split('\n')) {
      const t = /^# TYPE (\S+)/.exec(line);
      if (t) seen.add(t[1]);
      else if (line && !line.startsWith('#')) {
        const name = /^[^{ ]+/.exec(line)[0];
        assert.ok(seen.has(name), `sample before its # TYPE line: ${line}`);
      }
    }
  });

  server.test('a WebSocket client: phx_connections{websocket} +1 and connects_total +1, back down after it disconnects', async ({ port, raw }) => {
    const before = await fetchMetrics(port);
    const c = await raw();
    const during = await metricsUntil(port, (m) => delta(before, m, 'phx_connections', WS) === 1,
                                      WAIT, 'phx_connections{websocket} +1');
    assert.equal(delta(before, during, 'phx_connects_total', WS), 1, 'phx_connects_total{websocket} +1');
    assert.equal(delta(before, during, 'phx_connections', LP), 0, 'longpoll gauge unchanged');
    c.ws.close(1000);
    await c.waitClose();
    await metricsUntil(port, (m) => delta(before, m, 'phx_connections', WS) === 0, WAIT,
                       'phx_connections{websocket} back to its value before');
  });

  server.test('a long-poll client: phx_connections{longpoll} +1 and connects_total +1; down once the session ends', async ({ port, lp }) => {
    const before = await fetchMetrics(port);
    const c = await lp({ windowMs: 1000 });
    const during = await metricsUntil(port, (m) => delta(before, m, 'phx_connections', LP) === 1,
                                      WAIT, 'phx_connections{longpoll} +1');
    assert.equal(delta(before, during, 'phx_connects_total', LP), 1, 'phx_connects_total{longpoll} +1');
    assert.equal(delta(before, during, 'phx_connections', WS), 0, 'websocket gauge unchanged');
    c.close(); // no more polls: the session ends 1.5 x --longpoll-window-ms later
    await metricsUntil(port, (m) => delta(before, m, 'phx_connections', LP) === 0, 6000,
                       'phx_connections{longpoll} back to its value before');
  });

  server.test('join room:x: joins{ok} +1, phx_channels +1; leave: phx_channels -1', async ({ port, raw }) => {
    const c = await raw();
    const before = await fetchMetrics(port);
    const { joinRef, reply } = await c.join('room:x');
    assert.equal(reply.payload.status, 'ok');
    const joined = await metricsUntil(port, (m) => delta(before, m, 'phx_channels') === 1, WAIT, 'phx_channels +1');
    assert.equal(delta(before, joined, 'phx_joins_total', { result: 'ok' }), 1, 'joins ok +1');
    assert.equal(delta(before, joined, 'phx_joins_total', { result: 'error' }), 0, 'joins error +0');
    const leave = await c.call({ join_ref: joinRef, topic: 'room:x', event: 'phx_leave', payload: {} });
    assert.equal(leave.payload.status, 'ok');
    const left = await metricsUntil(port, (m) => delta(before, m, 'phx_channels') === 0, WAIT, 'phx_channels back');
    assert.equal(delta(before, left, 'phx_joins_total', { result: 'ok' }), 1);
  });

  server.test('join room:forbidden: joins{error} +1, no channel', async ({ port, raw }) => {
    const c = await raw();
    const before = await fetchMetrics(port);
    const { reply } = await c.join('room:forbidden');
    assert.equal(reply.payload.status, 'error');
    const after = await metricsUntil(port, (m) => delta(before, m, 'phx_joins_total', { result: 'error' }) === 1,
                                     WAIT, 'joins error +1');
    assert.equal(delta(before, after, 'phx_joins_total', { result: 'ok' }), 0, 'joins ok +0');
    assert.equal(delta(before, after, 'phx_channels'), 0, 'phx_channels unchanged');
  });

  server.test('boom on room:*: phx_channel_crashes_total +1 (and the channel is gone)', async ({ port, raw }) => {
    const c = await raw();
    const { joinRef } = await c.join('room:crash');
    await metricsUntil(port, (m) => m.get('phx_channels') >= 1, WAIT, 'the channel counted');
    const before = await fetchMetrics(port);
    c.send({ join_ref: joinRef, topic: 'room:crash', event: 'boom', payload: {} });
    await c.next((m) => m.event === 'phx_error' && m.topic === 'room:crash', 'phx_error');
    const after = await metricsUntil(port, (m) => delta(before, m, 'phx_channel_crashes_total') === 1,
                                     WAIT, 'phx_channel_crashes_total +1');
    await metricsUntil(port, (m) => delta(before, m, 'phx_channels') === -1, WAIT, 'phx_channels -1 after the crash');
    assert.equal(delta(before, after, 'phx_joins_total', { result: 'crash' }), 0, 'not a join crash');
  });

  server.test('shout to N subscribers: broadcasts +1, deliveries +N, frames/bytes move', async ({ port, raw }) => {
    const N = 4;
    const clients = [];
    for (let i = 0; i < N; i++) {
      const c = await raw();
      const { joinRef } = await c.join('room:fan');
      clients.push({ c, joinRef });
    }
    const before = await fetchMetrics(port);
    const [{ c: shouter, joinRef }] = clients;
    shouter.send({ join_ref: joinRef, topic: 'room:fan', event: 'shout', payload: { n: 1 } }); // no reply
    for (const { c } of clients) await c.next((m) => m.event === 'shout' && m.payload.n === 1, 'the shout');
    const after = await metricsUntil(port, (m) => delta(before, m, 'phx_deliveries_total') >= N,
                                     WAIT, `phx_deliveries_total +${N}`);
    await sleep(200); // nothing more may come
    const settled = await fetchMetrics(port);
    assert.equal(delta(before, settled, 'phx_broadcasts_total'), 1, 'phx_broadcasts_total +1');
    assert.equal(delta(before, settled, 'phx_deliveries_total'), N, `phx_deliveries_total +${N}`);
    assert.ok(delta(before, after, 'phx_frames_written_total') >= N, 'frames written: the N shouts');
    assert.ok(delta(before, after, 'phx_bytes_written_total') > 0, 'bytes written');
    assert.ok(delta(before, after, 'phx_frames_read_total') >= 1, 'frames read');
    assert.ok(delta(before, after, 'phx_bytes_read_total') > 0, 'bytes read');
  });

  server.test('a WebSocket upgrade with vsn=3.0.0: 403 and refused{vsn} +1', async ({ port }) => {
    const before = await fetchMetrics(port);
    assert.equal(await upgradeStatus(port, { vsn: '3.0.0' }), 403);
    const after = await metricsUntil(port, (m) => delta(before, m, 'phx_refused_connects_total', { reason: 'vsn' }) === 1,
                                     WAIT, 'refused{vsn} +1');
    for (const reason of ['connect', 'origin', 'handshake', 'limit', 'draining'])
      assert.equal(delta(before, after, 'phx_refused_connects_total', { reason }), 0, `refused{${reason}} +0`);
    assert.equal(delta(before, after, 'phx_connects_total', WS), 0, 'not counted as a connect');
  });
});

describe('/metrics: slow reader (--max-outbound-bytes 65536)', () => {
  const server = useServer(['--max-outbound-bytes', '65536', ...QUICK_STOP]);

  server.test('a client that stops reading is closed: phx_slow_reader_closes_total +1; queued bytes back to 0', async ({ port, raw, t }) => {
    const before = await fetchMetrics(port);
    const slow = await raw();
    await slow.join('room:slow');
    const shouter = await raw();
    const { joinRef } = await shouter.join('room:slow');
    slow.ws._socket.pause(); // the kernel buffers fill, then the server's queue
    const blob = 'x'.repeat(60_000);
    let i = 0;
    let cut = null;
    const t0 = Date.now();
    // Paced by the shouter reading its own shouts: only the paused client falls behind.
    while (Date.now() - t0 < 20_000 && i < 1000) {
      shouter.send({ join_ref: joinRef, topic: 'room:slow', event: 'shout', payload: { i, blob } }); // no reply
      await shouter.next((m) => m.event === 'shout' && m.payload.i === i, `shout #${i}`);
      i += 1;
      if (i % 10 === 0) {
        const m = await fetchMetrics(port);
        if (delta(before, m, 'phx_slow_reader_closes_total') >= 1) { cut = m; break; }
      }
    }
    assert.ok(cut, `phx_slow_reader_closes_total did not move after ${i} shouts of 60 KB`);
    t.diagnostic(`slow reader closed after ${i} shouts of 60 KB (${Date.now() - t0} ms)`);
    assert.equal(delta(before, cut, 'phx_slow_reader_closes_total'), 1, 'phx_slow_reader_closes_total +1');
    // The shouter was not cut and still gets replies.
    const r = await shouter.call({ join_ref: joinRef, topic: 'room:slow', event: 'ping', payload: { alive: 1 } });
    assert.deepEqual(r.payload, { status: 'ok', response: { alive: 1 } });
    // 5 s after the 1008 the server cuts the socket that does not read; the queue is freed.
    const end = await metricsUntil(port, (m) => m.get('phx_outbound_queued_bytes') === 0
                                            && delta(before, m, 'phx_connections', WS) === 1,
                                   12_000, 'phx_outbound_queued_bytes 0 and the slow connection gone');
    assert.equal(delta(before, end, 'phx_slow_reader_closes_total'), 1, 'still +1');
    slow.ws._socket.resume();
  }, { timeout: 45_000 });
});

describe('/healthz and /readyz', () => {
  const server = useServer(QUICK_STOP);

  server.test('GET /healthz: 200 {"status":"ok"}', async ({ port }) => {
    const res = await httpRequest(port, { path: '/healthz' });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  server.test('GET /readyz: 200 with "status":"ready"', async ({ port, raw }) => {
    await raw();
    const res = await httpRequest(port, { path: '/readyz' });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.json?.status, 'ready', res.text);
    assert.equal(res.json?.reasons, undefined, res.text);
  });
});

test('GET /readyz while draining after SIGTERM (--drain-ms 3000, one client): 503 "not ready", reasons has "draining"', { timeout: 20_000 }, async () => {
  const s = await startServer(['--drain-ms', '3000']);
  let client;
  try {
    client = await RawClient.open(s.port);
    await client.join('room:drain');
    const ready = await httpRequest(s.port, { path: '/readyz' });
    assert.equal(ready.status, 200, ready.text);
    const t0 = Date.now();
    s.proc.kill('SIGTERM');
    // The client is closed (1012) at once; the drain lasts its 3 s.
    const closed = await client.waitClose(WAIT);
    assert.equal(closed.code, 1012, `close code ${closed.code}`);
    const answers = [];
    while (Date.now() - t0 < 2000) {
      const res = await httpRequest(s.port, { path: '/readyz' });
      answers.push({ at: Date.now() - t0, status: res.status, body: res.json });
      await sleep(250);
    }
    assert.ok(answers.length >= 3, `${answers.length} answers`);
    for (const a of answers) {
      assert.equal(a.status, 503, JSON.stringify(a));
      assert.equal(a.body?.status, 'not ready', JSON.stringify(a));
      assert.ok(Array.isArray(a.body?.reasons) && a.body.reasons.includes('draining'), JSON.stringify(a));
    }
    const exited = await withTimeout(s.exit.then(() => s.exited()), 6000, 'phx-echo to exit after the drain');
    const took = Date.now() - t0;
    assert.deepEqual(exited, { code: 0, signal: null }, `exit ${JSON.stringify(exited)}`);
    assert.ok(took >= 2500, `exited ${took} ms after SIGTERM, before the 3 s drain was over`);
  } catch (err) {
    err.message += `\n--- phx-echo output (tail) ---\n${s.log().split('\n').slice(-30).join('\n')}`;
    throw err;
  } finally {
    if (client) client.terminate();
    await stopServer(s);
    if (!s.exited()) s.proc.kill('SIGKILL');
  }
});
