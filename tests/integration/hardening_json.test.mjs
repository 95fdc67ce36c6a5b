// Hardening: how deep a client's JSON may nest (--max-json-depth, default 64).
// A value in any slot of a frame may nest N levels (the frame's own array or
// object does not count); one level more closes the connection with 1007 and
// one log line. POST /api/broadcast refuses a deeper payload with 400. Every
// test checks afterwards that a client joined before the attack still gets
// replies and that the server is alive.
import { describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, joinBystander, logLines, eventually, sleep, SANITIZED,
  destroyRawConnections,
} from './support.mjs';

afterEach(destroyRawConnections);

// ---- deep values as JSON text ------------------------------------------------

/** n nested arrays: [[[...]]] (depth n). */
const arrays = (n) => '['.repeat(n) + ']'.repeat(n);
/** n nested objects: {"a":{"a":...{"a":1}}} (depth n). */
const objects = (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
/** n levels alternating object and array: {"k":[{"k":[...]}]} (depth n). */
const mixed = (n) => {
  let open = '';
  let close = '';
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) { open += '{"k":'; close = `}${close}`; } else { open += '['; close = `]${close}`; }
  }
  return `${open}"leaf"${close}`;
};
/** Depth of a parsed value (a scalar is 0), counted without recursion. */
function depth(v) {
  let max = 0;
  const stack = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    max = Math.max(max, d);
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return max;
}
const shapes = { arrays, objects, mixed };
// The builders really nest as many levels as asked.
for (const [name, f] of Object.entries(shapes)) {
  for (const n of [1, 8, 9, 64, 65])
    if (depth(JSON.parse(f(n))) !== n) throw new Error(`${name}(${n}) has depth ${depth(JSON.parse(f(n)))}`);
}

const ok = (response) => ({ status: 'ok', response });

// A connection sending `text` is closed with 1007, and the server logs
// exactly one line about it.
async function refused(ctx, text, { codec = 'v2', ms = 10_000 } = {}) {
  const c = await ctx.raw({ codec });
  const before = logLines(ctx.server, /1007/);
  c.sendRaw(text);
  const { code } = await c.waitClose(ms);
  assert.equal(code, 1007, `close code ${code} (expected 1007)`);
  await eventually(() => logLines(ctx.server, /1007/) > before, 3000, 'a log line about the 1007 close');
  await sleep(100);
  assert.equal(logLines(ctx.server, /1007/) - before, 1, 'exactly one log line per refused frame');
}

// The server's answer to a V2 ping carrying `payloadText` on a joined channel.
async function pingV2(c, topic, joinRef, payloadText, ref) {
  c.sendRaw(`[${JSON.stringify(joinRef)},${JSON.stringify(ref)},${JSON.stringify(topic)},"ping",${payloadText}]`);
  return c.reply(ref, 10_000);
}

describe('JSON depth on the WebSocket (default 64)', () => {
  const server = useServer();

  for (const [name, f] of Object.entries(shapes)) {
    server.test(`ping payload of 64 nested ${name} is echoed; 65 closes with 1007`, async (ctx) => {
      const bystander = await joinBystander(ctx);
      const c = await ctx.raw();
      const { joinRef } = await c.join('room:x');
      const r = await pingV2(c, 'room:x', joinRef, f(64), 'p64');
      assert.deepEqual(r.raw, [joinRef, 'p64', 'room:x', 'phx_reply', ok(JSON.parse(f(64)))]);
      assert.ok(c.isOpen);
      // the same frame one level deeper, on a joined channel of its own
      const d = await ctx.raw();
      const j = await d.join('room:x');
      const before = logLines(ctx.server, /1007/);
      d.sendRaw(`[${JSON.stringify(j.joinRef)},"p65","room:x","ping",${f(65)}]`);
      assert.equal((await d.waitClose(10_000)).code, 1007);
      assert.equal(d.all.filter((m) => m.ref === 'p65').length, 0, 'no reply to the refused frame');
      await eventually(() => logLines(ctx.server, /1007/) > before, 3000, 'the 1007 log line');
      await sleep(100);
      assert.equal(logLines(ctx.server, /1007/) - before, 1, 'exactly one log line');
      // the first connection is untouched
      const again = await c.call({ join_ref: joinRef, topic: 'room:x', event: 'ping', payload: { still: 1 } });
      assert.deepEqual(again.payload, ok({ still: 1 }));
      await bystander.check();
    });
  }

  server.test('phx_join params of 64 levels are accepted; 65 closes with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await ctx.raw();
    c.sendRaw(`["j1","j1","room:deepjoin","phx_join",${mixed(64)}]`);
    const r = await c.reply('j1', 10_000);
    assert.deepEqual(r.raw, ['j1', 'j1', 'room:deepjoin', 'phx_reply',
      ok({ joined: 'room:deepjoin', params: JSON.parse(mixed(64)) })]);
    await refused(ctx, `["j2","j2","room:deepjoin2","phx_join",${objects(65)}]`);
    await bystander.check();
  });

  server.test('a heartbeat ref of 64 levels is echoed; 65 closes with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await ctx.raw();
    const ref = JSON.parse(arrays(64));
    c.sendRaw(`[null,${arrays(64)},"phoenix","heartbeat",{}]`);
    const r = await c.next((m) => m.event === 'phx_reply' && m.topic === 'phoenix', 'heartbeat reply', 10_000);
    assert.deepEqual(r.raw, [null, ref, 'phoenix', 'phx_reply', ok({})]);
    await refused(ctx, `[null,${arrays(65)},"phoenix","heartbeat",{}]`);
    await bystander.check();
  });

  server.test('a join_ref of 65 levels closes with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    await refused(ctx, `[${objects(65)},"h1","phoenix","heartbeat",{}]`);
    await bystander.check();
  });

  server.test('on an unmatched topic: 64 levels get the usual reply, 65 close with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await ctx.raw();
    c.sendRaw(`[null,"u64","nomatch:x","ping",${mixed(64)}]`);
    const r = await c.reply('u64', 10_000);
    assert.equal(r.topic, 'nomatch:x');
    assert.equal(r.payload.status, 'error', JSON.stringify(r.raw));
    assert.ok(c.isOpen);
    await refused(ctx, `[null,"u65","nomatch:x","ping",${mixed(65)}]`);
    await bystander.check();
  });

  server.test('V1 object frames: 64 levels are echoed, 65 close with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await ctx.raw({ codec: 'v1' });
    await c.join('room:v1deep');
    c.sendRaw(`{"topic":"room:v1deep","event":"ping","payload":${objects(64)},"ref":"v64"}`);
    const r = await c.reply('v64', 10_000);
    assert.deepEqual(r.raw, { topic: 'room:v1deep', event: 'phx_reply', payload: ok(JSON.parse(objects(64))), ref: 'v64' });
    await refused(ctx, `{"topic":"room:v1deep","event":"ping","payload":${arrays(65)},"ref":"v65"}`, { codec: 'v1' });
    await refused(ctx, `{"topic":"phoenix","event":"heartbeat","payload":{},"ref":${mixed(65)}}`, { codec: 'v1' });
    await bystander.check();
  });

  server.test('the original attack: a heartbeat ref of 100,000 nested arrays (200 KB) closes with 1007', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const text = `[null,${'['.repeat(100_000)}${']'.repeat(100_000)},"phoenix","heartbeat",{}]`;
    assert.ok(text.length > 200_000 && text.length < 1 << 20);
    await refused(ctx, text, { ms: 15_000 });
    // and once more on a joined channel's payload
    await refused(ctx, `[null,"x","room:x","ping",${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]`, { ms: 15_000 });
    await bystander.check();
  }, { timeout: SANITIZED ? 60_000 : 20_000 });
});

describe('JSON depth on POST /api/broadcast (default 64)', () => {
  const server = useServer();

  // The body's own object does not count: {"payload": P} with P of `n` levels.
  const body = (inner) => `{"topic":"room:x","event":"e","payload":{"a":${inner}}}`;

  server.test('a payload of 64 levels is accepted (202) and delivered', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await ctx.raw();
    await sub.join('room:x');
    for (const [name, f] of Object.entries(shapes)) {
      const res = await ctx.post(body(f(63)));
      assert.equal(res.status, 202, `${name}: ${res.status} ${res.text}`);
      const got = await sub.next((m) => m.event === 'e', `the broadcast (${name})`, 10_000);
      assert.deepEqual(got.payload, { a: JSON.parse(f(63)) });
      assert.equal(depth(got.payload), 64);
    }
    await bystander.check();
  });

  server.test('a payload of 65 levels or the 100,000-deep body is refused with 400 {error}; nothing is delivered', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const sub = await ctx.raw();
    await sub.join('room:x');
    const cases = {
      '65 arrays': body(arrays(64)),
      '65 objects': body(objects(64)),
      '65 mixed': body(mixed(64)),
      '100,000 arrays': body('['.repeat(100_000) + ']'.repeat(100_000)),
      '100,000 arrays as the whole body': '['.repeat(100_000) + ']'.repeat(100_000),
    };
    for (const [what, b] of Object.entries(cases)) {
      const res = await ctx.post(b);
      assert.equal(res.status, 400, `${what}: status ${res.status} ${res.text.slice(0, 200)}`);
      assert.ok(res.json && typeof res.json === 'object' && 'error' in res.json,
        `${what}: body must be a JSON object with "error": ${JSON.stringify(res.text.slice(0, 200))}`);
    }
    assert.equal(await sub.nothing((m) => m.event === 'e', 300), null, 'nothing may be delivered');
    await bystander.check();
  });
});

describe('--max-json-depth 8', () => {
  const server = useServer(['--max-json-depth', '8']);

  server.test('8 levels are accepted, 9 are refused (WebSocket 1007, HTTP 400)', async (ctx) => {
    const bystander = await joinBystander(ctx);
    const c = await ctx.raw();
    const { joinRef } = await c.join('room:x');
    for (const [name, f] of Object.entries(shapes)) {
      const r = await pingV2(c, 'room:x', joinRef, f(8), `p8${name}`);
      assert.deepEqual(r.payload, ok(JSON.parse(f(8))), name);
    }
    for (const f of Object.values(shapes))
      await refused(ctx, `[null,"p9","room:x","ping",${f(9)}]`);
    await refused(ctx, `{"topic":"room:x","event":"ping","payload":${objects(9)},"ref":"v9"}`, { codec: 'v1' });
    // HTTP: the payload itself at 8 and 9 levels
    const sub = await ctx.raw();
    await sub.join('room:x');
    const res8 = await ctx.post(`{"topic":"room:x","event":"e","payload":{"a":${arrays(7)}}}`);
    assert.equal(res8.status, 202, res8.text);
    assert.deepEqual((await sub.next((m) => m.event === 'e', 'the 8-level broadcast')).payload, { a: JSON.parse(arrays(7)) });
    const res9 = await ctx.post(`{"topic":"room:x","event":"e","payload":{"a":${arrays(8)}}}`);
    assert.equal(res9.status, 400, res9.text);
    assert.ok(res9.json && 'error' in res9.json, res9.text);
    assert.equal(await sub.nothing((m) => m.event === 'e', 300), null, 'the 9-level broadcast may not be delivered');
    assert.ok(c.isOpen);
    await bystander.check();
  });
});
