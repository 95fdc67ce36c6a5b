// V2-only wire behaviour: join_ref bookkeeping (duplicate join, stale and
// null join_refs), socket-id disconnect, handshake (vsn, authToken), bad
// frames, and the per-connection limits.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { useServer, upgradeStatus, sleep } from './support.mjs';

const ok = (response) => ({ status: 'ok', response });
const error = (response) => ({ status: 'error', response });

describe('join_ref bookkeeping', () => {
  const server = useServer();

  server.test('duplicate join: new join reply first, then [oldJR, oldJR, T, phx_close, {}]', async ({ raw }) => {
    const c = await raw();
    const first = await c.join('room:dup', { n: 1 });
    const newRef = c.send({ join_ref: 'J2', ref: 'J2', topic: 'room:dup', event: 'phx_join', payload: { n: 2 } });
    const a = await c.next((m) => m.topic === 'room:dup', 'first frame after duplicate join');
    const b = await c.next((m) => m.topic === 'room:dup', 'second frame after duplicate join');
    assert.deepEqual(a.raw, ['J2', newRef, 'room:dup', 'phx_reply', ok({ joined: 'room:dup', params: { n: 2 } })]);
    assert.deepEqual(b.raw, [first.joinRef, first.joinRef, 'room:dup', 'phx_close', {}]);
    assert.equal(await c.nothing((m) => m.topic === 'room:dup', 200), null, 'exactly one phx_close, nothing else');
    // the new instance answers, with its own join_ref
    const r = await c.call({ join_ref: 'J2', topic: 'room:dup', event: 'ping', payload: { v: 2 } });
    assert.deepEqual(r.raw, ['J2', r.ref, 'room:dup', 'phx_reply', ok({ v: 2 })]);
  });

  server.test('stale join_ref is dropped silently; null join_ref is accepted', async ({ raw }) => {
    const c = await raw();
    const old = await c.join('room:stale');
    c.send({ join_ref: 'NEW', ref: 'NEW', topic: 'room:stale', event: 'phx_join', payload: {} });
    await c.reply('NEW');
    await c.next((m) => m.event === 'phx_close', 'phx_close of the old instance');
    // stale join_ref: no reply at all (also for phx_leave)
    const staleRef = c.send({ join_ref: old.joinRef, topic: 'room:stale', event: 'ping', payload: {} });
    const staleLeave = c.send({ join_ref: old.joinRef, topic: 'room:stale', event: 'phx_leave', payload: {} });
    // a heartbeat sent after them is answered, so the server has processed them
    await c.heartbeat();
    assert.equal(await c.nothing((m) => m.ref === staleRef || m.ref === staleLeave, 300), null, 'stale frames must get no reply');
    // the channel is still there: current and null join_ref both reach it;
    // the reply carries the channel's join_ref
    const cur = await c.call({ join_ref: 'NEW', topic: 'room:stale', event: 'ping', payload: { a: 1 } });
    assert.deepEqual(cur.raw, ['NEW', cur.ref, 'room:stale', 'phx_reply', ok({ a: 1 })]);
    const nul = await c.call({ join_ref: null, topic: 'room:stale', event: 'ping', payload: { b: 2 } });
    assert.deepEqual(nul.raw, ['NEW', nul.ref, 'room:stale', 'phx_reply', ok({ b: 2 })]);
  });

  server.test('a frame with extra elements is decoded from its first five', async ({ raw }) => {
    const c = await raw();
    c.sendRaw(JSON.stringify([null, 'x1', 'phoenix', 'heartbeat', {}, 'extra', 42]));
    const r = await c.reply('x1');
    assert.deepEqual(r.raw, [null, 'x1', 'phoenix', 'phx_reply', ok({})]);
  });

  server.test('numeric refs are echoed as sent', async ({ raw }) => {
    const c = await raw();
    c.sendRaw(JSON.stringify([5, 6, 'room:num', 'phx_join', {}]));
    const r = await c.next((m) => m.event === 'phx_reply', 'join reply');
    assert.deepEqual(r.raw, [5, 6, 'room:num', 'phx_reply', ok({ joined: 'room:num', params: {} })]);
  });
});

describe('socket id disconnect', () => {
  const server = useServer();

  server.test('"disconnect" on users_socket:<id> closes all of that user\'s connections with 1001', async ({ raw, post }) => {
    const alice1 = await raw({ params: { user_id: 'alice' } });
    const alice2 = await raw({ params: { user_id: 'alice' } });
    const bob = await raw({ params: { user_id: 'bob' } });
    const anon = await raw();
    await alice1.join('room:x');
    await bob.join('room:x');
    const res = await post({ topic: 'users_socket:alice', event: 'disconnect', payload: {} });
    assert.equal(res.status, 202, res.text);
    assert.equal((await alice1.waitClose()).code, 1001);
    assert.equal((await alice2.waitClose()).code, 1001);
    // no phx_close / phx_error frames before the close
    assert.deepEqual(alice1.all.filter((m) => m.event === 'phx_close' || m.event === 'phx_error'), []);
    // the others are untouched
    for (const c of [bob, anon]) {
      assert.deepEqual((await c.heartbeat()).payload, ok({}));
      assert.ok(c.isOpen);
    }
    const r = await bob.call({ topic: 'room:x', event: 'ping', payload: {} });
    assert.deepEqual(r.payload, ok({}));
  });

  server.test('other events on the socket id topic are ignored', async ({ raw, post }) => {
    const carol = await raw({ params: { user_id: 'carol' } });
    const res = await post({ topic: 'users_socket:carol', event: 'something_else', payload: {} });
    assert.equal(res.status, 202, res.text);
    await sleep(200);
    assert.ok(carol.isOpen);
    assert.deepEqual((await carol.heartbeat()).payload, ok({}));
    assert.deepEqual(carol.all.filter((m) => m.event !== 'phx_reply'), [], 'nothing delivered to the client');
  });

  server.test('assigns is null for an anonymous socket', async ({ raw }) => {
    const c = await raw();
    await c.join('room:anon');
    const r = await c.call({ topic: 'room:anon', event: 'assigns', payload: {} });
    assert.deepEqual(r.payload, ok({ user_id: null }));
  });
});

describe('handshake', () => {
  const server = useServer();

  for (const vsn of ['3.0.0', '1.1.0', '2.1.0', '2', 'abc']) {
    server.test(`vsn=${vsn} is refused with HTTP 403 before the upgrade`, async ({ port }) => {
      assert.equal(await upgradeStatus(port, { vsn }), 403);
    });
  }

  server.test('vsn=2.0.0 and no vsn (V1) are accepted', async ({ port }) => {
    assert.equal(await upgradeStatus(port, { vsn: '2.0.0' }), 101);
    assert.equal(await upgradeStatus(port, { vsn: null, codec: 'v1' }), 101);
  });

  // A hand-made upgrade request: resolves with the status and headers.
  function upgradeWith(port, headers) {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port, path: '/socket/websocket?vsn=2.0.0',
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', ...headers },
      });
      req.on('upgrade', (res, sock) => { sock.destroy(); resolve(res); });
      req.on('response', (res) => { res.resume(); resolve(res); });
      req.on('error', reject);
      req.end();
    });
  }

  server.test('the handshake follows RFC 6455 4.2: accept key, 400 without a key, 426 for another version', async ({ port }) => {
    // The key and its accept value of RFC 6455 section 1.3.
    const ok = await upgradeWith(port, { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' });
    assert.equal(ok.statusCode, 101);
    assert.equal(ok.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal(ok.headers.upgrade.toLowerCase(), 'websocket');
    const noKey = await upgradeWith(port, { 'Sec-WebSocket-Version': '13' });
    assert.equal(noKey.statusCode, 400);
    const v8 = await upgradeWith(port, { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '8' });
    assert.equal(v8.statusCode, 426);
    assert.equal(v8.headers['sec-websocket-version'], '13');
  });

  server.test('authToken subprotocols: the server selects "phoenix"', async ({ raw }) => {
    const c = await raw({ protocols: ['phoenix', 'base64url.bearer.phx.czNjcjN0'] });
    assert.equal(c.ws.protocol, 'phoenix');
    const { reply } = await c.join('room:auth');
    assert.equal(reply.payload.status, 'ok');
  });
});

describe('bad frames', () => {
  const server = useServer(['--max-frame-size', '4096']);

  const undecodable = {
    'not JSON': '{"this is": not json',
    'a JSON object (V2 wants an array)': JSON.stringify({ topic: 'room:1', event: 'ping', payload: {}, ref: '1' }),
    'an array of 4 elements': JSON.stringify([null, '1', 'room:1', 'ping']),
    'a JSON string': JSON.stringify('hello'),
  };
  for (const [what, text] of Object.entries(undecodable)) {
    server.test(`${what} closes the connection with 1007 or 1003; others unaffected`, async ({ raw }) => {
      const bystander = await raw();
      const c = await raw();
      c.sendRaw(text);
      const { code } = await c.waitClose();
      assert.ok(code === 1007 || code === 1003, `close code ${code}`);
      assert.deepEqual((await bystander.heartbeat()).payload, ok({}));
    });
  }

  server.test('a frame larger than --max-frame-size closes with 1009', async ({ raw }) => {
    const c = await raw();
    await c.join('room:big');
    // just under the limit still works
    const small = 'a'.repeat(3000);
    const r = await c.call({ topic: 'room:big', event: 'ping', payload: { small } });
    assert.deepEqual(r.payload, ok({ small }));
    c.send({ topic: 'room:big', event: 'ping', payload: { big: 'b'.repeat(8192) } });
    assert.equal((await c.waitClose()).code, 1009);
  });
});

describe('max channels', () => {
  const server = useServer(['--max-channels', '3']);

  server.test('joining more than --max-channels: error {reason: too many channels joined}', async ({ raw }) => {
    const c = await raw();
    for (const t of ['room:1', 'room:2', 'room:3'])
      assert.equal((await c.join(t)).reply.payload.status, 'ok');
    const { joinRef, ref, reply } = await c.join('room:4');
    assert.deepEqual(reply.raw, [joinRef, ref, 'room:4', 'phx_reply', error({ reason: 'too many channels joined' })]);
    // the limit is per connection
    const other = await raw();
    assert.equal((await other.join('room:4')).reply.payload.status, 'ok');
    // a left channel frees its slot
    c.send({ topic: 'room:1', event: 'phx_leave', payload: {} });
    await c.next((m) => m.topic === 'room:1' && m.event === 'phx_close', 'phx_close after leave');
    assert.equal((await c.join('room:5')).reply.payload.status, 'ok');
  });
});

describe('idle timeout', () => {
  const server = useServer(['--idle-timeout-ms', '300']);

  server.test('a silent connection is closed by the server within 2 s', async ({ raw }) => {
    const c = await raw();
    const t0 = Date.now();
    await c.waitClose(2000);
    assert.ok(Date.now() - t0 >= 200, `closed after ${Date.now() - t0} ms, before the idle timeout`);
  });

  server.test('heartbeats every 100 ms keep a connection open past the timeout', async ({ raw }) => {
    const c = await raw();
    const timer = setInterval(() => { if (c.isOpen) c.send({ topic: 'phoenix', event: 'heartbeat', payload: {} }); }, 100);
    try {
      await sleep(1500);
      assert.ok(c.isOpen, 'connection closed although it kept sending');
      assert.deepEqual((await c.heartbeat()).payload, ok({}));
    } finally {
      clearInterval(timer);
    }
  });
});
