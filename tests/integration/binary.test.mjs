// V2 binary frames: raw bytes travel both ways through the stock client
// (ArrayBuffer payloads), broadcasts of bytes reach V2 WebSocket subscribers
// as binary frames while V1 and long-poll subscribers (which cannot carry
// bytes) are skipped, and malformed binary frames close only their own
// connection. (A binary push *from* a long-poll client is not tested: its
// reply cannot be encoded for long-poll.)
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  useServer, phxJoin, outcome, nextEvent, eventually, logLines, sleep, scaled,
} from './support.mjs';

const bytesOf = (buffer) => Buffer.from(new Uint8Array(buffer));

/** A client push in the binary layout: kind 0, lengths, fields, payload. */
function binaryPush({ joinRef = '', ref = '', topic, event, payload }) {
  const fields = [joinRef, ref, topic, event].map((f) => Buffer.from(f));
  return Buffer.concat([Buffer.from([0, ...fields.map((f) => f.length)]), ...fields, payload]);
}

describe('binary payloads (V2)', () => {
  const server = useServer();

  server.test('ping with bytes replies with the same bytes: zeros, invalid UTF-8, empty', async (ctx) => {
    const socket = await ctx.phx();
    const { channel, status } = await phxJoin(socket, 'room:bytes');
    assert.equal(status, 'ok');
    const samples = [Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x00]), Buffer.alloc(0)];
    for (let i = 0; i < 20; ++i) samples.push(crypto.randomBytes(1 + Math.floor(Math.random() * 300)));
    for (const sample of samples) {
      const buffer = sample.buffer.slice(sample.byteOffset, sample.byteOffset + sample.length);
      const r = await outcome(channel.push('ping', buffer), 'binary ping');
      assert.equal(r.status, 'ok');
      assert.ok(r.response instanceof ArrayBuffer, 'the reply carries an ArrayBuffer');
      assert.deepEqual(bytesOf(r.response), sample);
    }
    // JSON still works on the same channel.
    assert.deepEqual((await outcome(channel.push('ping', { n: 1 }))).response, { n: 1 });
  });

  server.test('a shout of bytes reaches V2 subscribers as bytes; V1 is skipped, the broadcaster unharmed', async (ctx) => {
    const alice = await ctx.phx();
    const bob = await ctx.phx();
    const a = (await phxJoin(alice, 'room:bin-shout')).channel;
    const b = (await phxJoin(bob, 'room:bin-shout')).channel;
    const v1 = await ctx.raw({ codec: 'v1' });
    await v1.join('room:bin-shout');
    const payload = Buffer.from([1, 2, 3, 0, 255]);
    const got = nextEvent(b, 'shout');
    const mine = nextEvent(a, 'shout');
    a.push('shout', payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length));
    assert.deepEqual(bytesOf(await got), payload);
    assert.deepEqual(bytesOf(await mine), payload);
    await eventually(() => logLines(ctx.server, /skipping v1_json subscribers/) >= 1, 3000,
                     'the skip is logged');
    // The V1 client got nothing, and still works.
    await v1.nothing((m) => m.event === 'shout', scaled(300, 1000));
    assert.equal((await v1.call({ topic: 'room:bin-shout', event: 'ping', payload: { v: 1 } })).payload.status, 'ok');
    // The broadcaster goes on with JSON.
    const json = nextEvent(b, 'shout');
    a.push('shout', { text: 'after' });
    assert.deepEqual(await json, { text: 'after' });
  });

  server.test('a shout of bytes reaches V2 WebSocket subscribers; long-poll subscribers are skipped (logged), stay subscribed', async (ctx) => {
    const alice = await ctx.phx();
    const bob = await ctx.phx();
    const a = (await phxJoin(alice, 'room:bin-lp')).channel;
    const b = (await phxJoin(bob, 'room:bin-lp')).channel;
    // Long-poll carries text only: a raw long-poll client sees every frame.
    const carol = await ctx.lp();
    const { joinRef } = await carol.join('room:bin-lp');
    const payload = Buffer.from([0, 1, 2, 0xc3, 0x28, 255]);
    const got = nextEvent(b, 'shout');
    const mine = nextEvent(a, 'shout');
    a.push('shout', payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length));
    assert.deepEqual(bytesOf(await got), payload);
    assert.deepEqual(bytesOf(await mine), payload);
    await eventually(() => logLines(ctx.server, /room:bin-lp.*cannot carry binary payloads/) >= 1, 3000,
                     'the long-poll skip is logged');
    assert.equal(logLines(ctx.server, /room:bin-lp.*cannot carry binary payloads/), 1, 'one log line per broadcast');
    // The broadcaster is unharmed.
    assert.deepEqual((await outcome(a.push('ping', { after: 'bytes' }))).response, { after: 'bytes' });
    // The long-poll client got nothing, is still subscribed and gets the
    // next (JSON) shout, as the first shout it ever sees.
    await carol.nothing((m) => m.event === 'shout', scaled(300, 1000));
    const json = nextEvent(b, 'shout');
    a.push('shout', { text: 'after' });
    assert.deepEqual((await carol.next((m) => m.event === 'shout', 'the JSON shout')).payload, { text: 'after' });
    assert.deepEqual(await json, { text: 'after' });
    assert.deepEqual(carol.all.filter((m) => m.event === 'shout').map((m) => m.payload), [{ text: 'after' }]);
    assert.ok(carol.all.every((m) => !m.undecodable), 'every long-poll message is a V2 JSON frame');
    assert.equal((await carol.call({ join_ref: joinRef, topic: 'room:bin-lp', event: 'ping', payload: { c: 1 } })).payload.status, 'ok');
    assert.ok(carol.isOpen);
  });

  server.test('a raw binary push gets a binary reply frame', async (ctx) => {
    const c = await ctx.raw();
    await c.join('room:raw-bin', {}, { joinRef: 'j1' });
    const replies = new Promise((resolve) => {
      c.ws.on('message', (data, isBinary) => { if (isBinary) resolve(Buffer.from(data)); });
    });
    c.ws.send(binaryPush({ joinRef: 'j1', ref: 'r9', topic: 'room:raw-bin', event: 'ping',
                           payload: Buffer.from('efg') }), { binary: true });
    const frame = await replies;
    // kind 1, join_ref "j1", ref "r9", topic, status "ok", then the bytes.
    assert.deepEqual(frame, Buffer.concat([Buffer.from([1, 2, 2, 12, 2]), Buffer.from('j1r9room:raw-binokefg')]));
  });

  server.test('malformed binary frames close with 1007; V1 binary with 1003; others unaffected', async (ctx) => {
    const bystander = await ctx.raw();
    const bad = await ctx.raw();
    bad.ws.send(Buffer.from([1, 0, 0, 0, 0]), { binary: true }); // kind 1 from a client
    assert.equal((await bad.waitClose()).code, 1007);
    const short = await ctx.raw();
    short.ws.send(Buffer.from([0, 9, 9, 9, 9, 1]), { binary: true }); // lengths past the end
    assert.equal((await short.waitClose()).code, 1007);
    const v1 = await ctx.raw({ codec: 'v1' });
    v1.ws.send(binaryPush({ topic: 'room:x', event: 'ping', payload: Buffer.from('a') }), { binary: true });
    assert.equal((await v1.waitClose()).code, 1003);
    await sleep(10);
    assert.equal((await bystander.heartbeat()).payload.status, 'ok');
  });
});
