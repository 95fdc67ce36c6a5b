// Hardening of the HTTP side: request smuggling (ambiguous body length), a
// 413 the client can read, Host required, 405 with Allow, who may use
// POST /api/broadcast (v4-mapped loopback, --broadcast-api-key), and
// --request-timeout-ms against slow clients. Every test checks afterwards
// that a WebSocket client joined before the attack still gets replies.
import { describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, joinBystander, TcpClient, statusLines, parseResponseHead, httpRequest, sleep,
  scaled, WAIT,
  destroyRawConnections,
} from './support.mjs';

afterEach(destroyRawConnections);

const BROADCAST = JSON.stringify({ topic: 'room:x', event: 'e', payload: { via: 'raw' } });
const chunked = (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

// Writes `data` on a fresh connection, reads until the server closes it
// (bounded); returns the client with everything it read.
async function exchange(port, data, ms = 5000) {
  const c = await TcpClient.open(port);
  await c.write(data);
  await c.waitEnd(ms).catch((err) => {
    c.destroy();
    err.message += `; read so far: ${JSON.stringify(c.text.slice(0, 300))}`;
    throw err;
  });
  return c;
}

// Writes `data` on a fresh connection and waits for one whole response head.
async function firstResponse(port, data, ms = 5000) {
  const c = await TcpClient.open(port);
  await c.write(data);
  await c.until(() => c.text.includes('\r\n\r\n') || c.isEnded, ms, 'a response head').catch((err) => {
    c.destroy();
    throw err;
  });
  const head = parseResponseHead(c.text);
  assert.ok(head, `no response head before the connection ended: ${JSON.stringify(c.text)}`);
  return { c, head };
}

// A subscriber of room:x on a WebSocket, to see what gets broadcast.
async function subscriber(ctx) {
  const s = await ctx.raw();
  await s.join('room:x');
  return s;
}

describe('request smuggling', () => {
  const server = useServer();

  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const head = (lengthHeaders) =>
    `POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\n${lengthHeaders}Content-Type: application/json\r\n\r\n`;
  const cases = {
    'Transfer-Encoding: xchunked + Content-Length': head('Transfer-Encoding: xchunked\r\nContent-Length: 60\r\n'),
    'Transfer-Encoding: chunked + Content-Length': head('Transfer-Encoding: chunked\r\nContent-Length: 60\r\n'),
    'Content-Length + Transfer-Encoding: chunked': head('Content-Length: 60\r\nTransfer-Encoding: chunked\r\n'),
    'two different Content-Length': head(`Content-Length: ${Buffer.byteLength(chunked(BROADCAST))}\r\nContent-Length: 60\r\n`),
  };
  for (const [what, h] of Object.entries(cases)) {
    server.test(`${what}: one 400, then the server closes; the smuggled request is never answered`, async (ctx) => {
      const bystander = await joinBystander(ctx);
      const sub = await subscriber(ctx);
      const c = await exchange(ctx.port, h + chunked(BROADCAST) + smuggled);
      const lines = statusLines(c.text);
      assert.equal(lines.length, 1, `exactly one response expected, read: ${JSON.stringify(c.text)}`);
      assert.equal(lines[0].status, 400, lines[0].line);
      assert.equal(lines[0].index, 0, 'the response starts the stream');
      assert.ok(!/smuggled/.test(c.text));
      assert.equal(await sub.nothing((m) => m.event === 'e', 300), null, 'nothing may be broadcast');
      await bystander.check();
    });
  }

  server.test('a valid chunked POST /api/broadcast is accepted (202) and delivered', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const { c, head: res } = await firstResponse(ctx.port,
      `POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n${chunked(BROADCAST)}`);
    c.destroy();
    assert.equal(res.status, 202, res.statusLine);
    const got = await sub.next((m) => m.event === 'e', 'the chunked broadcast');
    assert.deepEqual(got.payload, { via: 'raw' });
    await bystander.check();
  });
});

describe('413 the client can read', () => {
  const server = useServer();
  const ROUNDS = scaled(20, 10);

  // Streams a body far over the limit while reading; returns what was read
  // once the server's status line is in (or the connection ended).
  async function oversized(port, { isChunked }) {
    const c = await TcpClient.open(port);
    const TOTAL = isChunked ? 4 * 2 ** 20 : 10 * 2 ** 20;
    const head = isChunked
      ? 'POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
      : `POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${TOTAL}\r\n\r\n`;
    const piece = Buffer.alloc(64 * 1024, 'x');
    const unit = isChunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    const t0 = Date.now();
    c.sock.write(head);
    let sent = 0;
    while (sent < TOTAL && !c.isEnded && !c.sock.destroyed && Date.now() - t0 < 10_000) {
      const flushed = c.sock.write(unit);
      sent += piece.length;
      if (!flushed) {
        const r = await Promise.race([
          new Promise((resolve) => c.sock.once('drain', () => resolve('drain'))),
          c.ended.then(() => 'ended'),
          sleep(2000).then(() => 'stuck'),
        ]);
        if (r !== 'drain') break; // the server closed or stopped reading: it has answered by now
      }
    }
    if (isChunked && sent >= TOTAL && !c.sock.destroyed) c.sock.write('0\r\n\r\n');
    await c.until(() => /\r\n/.test(c.text) || c.isEnded, scaled(5000, 10_000), 'a status line').catch(() => {});
    c.destroy();
    return { text: c.text, sent, how: c.how, error: c.error && c.error.code };
  }

  server.test(`a 10 MB body with Content-Length: the 413 arrives, ${ROUNDS} times out of ${ROUNDS}`, async (ctx) => {
    const bystander = await joinBystander(ctx);
    const failures = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await oversized(ctx.port, { isChunked: false });
      const lines = statusLines(r.text);
      if (!(lines.length >= 1 && lines[0].status === 413 && lines[0].index === 0))
        failures.push(`round ${i}: read ${JSON.stringify(r.text.slice(0, 80))} after sending ${r.sent} bytes (${r.how} ${r.error ?? ''})`);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${ROUNDS} rounds without a readable 413`);
    await bystander.check();
  }, { timeout: scaled(60_000, 120_000) });

  server.test('a chunked body over 1 MiB gets a readable 413', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const failures = [];
    for (let i = 0; i < 3; i++) {
      const r = await oversized(ctx.port, { isChunked: true });
      const lines = statusLines(r.text);
      if (!(lines.length >= 1 && lines[0].status === 413 && lines[0].index === 0))
        failures.push(`round ${i}: read ${JSON.stringify(r.text.slice(0, 80))} after sending ${r.sent} bytes (${r.how} ${r.error ?? ''})`);
    }
    assert.deepEqual(failures, []);
    await bystander.check();
  }, { timeout: scaled(30_000, 60_000) });
});

describe('Host and method', () => {
  const server = useServer();

  server.test('GET / without Host: 400', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const { c, head } = await firstResponse(ctx.port, 'GET / HTTP/1.1\r\n\r\n');
    c.destroy();
    assert.equal(head.status, 400, head.statusLine);
    await bystander.check();
  });

  server.test('POST /api/broadcast without Host: 400 and nothing is broadcast', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const { c, head } = await firstResponse(ctx.port,
      `POST /api/broadcast HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BROADCAST)}\r\n\r\n${BROADCAST}`);
    c.destroy();
    assert.equal(head.status, 400, head.statusLine);
    assert.equal(await sub.nothing((m) => m.event === 'e', 300), null, 'nothing may be broadcast');
    await bystander.check();
  });

  server.test('GET /api/broadcast: 405 with Allow: POST', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const res = await httpRequest(ctx.port, { method: 'GET', path: '/api/broadcast' });
    assert.equal(res.status, 405, res.text);
    assert.match(String(res.headers.allow ?? ''), /\bPOST\b/, `Allow: ${res.headers.allow}`);
    await bystander.check();
  });

  server.test('Expect: 100-continue is answered before the body is sent, then the request', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const c = await TcpClient.open(ctx.port);
    await c.write('POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
                  + `Content-Length: ${Buffer.byteLength(BROADCAST)}\r\nExpect: 100-continue\r\n\r\n`);
    await c.until(() => c.text.includes('\r\n\r\n'), 1000, 'the interim answer'); // curl waits 1 s
    assert.match(c.text, /^HTTP\/1\.1 100 Continue\r\n/, c.text);
    await c.write(BROADCAST);
    await c.until(() => statusLines(c.text).length === 2, 3000, 'the final answer');
    assert.equal(statusLines(c.text)[1].status, 202, c.text);
    c.destroy();
    await sub.next((m) => m.event === 'e', 'the broadcast');
    await bystander.check();
  });
});

describe('broadcast API from the v4-mapped loopback (--host ::ffff:127.0.0.1)', () => {
  const server = useServer(['--host', '::ffff:127.0.0.1']);

  server.test('::ffff:127.0.0.1 counts as loopback: 202 and delivered', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const res = await ctx.post({ topic: 'room:x', event: 'e', payload: { mapped: true } });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual((await sub.next((m) => m.event === 'e', 'the broadcast')).payload, { mapped: true });
    await bystander.check();
  });
});

describe('broadcast API key (--broadcast-api-key s3cret)', () => {
  const server = useServer(['--broadcast-api-key', 's3cret']);

  const post = (port, authorization) => httpRequest(port, {
    method: 'POST', path: '/api/broadcast',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: { topic: 'room:x', event: 'e', payload: { auth: authorization ?? null } },
  });

  server.test('no or a wrong Authorization: 401 and nothing is broadcast', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cre', 'Bearer s3cretX', 'Basic s3cret', 's3cret']) {
      const res = await post(ctx.port, auth);
      assert.equal(res.status, 401, `Authorization ${JSON.stringify(auth)}: ${res.status} ${res.text}`);
    }
    assert.equal(await sub.nothing((m) => m.event === 'e', 300), null, 'nothing may be broadcast');
    await bystander.check();
  });

  server.test('Authorization: Bearer s3cret: 202 and delivered', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const res = await post(ctx.port, 'Bearer s3cret');
    assert.equal(res.status, 202, res.text);
    assert.deepEqual((await sub.next((m) => m.event === 'e', 'the broadcast')).payload, { auth: 'Bearer s3cret' });
    await bystander.check();
  });
});

describe('slow HTTP clients (--request-timeout-ms 500)', () => {
  const server = useServer(['--request-timeout-ms', '500']);

  server.test('half a request head is cut within 2 s; other requests are answered meanwhile', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await subscriber(ctx);
    const slow = await TcpClient.open(ctx.port);
    const silent = await TcpClient.open(ctx.port);
    const t0 = Date.now();
    await slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and nothing more
    const res = await ctx.post({ topic: 'room:x', event: 'e', payload: { meanwhile: 1 } });
    assert.equal(res.status, 202, res.text);
    await sub.next((m) => m.event === 'e', 'the broadcast made meanwhile');
    await Promise.all([slow.waitEnd(2500), silent.waitEnd(2500)]).catch((err) => {
      err.message += ` (slow ended: ${slow.isEnded}, silent ended: ${silent.isEnded}, after ${Date.now() - t0} ms)`;
      throw err;
    });
    const took = Date.now() - t0;
    ctx.t.diagnostic(`slow connections cut after about ${took} ms`);
    assert.ok(took >= 300, `cut after ${took} ms, before the 500 ms timeout`);
    assert.equal(statusLines(slow.text).filter((l) => l.status < 400).length, 0, 'no success answer to half a head');
    // an upgraded WebSocket is not an HTTP request: the bystander, idle for
    // longer than the request timeout, still works
    await bystander.check();
  });

  server.test('a client sending a whole request in time is served', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await TcpClient.open(ctx.port);
    await c.write('POST /api/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(200);
    await c.write(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BROADCAST)}\r\n\r\n${BROADCAST}`);
    await c.until(() => c.text.includes('\r\n\r\n') || c.isEnded, WAIT, 'the response');
    c.destroy();
    assert.equal(parseResponseHead(c.text)?.status, 202, c.text);
    await bystander.check();
  });
});
