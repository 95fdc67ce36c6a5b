// Hardening of the WebSocket layer: a flood of empty pings from a client that
// never reads keeps the server's memory bounded; the closing handshake checks
// the client's close code and reason (RFC 6455 5.5.1, 7.4); joins and leaves
// pipelined on one connection are answered completely and in order. Every
// test checks afterwards that a client joined before the attack still gets
// replies and that the server is alive.
import { describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, joinBystander, RawWs, OP, closePayload, encodeFrame, rssBytes, sleep,
  scaled,
  destroyRawConnections,
} from './support.mjs';

afterEach(destroyRawConnections);

describe('empty-ping flood from a client that never reads', () => {
  // Under AddressSanitizer freed memory sits in a quarantine (256 MB by
  // default) before it is reused, which would look like growth here: the
  // server of this test gets a small one. (Registered before useServer's
  // hook, so it applies when the server starts.)
  const saved = process.env.ASAN_OPTIONS;
  before(() => { process.env.ASAN_OPTIONS = `${saved ?? ''}:quarantine_size_mb=16`; });
  after(() => { if (saved === undefined) delete process.env.ASAN_OPTIONS; else process.env.ASAN_OPTIONS = saved; });
  const server = useServer();

  server.test('the server\'s RSS stays bounded while 6-byte pings pour in unread', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const pid = ctx.server.proc.pid;
    const c = await RawWs.open(ctx.port);
    c.sock.pause(); // never read: every pong the server makes stays with it
    const ping = Buffer.from([0x89, 0x80, 0x01, 0x02, 0x03, 0x04]); // FIN+ping, masked, empty
    const block = Buffer.alloc(ping.length * 174_762);              // ~1 MB of pings
    for (let o = 0; o < block.length; o += ping.length) ping.copy(block, o);
    const TOTAL = scaled(48, 24) * 2 ** 20; // bytes to send at most
    const SEND_MS = scaled(15_000, 10_000); // ... or this long, whichever first
    const DRAIN_MS = 2_000;                 // a write not taken this long: the server stopped reading

    const base = rssBytes(pid);
    let peak = base;
    const sampler = setInterval(() => {
      try { peak = Math.max(peak, rssBytes(pid)); } catch { /* exited: checked below */ }
    }, 50);
    let sent = 0;
    let stop = '';
    const t0 = Date.now();
    try {
      while (!stop) {
        if (sent >= TOTAL) { stop = 'all sent'; break; }
        if (Date.now() - t0 > SEND_MS) { stop = 'time bound'; break; }
        if (c.sock.destroyed || c.isEnded) { stop = 'connection closed by the server'; break; }
        const flushed = c.sock.write(block);
        sent += block.length;
        if (!flushed) {
          const drained = await new Promise((resolve) => {
            const timer = setTimeout(() => { cleanup(); resolve('timeout'); }, DRAIN_MS);
            const onDrain = () => { cleanup(); resolve('drain'); };
            const onGone = () => { cleanup(); resolve('gone'); };
            const cleanup = () => {
              clearTimeout(timer);
              c.sock.off('drain', onDrain);
              c.sock.off('close', onGone);
              c.sock.off('error', onGone);
            };
            c.sock.once('drain', onDrain);
            c.sock.once('close', onGone);
            c.sock.once('error', onGone);
          });
          if (drained === 'timeout') stop = 'the server stopped reading';
          if (drained === 'gone') stop = 'connection closed by the server';
        }
      }
      await sleep(300); // let the server handle what it read
      peak = Math.max(peak, rssBytes(pid));
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - base;
    const bound = scaled(64, 96) * 2 ** 20; // the sanitizer's own overhead, quarantine included
    ctx.t.diagnostic(`sent ${(sent / 2 ** 20).toFixed(1)} MB in ${Date.now() - t0} ms (${stop}); ` +
                     `RSS ${(base / 2 ** 20).toFixed(1)} MB -> peak ${(peak / 2 ** 20).toFixed(1)} MB`);
    assert.ok(growth < bound,
      `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB (bound ${bound / 2 ** 20} MB) for ` +
      `${(sent / 2 ** 20).toFixed(1)} MB of empty pings (${stop})`);
    c.destroy();
    await bystander.check();
  }, { timeout: 60_000 });
});

describe('closing handshake (RFC 6455 5.5.1, 7.4)', () => {
  const server = useServer();

  // Opens a raw connection, sends a close frame with `body`, and returns the
  // server's close frame; the server then ends the TCP connection.
  async function closeWith(ctx, body) {
    const c = await RawWs.open(ctx.port);
    await c.sendFrame(OP.close, body);
    const frame = await c.waitCloseFrame(5000);
    await c.tcp.waitEnd(5000);
    c.destroy();
    return frame;
  }

  server.test('an empty close body is answered with a close (1000 or empty)', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const f = await closeWith(ctx, Buffer.alloc(0));
    assert.ok(f.code === null || f.code === 1000, `server close code ${f.code}`);
    await bystander.check();
  });

  server.test('a 1-byte close body closes with 1002', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const f = await closeWith(ctx, Buffer.from([0x03]));
    assert.equal(f.code, 1002);
    await bystander.check();
  });

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    server.test(`close code ${code} (not allowed on the wire) closes with 1002`, async (ctx) => {
      const bystander = await joinBystander(ctx);
      const f = await closeWith(ctx, closePayload(code, 'bye'));
      assert.equal(f.code, 1002, `answer to close code ${code}`);
      await bystander.check();
    });
  }

  server.test('valid close codes are echoed (1000, 1001, 1003, 1007, 1011, 3000, 4999)', async (ctx) => {
    const bystander = await joinBystander(ctx);
    for (const code of [1000, 1001, 1003, 1007, 1011, 3000, 4999]) {
      const f = await closeWith(ctx, closePayload(code, 'fin ☃'));
      assert.equal(f.code, code, `answer to close code ${code}`);
    }
    await bystander.check();
  });

  server.test('a valid code with a reason that is not UTF-8 closes with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    for (const reason of [Buffer.from([0xc3, 0x28]), Buffer.from([0x6f, 0x6b, 0xff]), Buffer.from([0xed, 0xa0, 0x80])]) {
      const f = await closeWith(ctx, closePayload(1000, reason));
      assert.equal(f.code, 1007, `answer to 1000 + ${reason.toString('hex')}`);
    }
    await bystander.check();
  });
});

describe('pipelined join/leave and join/boom on one connection', () => {
  const server = useServer();
  // The sanitizer build is several times slower: fewer rounds, same checks.
  const N = scaled(10_000, 2_000);
  const B = scaled(1_000, 500);

  server.test(`${N} join+leave pairs in one write: every reply and phx_close, in order`, async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await RawWs.open(ctx.port);
    const frames = [];
    for (let n = 0; n < N; n++) {
      frames.push(Buffer.from(JSON.stringify([`j${n}`, `j${n}`, 'room:churn', 'phx_join', {}])));
      frames.push(Buffer.from(JSON.stringify([`j${n}`, `l${n}`, 'room:churn', 'phx_leave', {}])));
    }
    const t0 = Date.now();
    assert.ok(await c.write(Buffer.concat(frames.map((f) => encodeFrame(OP.text, f)))), 'the write failed');
    const onTopic = () => c.messages.filter((m) => m.topic === 'room:churn');
    await c.until(() => onTopic().length >= 3 * N || c.isEnded, scaled(30_000, 90_000),
                  `${3 * N} frames on room:churn`).catch((err) => {
      err.message += ` (got ${onTopic().length}; last: ${JSON.stringify(onTopic().slice(-3).map((m) => m.raw))})`;
      throw err;
    });
    assert.ok(!c.isEnded, `the server closed the connection (close frame ${JSON.stringify(c.closeFrame)}) ` +
                          `after ${onTopic().length} of ${3 * N} frames on room:churn`);
    ctx.t.diagnostic(`${3 * N} frames in ${Date.now() - t0} ms`);
    await sleep(300);
    const got = onTopic();
    assert.equal(got.length, 3 * N, 'frame count on room:churn');
    for (let n = 0; n < N; n++) {
      const [join, leave, close] = got.slice(3 * n, 3 * n + 3);
      const what = `round ${n}: ${JSON.stringify([join.raw, leave.raw, close.raw])}`;
      if (!(join.event === 'phx_reply' && join.ref === `j${n}` && join.join_ref === `j${n}` &&
            join.payload.status === 'ok'))
        assert.fail(`expected the join reply j${n} first, ${what}`);
      if (!(leave.event === 'phx_reply' && leave.ref === `l${n}` && leave.payload.status === 'ok'))
        assert.fail(`expected the leave reply l${n} second, ${what}`);
      if (!(close.event === 'phx_close' && close.join_ref === `j${n}`))
        assert.fail(`expected phx_close of j${n} third, ${what}`);
    }
    assert.deepEqual(c.messages.filter((m) => m.topic !== 'room:churn'), [], 'nothing on other topics');
    await bystander.check();
  }, { timeout: scaled(45_000, 120_000) });

  server.test(`${B} join+boom pairs in one write: every join ok, exactly one phx_error/phx_close each, in order`, async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await RawWs.open(ctx.port);
    const frames = [];
    for (let n = 0; n < B; n++) {
      frames.push(encodeFrame(OP.text, JSON.stringify([`j${n}`, `j${n}`, 'room:boom', 'phx_join', {}])));
      frames.push(encodeFrame(OP.text, JSON.stringify([`j${n}`, `b${n}`, 'room:boom', 'boom', {}])));
    }
    assert.ok(await c.write(Buffer.concat(frames)), 'the write failed');
    const ends = () => c.messages.filter((m) => m.topic === 'room:boom' && (m.event === 'phx_error' || m.event === 'phx_close'));
    const joins = () => c.messages.filter((m) => m.topic === 'room:boom' && m.event === 'phx_reply' && /^j/.test(m.ref));
    await c.until(() => (ends().length >= B && joins().length >= B) || c.isEnded, scaled(20_000, 60_000),
                  `${B} join replies and ${B} ends`).catch((err) => {
      err.message += ` (got ${joins().length} join replies, ${ends().length} ends)`;
      throw err;
    });
    assert.ok(!c.isEnded, `the server closed the connection (close frame ${JSON.stringify(c.closeFrame)}) ` +
                          `after ${joins().length} join replies and ${ends().length} ends`);
    await sleep(300);
    const all = c.messages.filter((m) => m.topic === 'room:boom');
    const js = joins();
    const es = ends();
    assert.equal(js.length, B, 'join replies');
    assert.equal(es.length, B, 'phx_error/phx_close frames (one per instance)');
    js.forEach((m, n) => {
      if (!(m.ref === `j${n}` && m.join_ref === `j${n}` && m.payload.status === 'ok'))
        assert.fail(`join reply #${n} is ${m.text}`);
    });
    es.forEach((m, n) => {
      if (m.join_ref !== `j${n}`) assert.fail(`end #${n} is ${m.text} (expected join_ref j${n})`);
    });
    // each instance ends after its join reply
    for (let n = 0; n < B; n++) {
      if (all.indexOf(es[n]) < all.indexOf(js[n])) assert.fail(`the end of j${n} came before its join reply`);
    }
    assert.equal(all.length, 2 * B, `nothing else on room:boom: ${JSON.stringify(all.filter((m) => !js.includes(m) && !es.includes(m)).slice(0, 3).map((m) => m.raw))}`);
    assert.equal(c.messages.filter((m) => typeof m.ref === 'string' && m.ref.startsWith('b')).length, 0, 'boom gets no reply');
    await bystander.check();
  }, { timeout: scaled(30_000, 90_000) });
});
