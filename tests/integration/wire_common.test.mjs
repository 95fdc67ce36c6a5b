// The echo contract on the wire, run once over V2 (array frames) and once over
// V1 (object frames, no join_ref in output). Expectations are written as
// logical messages and turned into the exact frame of each serializer.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './support.mjs';

/** The exact frame the server must send for a logical message. */
function frame(codec, { join_ref = null, ref = null, topic, event, payload }) {
  return codec === 'v2'
    ? [join_ref, ref, topic, event, payload]
    : { topic, event, payload, ref };
}

const ok = (response) => ({ status: 'ok', response });
const error = (response) => ({ status: 'error', response });

function assertFrame(codec, msg, expected) {
  assert.deepEqual(msg.raw, frame(codec, expected), `frame ${msg.text}`);
}

/** V1 output never carries join_ref (PROTOCOL 1.3). */
function assertV1Shapes(client) {
  for (const m of client.all) {
    assert.ok(m.raw && typeof m.raw === 'object' && !Array.isArray(m.raw), `V1 output must be an object: ${m.text}`);
    assert.deepEqual(Object.keys(m.raw).sort(), ['event', 'payload', 'ref', 'topic'], `V1 output keys: ${m.text}`);
  }
}

const server = useServer();

for (const codec of ['v2', 'v1']) {
  describe(`${codec} wire`, () => {
    // Each test gets a connection of this codec; V1 outputs are shape-checked.
    const wireTest = (name, fn) => server.test(name, async (ctx) => {
      const c = await ctx.raw({ codec, params: { user_id: `u-${codec}` } });
      await fn(c, ctx);
      if (codec === 'v1') assertV1Shapes(c);
    });

    wireTest('heartbeat is answered with an ok reply on topic phoenix', async (c) => {
      const ref = c.send({ join_ref: null, topic: 'phoenix', event: 'heartbeat', payload: {} });
      assertFrame(codec, await c.reply(ref), { ref, topic: 'phoenix', event: 'phx_reply', payload: ok({}) });
    });

    wireTest('join of room:* replies ok {joined, params}', async (c) => {
      const { joinRef, ref, reply } = await c.join('room:lobby', { a: 1, nested: { b: [true, null] } });
      assertFrame(codec, reply, {
        join_ref: joinRef, ref, topic: 'room:lobby', event: 'phx_reply',
        payload: ok({ joined: 'room:lobby', params: { a: 1, nested: { b: [true, null] } } }),
      });
    });

    wireTest('join of room:forbidden is refused with {reason: unauthorized}', async (c) => {
      const { joinRef, ref, reply } = await c.join('room:forbidden', {});
      assertFrame(codec, reply, {
        join_ref: joinRef, ref, topic: 'room:forbidden', event: 'phx_reply',
        payload: error({ reason: 'unauthorized' }),
      });
      // nothing was registered: a push now is an unmatched topic
      const r = await c.call({ join_ref: joinRef ?? undefined, topic: 'room:forbidden', event: 'ping', payload: {} });
      assertFrame(codec, r, { ref: r.ref, topic: 'room:forbidden', event: 'phx_reply', payload: error({ reason: 'unmatched topic' }) });
    });

    wireTest('join of an unrouted topic: error unmatched topic, join_ref null', async (c) => {
      const { ref, reply } = await c.join('lobby:1', {});
      assertFrame(codec, reply, { join_ref: null, ref, topic: 'lobby:1', event: 'phx_reply', payload: error({ reason: 'unmatched topic' }) });
    });

    wireTest('push to a topic not joined: error unmatched topic, join_ref null', async (c) => {
      const ref = c.send({ join_ref: codec === 'v2' ? '77' : undefined, topic: 'room:nobody', event: 'ping', payload: { x: 1 } });
      assertFrame(codec, await c.reply(ref), { join_ref: null, ref, topic: 'room:nobody', event: 'phx_reply', payload: error({ reason: 'unmatched topic' }) });
    });

    wireTest('ping replies ok with the payload unchanged', async (c) => {
      const { joinRef } = await c.join('room:ping');
      const payload = { s: 'héllo ✓', n: -1.5, arr: [1, 'two', { three: 3 }], nil: null, t: true };
      const ref = c.send({ join_ref: joinRef ?? undefined, topic: 'room:ping', event: 'ping', payload });
      assertFrame(codec, await c.reply(ref), { join_ref: joinRef, ref, topic: 'room:ping', event: 'phx_reply', payload: ok(payload) });
    });

    wireTest('push_me: push "pushed" with the payload, then reply ok {}', async (c) => {
      const { joinRef } = await c.join('room:push');
      const ref = c.send({ join_ref: joinRef ?? undefined, topic: 'room:push', event: 'push_me', payload: { k: 'v' } });
      const first = await c.next((m) => m.topic === 'room:push', 'pushed');
      const second = await c.next((m) => m.topic === 'room:push', 'push_me reply');
      assertFrame(codec, first, { join_ref: joinRef, ref: null, topic: 'room:push', event: 'pushed', payload: { k: 'v' } });
      assertFrame(codec, second, { join_ref: joinRef, ref, topic: 'room:push', event: 'phx_reply', payload: ok({}) });
    });

    wireTest('async_reply replies ok with the payload later, with the original ref', async (c) => {
      const { joinRef } = await c.join('room:async');
      const t0 = Date.now();
      const ref = c.send({ join_ref: joinRef ?? undefined, topic: 'room:async', event: 'async_reply', payload: { later: 1 } });
      const r = await c.reply(ref);
      assert.ok(Date.now() - t0 >= 40, `replied after ${Date.now() - t0} ms, expected >= 50 ms`);
      assertFrame(codec, r, { join_ref: joinRef, ref, topic: 'room:async', event: 'phx_reply', payload: ok({ later: 1 }) });
    });

    wireTest('shout broadcasts to every subscriber, sender included', async (c, ctx) => {
      const other = await ctx.raw({ codec: codec === 'v2' ? 'v1' : 'v2' });
      await c.join('room:shout');
      await other.join('room:shout');
      c.send({ topic: 'room:shout', event: 'shout', payload: { msg: 'hi' } });
      const mine = await c.next((m) => m.event === 'shout', 'own shout');
      assertFrame(codec, mine, { join_ref: null, ref: null, topic: 'room:shout', event: 'shout', payload: { msg: 'hi' } });
      const theirs = await other.next((m) => m.event === 'shout', 'shout on the other connection');
      assert.deepEqual(theirs.payload, { msg: 'hi' });
      assert.equal(theirs.ref, null);
    });

    wireTest('shout_from reaches the others but not the sender', async (c, ctx) => {
      const other = await ctx.raw({ codec });
      const { joinRef } = await c.join('room:from');
      await other.join('room:from');
      c.send({ join_ref: joinRef ?? undefined, topic: 'room:from', event: 'shout_from', payload: { msg: 'x' } });
      const theirs = await other.next((m) => m.event === 'shout', 'shout on the other connection');
      assertFrame(codec, theirs, { join_ref: null, ref: null, topic: 'room:from', event: 'shout', payload: { msg: 'x' } });
      assert.equal(await c.nothing((m) => m.event === 'shout', 300), null, 'sender must not get its broadcast_from');
    });

    wireTest('boom: phx_error {reason: channel_crash}; connection and other channels keep working', async (c) => {
      const a = await c.join('room:crash');
      const b = await c.join('room:survivor');
      c.send({ join_ref: a.joinRef ?? undefined, topic: 'room:crash', event: 'boom', payload: {} });
      const err = await c.next((m) => m.event === 'phx_error', 'phx_error');
      assertFrame(codec, err, { join_ref: a.joinRef, ref: a.joinRef, topic: 'room:crash', event: 'phx_error', payload: { reason: 'channel_crash' } });
      const hb = await c.heartbeat();
      assert.deepEqual(hb.payload, ok({}));
      const pong = await c.call({ join_ref: b.joinRef ?? undefined, topic: 'room:survivor', event: 'ping', payload: { still: 'alive' } });
      assertFrame(codec, pong, { join_ref: b.joinRef, ref: pong.ref, topic: 'room:survivor', event: 'phx_reply', payload: ok({ still: 'alive' }) });
      // the crashed channel is forgotten (never restarted), so the topic can be joined again
      const again = await c.join('room:crash');
      assert.deepEqual(again.reply.payload, ok({ joined: 'room:crash', params: {} }));
    });

    wireTest('stop_me: phx_close {} for the instance', async (c) => {
      const { joinRef } = await c.join('room:stop');
      c.send({ join_ref: joinRef ?? undefined, topic: 'room:stop', event: 'stop_me', payload: {} });
      const close = await c.next((m) => m.event === 'phx_close', 'phx_close');
      assertFrame(codec, close, { join_ref: joinRef, ref: joinRef, topic: 'room:stop', event: 'phx_close', payload: {} });
      assert.ok(c.isOpen, 'connection stays open');
      const r = await c.call({ topic: 'room:stop', event: 'ping', payload: {} });
      assert.deepEqual(r.payload, error({ reason: 'unmatched topic' }), 'stopped channel is gone');
    });

    wireTest('assigns replies with the connect user_id', async (c) => {
      await c.join('room:assigns');
      const r = await c.call({ topic: 'room:assigns', event: 'assigns', payload: {} });
      assert.deepEqual(r.payload, ok({ user_id: `u-${codec}` }));
    });

    wireTest('phx_leave: ok reply, then phx_close', async (c) => {
      const { joinRef } = await c.join('room:leave');
      const ref = c.send({ join_ref: joinRef ?? undefined, topic: 'room:leave', event: 'phx_leave', payload: {} });
      const first = await c.next((m) => m.topic === 'room:leave', 'leave reply');
      const second = await c.next((m) => m.topic === 'room:leave', 'phx_close after leave');
      assertFrame(codec, first, { join_ref: joinRef, ref, topic: 'room:leave', event: 'phx_reply', payload: ok({}) });
      assertFrame(codec, second, { join_ref: joinRef, ref: joinRef, topic: 'room:leave', event: 'phx_close', payload: {} });
    });
  });
}
