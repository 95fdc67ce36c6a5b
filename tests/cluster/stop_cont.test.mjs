// SIGSTOP of one node (B) of three while A publishes ~1 KB broadcasts for
// B's subscriber at a steady rate: A and C go on exchanging broadcasts,
// never held up longer than it takes to find B down, their memory stays
// bounded, and they log B down. Found down (1) by silence, with
// --node-timeout-ms 2000: A and C log `down (silent ...)`; (2) by the bytes
// it leaves unacknowledged, with --node-queue-bytes 8 MiB and a 30 s
// timeout: A drops the link long before the timeout. After SIGCONT, B's
// client gets A's broadcasts again and A logs B up again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { socketUrl } from '../integration/support.mjs';
import {
  withCluster, joinOnEveryNode, uid, expectExactlyOnce, settle, eventually, waitLog, peerDownRe, peerUpRe,
  sleep, withTimeout, rssMB, WAIT,
} from './cluster_support.mjs';

const STALL_MAX_MS = 2500;       // no broadcast between A and C held up longer than this
// Once B is found down: at once. Under the sanitizers (PHX_SANITIZED, set by
// ctest for that build) A and C are CPU-bound by the load itself: every
// broadcast also crosses to C, which parses it, and a probe queues behind
// them. The stall bound above still holds there.
const AFTER_DETECT_MAX_MS = process.env.PHX_SANITIZED ? 1500 : 500;
const LOAD_SECONDS = 5;
// shout_from per second on A (1 KB each: ~8 MB/s). Under the sanitizers a
// third of it: more saturates C's bridge (it parses every one), which then
// handles everything, B's silence included, seconds late.
const LOAD_RATE = process.env.PHX_SANITIZED ? 3000 : 8000;
const MAX_OUTSTANDING = 4000;    // unanswered frames the load client lets pile up
const RSS_GROWTH_MAX_MB = 64;

/**
 * A bare `ws` client joined to topic that pushes `shout_from` frames with a
 * ~1 KB payload (no reply; a ping every 100 frames tells how many were
 * handled, `synced`; nothing received is kept).
 */
async function openLoadClient(port, topic) {
  const ws = new WebSocket(socketUrl(port));
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), WAIT, 'the load client to open');
  const c = { ws, sent: 0, synced: 0, errors: [] };
  const joined = new Promise((resolve) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m[3] !== 'phx_reply') return;
      if (m[1] === 'join') { resolve(m[4]); return; }
      if (m[4].status !== 'ok' && c.errors.length < 5) c.errors.push(m[4]);
      else if (m[1].startsWith('sync')) c.synced = Number(m[1].slice(4));   // frames handled so far
    });
  });
  ws.send(JSON.stringify(['join', 'join', topic, 'phx_join', {}]));
  const r = await withTimeout(joined, WAIT, 'the load client join');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  const pad = 'x'.repeat(1000);
  // shout_from has no reply: every 100 frames a ping tells how far the channel got.
  c.push = (payload) => {
    c.sent++;
    ws.send(JSON.stringify(['join', String(c.sent), topic, 'shout_from', { ...payload, pad }]));
    if (c.sent % 100 === 0) ws.send(JSON.stringify(['join', `sync${c.sent}`, topic, 'ping', {}]));
  };
  return c;
}

/**
 * The scenario, with `args` for every node: B is to be found down by the
 * nodes `downBy`, within `detectMs` of the SIGSTOP, with a reason matching
 * `reason` (a regexp source).
 */
const scenario = ({ args, downBy, reason, detectMs }) => (t) => withCluster(3, args, async (cluster) => {
    const { A, B, C } = cluster;
    const topic = 'room:cluster_stop';
    const { chA, chB, chC, recs } = await joinOnEveryNode(cluster, topic, t);

    // The load: shout_from on A to room:cluster_load, whose only other
    // subscriber is on B (so A has to send it to B).
    const loadTopic = 'room:cluster_load';
    const loadB = await cluster.raw(B);
    await loadB.join(loadTopic);
    const load = await openLoadClient(A.httpPort, loadTopic);
    try {
      await eventually(() => {
        if (loadB.all.some((m) => m.event === 'shout')) return true;
        load.push({ warmup: true });
        return false;
      }, 10_000, "a load shout_from from A on B's subscriber");
      loadB.queue.length = 0;

      const base = { A: rssMB(A.pid), C: rssMB(C.pid) };
      const peak = { ...base };
      const marks = { A: A.mark(), C: C.mark() };
      const downRe = peerDownRe(B.name);
      const detected = {};
      const probes = [];   // {id, dir, sentAt}
      let probeTimer = null;
      let sampler = null;
      try {
        B.pause();
        const stoppedAt = Date.now();
        // Probes A→C and C→A, each every 100 ms; RSS and the down lines watched every 50 ms.
        let k = 0;
        probeTimer = setInterval(() => {
          const dir = k++ % 2 === 0 ? 'A→C' : 'C→A';
          const id = uid('probe');
          probes.push({ id, dir, sentAt: Date.now() });
          (dir === 'A→C' ? chA : chC).push('shout', { id });
        }, 50);
        sampler = setInterval(() => {
          for (const n of ['A', 'C']) {
            try { peak[n] = Math.max(peak[n], rssMB(cluster[n].pid)); } catch { /* exited: shows elsewhere */ }
            if (!detected[n] && cluster[n].lines(downRe, marks[n]).length) detected[n] = Date.now() - stoppedAt;
          }
        }, 50);
        // LOAD_SECONDS of shout_from at LOAD_RATE per second (fewer if A falls behind).
        const loadStart = Date.now();
        while (Date.now() - loadStart < LOAD_SECONDS * 1000) {
          const due = Math.floor(((Date.now() - loadStart) / 1000) * LOAD_RATE);
          while (load.sent < due && load.sent - load.synced < MAX_OUTSTANDING) load.push({ seq: load.sent });
          await sleep(10);
        }
        const loadMs = Date.now() - loadStart;
        clearInterval(probeTimer);
        probeTimer = null;
        t.diagnostic(`load: ${load.sent} shout_from of ~1 KB in ${loadMs} ms (${Math.round(load.sent / loadMs)} /ms), ` +
                     `${load.synced} handled; A found B down after ${detected.A ?? '-'} ms, C after ${detected.C ?? '-'} ms`);
        assert.deepEqual(load.errors, [], 'load shout_from replies');

        // Every probe arrives exactly once (give the last ones 3 s).
        const arrival = (p) => {
          const rec = p.dir === 'A→C' ? recs.C : recs.A;
          const hits = rec.filter((r) => r.payload.id === p.id);
          return hits.length ? { n: hits.length, lat: hits[0].at - p.sentAt } : null;
        };
        await eventually(() => probes.every(arrival), 3000, 'every probe between A and C to arrive').catch((err) => {
          err.message += `; ${probes.filter((p) => !arrival(p)).length} of ${probes.length} missing, e.g. ` +
                         JSON.stringify(probes.filter((p) => !arrival(p)).slice(0, 5).map((p) => ({ ...p, sentAt: p.sentAt - stoppedAt })));
          throw err;
        });
        await sleep(300);
        const lats = probes.map((p) => ({ ...p, at: p.sentAt - stoppedAt, ...arrival(p) }));
        const worst = [...lats].sort((a, b) => b.lat - a.lat).slice(0, 5);
        const sorted = lats.map((l) => l.lat).sort((a, b) => a - b);
        t.diagnostic(`${lats.length} probes: median ${sorted[sorted.length >> 1]} ms, p90 ${sorted[Math.floor(sorted.length * 0.9)]} ms, ` +
                     `max ${sorted[sorted.length - 1]} ms; worst ${JSON.stringify(worst.map((w) => [w.dir, w.at, w.lat]))} ([dir, sent at ms after SIGSTOP, latency])`);
        t.diagnostic(`RSS MB: A ${base.A.toFixed(1)} → peak ${peak.A.toFixed(1)}, C ${base.C.toFixed(1)} → peak ${peak.C.toFixed(1)}`);
        for (const l of lats) assert.equal(l.n, 1, `probe ${l.dir} sent ${l.at} ms after SIGSTOP arrived ${l.n} times`);
        assert.ok(worst[0].lat <= STALL_MAX_MS,
                  `a broadcast between A and C was held up ${worst[0].lat} ms (> ${STALL_MAX_MS}): ${JSON.stringify(worst[0])}`);

        // B found down by downBy, in time, for the reason expected.
        for (const n of downBy) {
          const line = await waitLog(cluster[n], downRe, Math.max(0, detectMs - (Date.now() - stoppedAt)),
                                     { from: marks[n], what: `${n} to log B down within ${detectMs} ms of SIGSTOP` });
          t.diagnostic(`${n} logged: ${line}`);
          assert.match(line, peerDownRe(B.name, reason), `the reason ${n} gives`);
          detected[n] ??= Date.now() - stoppedAt;
          assert.ok(detected[n] <= detectMs, `${n} logged B down ${detected[n]} ms after SIGSTOP (bound ${detectMs} ms)`);
        }
        const detectedAt = stoppedAt + Math.max(...downBy.map((n) => detected[n]));
        const late = lats.filter((l) => l.sentAt > detectedAt + 100 && l.lat > AFTER_DETECT_MAX_MS);
        assert.deepEqual(late, [], `broadcasts between A and C sent after B was found down must arrive within ${AFTER_DETECT_MAX_MS} ms`);

        for (const n of ['A', 'C']) {
          assert.ok(peak[n] - base[n] < RSS_GROWTH_MAX_MB,
                    `RSS of ${n} grew ${(peak[n] - base[n]).toFixed(1)} MB while B was stopped (bound ${RSS_GROWTH_MAX_MB} MB)`);
        }
        assert.equal(B.exitInfo, null, 'B must still be there (stopped)');
      } finally {
        if (probeTimer) clearInterval(probeTimer);
        if (sampler) clearInterval(sampler);
        B.resume();   // never leave a stopped process behind
      }
      const contAt = Date.now();
      const marksCont = { A: A.mark() };
      const contMarkB = B.mark();

      // After SIGCONT: A's broadcasts reach B's client again (15 s; B may
      // drop and re-establish its links, its client may be reconnected).
      const ms = await settle(chA, { B: recs.B }, { ms: 15_000, prefix: 'after-cont' });
      t.diagnostic(`after SIGCONT a shout from A reached B's client after ${ms} ms`);
      // A logs B up again (it was down).
      await waitLog(A, peerUpRe(B.name), Math.max(1000, 15_000 - (Date.now() - contAt)), { from: marks.A });
      for (const l of A.lines(/cluster:/, marksCont.A).slice(0, 10)) t.diagnostic(`A after SIGCONT: ${l}`);
      for (const l of B.lines(/cluster:/, contMarkB).slice(0, 10)) t.diagnostic(`B after SIGCONT: ${l}`);
      await eventually(() => chB.state === 'joined', 5000, "B's client channel joined");
      // and exactly once from every node
      for (const [from, ch] of [['A', chA], ['C', chC], ['B', chB]]) {
        const id = uid(`after-cont-${from}`);
        ch.push('shout', { id });
        await expectExactlyOnce(recs, id, { what: `a shout from ${from} after SIGCONT`, ms: 5000 });
      }
    } finally {
      load.ws.terminate();
    }
  });

test('SIGSTOP B (--node-timeout-ms 2000): A and C found it silent, kept exchanging broadcasts, memory bounded; after SIGCONT B gets broadcasts again',
  { timeout: 120_000 }, scenario({ args: ['--node-timeout-ms', '2000'], downBy: ['A', 'C'], reason: 'silent', detectMs: 4000 }));

// 8 MiB: at ~8 MB/s that is about a second of B not reading, while C (which
// gets every broadcast too, none of its clients subscribed) stays far below.
// (With 1 MiB, A also drops the healthy C now and then: the load machine's
// hiccups of ~100 ms are enough.)
test('SIGSTOP B (--node-queue-bytes 8 MiB, --node-timeout-ms 30000): A drops B for the unacknowledged bytes long before the timeout, A and C unaffected; after SIGCONT B is back',
  { timeout: 120_000 }, scenario({
    args: ['--node-timeout-ms', '30000', '--node-queue-bytes', String(8 << 20)], downBy: ['A'], reason: '', detectMs: 4000,
  }));
