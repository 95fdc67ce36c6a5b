// Hardening: check_origin on the WebSocket upgrade (--check-origin). A
// browser sends the page's Origin with the upgrade; a page of another site
// is refused with 403 before the upgrade. Clients without Origin (Node's ws,
// the phoenix client in Node) always pass. Every test checks afterwards
// that a client joined before the attempt still gets replies.
import { describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, joinBystander, RawWs, WebSocket, socketUrl, withTimeout, phxJoin, outcome, WAIT,
  destroyRawConnections,
} from './support.mjs';

afterEach(destroyRawConnections);

// The status of an upgrade sent with these headers (101 or the refusal).
async function upgrade(port, headers = {}) {
  let c;
  try {
    c = await RawWs.open(port, { headers });
  } catch (err) {
    if (err.statusCode) return err.statusCode;
    throw err;
  }
  // accepted: the connection really works
  await c.sendText([null, 'hb', 'phoenix', 'heartbeat', {}]);
  await c.until(() => c.messages.some((m) => m.ref === 'hb'), WAIT, 'the heartbeat reply');
  c.destroy();
  return 101;
}

// The same through ws's `origin` option: 101 or the HTTP status it got.
function wsUpgrade(port, origin) {
  const ws = new WebSocket(socketUrl(port), { origin });
  const p = new Promise((resolve, reject) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode); });
    ws.once('error', reject);
  });
  return withTimeout(p, WAIT, `upgrade with Origin ${origin}`).finally(() => ws.terminate());
}

describe('check_origin: host (default)', () => {
  const server = useServer();

  server.test('an Origin of another site is refused with 403', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: 'http://evil.example' }), 403);
    assert.equal(await upgrade(ctx.port, { Origin: 'https://evil.example' }), 403);
    assert.equal(await wsUpgrade(ctx.port, 'http://evil.example'), 403);
    await bystander.check();
  });

  server.test('Origin "null" and "file://" (no host) are refused with 403', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: 'null' }), 403);
    assert.equal(await upgrade(ctx.port, { Origin: 'file://' }), 403);
    await bystander.check();
  });

  server.test('the server\'s own host passes (101), and so does no Origin at all', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: `http://127.0.0.1:${ctx.port}` }), 101);
    assert.equal(await wsUpgrade(ctx.port, `http://127.0.0.1:${ctx.port}`), 101);
    assert.equal(await upgrade(ctx.port), 101);
    assert.equal(await wsUpgrade(ctx.port, undefined), 101);
    await bystander.check();
  });

  server.test('Origin localhost with Host 127.0.0.1 is another host: 403', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: `http://localhost:${ctx.port}`, Host: `127.0.0.1:${ctx.port}` }), 403);
    await bystander.check();
  });

  server.test('the stock phoenix client (Node, no Origin) connects, joins and pings', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const s = await ctx.phx();
    const { channel, status, response } = await phxJoin(s, 'room:origin', { a: 1 });
    assert.equal(status, 'ok', JSON.stringify(response));
    assert.deepEqual(await outcome(channel.push('ping', { p: 1 })), { status: 'ok', response: { p: 1 } });
    await bystander.check();
  });
});

describe('check_origin: off', () => {
  const server = useServer(['--check-origin', 'off']);

  server.test('any Origin passes', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: 'http://evil.example' }), 101);
    assert.equal(await wsUpgrade(ctx.port, 'http://evil.example'), 101);
    assert.equal(await upgrade(ctx.port), 101);
    await bystander.check();
  });
});

describe('check_origin: //evil.example', () => {
  const server = useServer(['--check-origin', '//evil.example']);

  server.test('the listed host passes, another gets 403', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: 'http://evil.example' }), 101);
    assert.equal(await upgrade(ctx.port, { Origin: 'http://other.example' }), 403);
    assert.equal(await wsUpgrade(ctx.port, 'http://other.example'), 403);
    assert.equal(await upgrade(ctx.port), 101, 'no Origin');
    await bystander.check();
  });
});

describe('check_origin: //*.example.com', () => {
  const server = useServer(['--check-origin', '//*.example.com']);

  server.test('subdomains and the domain itself pass; a look-alike gets 403', async (ctx) => {
    const bystander = await joinBystander(ctx);
    assert.equal(await upgrade(ctx.port, { Origin: 'https://a.example.com' }), 101);
    assert.equal(await upgrade(ctx.port, { Origin: 'https://example.com' }), 101);
    assert.equal(await upgrade(ctx.port, { Origin: 'https://prefix-example.com' }), 403);
    assert.equal(await upgrade(ctx.port, { Origin: 'https://example.com.evil.example' }), 403);
    await bystander.check();
  });
});
