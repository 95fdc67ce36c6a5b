// POST /api/broadcast: endpoint broadcasts from outside, handle_out filtering,
// and input validation.
import assert from 'node:assert/strict';
import { useServer, phxJoin, nextEvent, collect, outcome, sleep } from './support.mjs';

const server = useServer();

server.test('202, and the broadcast reaches V2 (phoenix and raw) and V1 subscribers', async ({ phx, raw, post }) => {
  const s = await phx();
  const { channel } = await phxJoin(s, 'room:api');
  const v2 = await raw();
  await v2.join('room:api');
  const v1 = await raw({ codec: 'v1' });
  await v1.join('room:api');
  const viaClient = nextEvent(channel, 'news');
  const res = await post({ topic: 'room:api', event: 'news', payload: { headline: 'hi', n: [1, 2] } });
  assert.equal(res.status, 202, res.text);
  assert.deepEqual(await viaClient, { headline: 'hi', n: [1, 2] });
  const f2 = await v2.next((m) => m.event === 'news', 'news on raw V2');
  assert.deepEqual(f2.raw, [null, null, 'room:api', 'news', { headline: 'hi', n: [1, 2] }]);
  const f1 = await v1.next((m) => m.event === 'news', 'news on raw V1');
  assert.deepEqual(f1.raw, { topic: 'room:api', event: 'news', payload: { headline: 'hi', n: [1, 2] }, ref: null });
});

server.test('a broadcast posted as soon as the join reply is read reaches the new subscriber', async ({ raw, post }) => {
  // Phoenix subscribes before it replies: "ok" on the wire means subscribed.
  for (let i = 0; i < 40; i++) {
    const c = await raw();
    await c.join(`room:race${i}`);
    const res = await post({ topic: `room:race${i}`, event: 'first', payload: { i } });
    assert.equal(res.status, 202, res.text);
    await c.next((m) => m.event === 'first', `the broadcast right after join #${i}`);
    c.terminate();
  }
});

server.test('a broadcast reaches only subscribers of its topic', async ({ raw, post }) => {
  const a = await raw();
  await a.join('room:a');
  const b = await raw();
  await b.join('room:b');
  assert.equal((await post({ topic: 'room:a', event: 'only_a', payload: {} })).status, 202);
  await a.next((m) => m.event === 'only_a', 'only_a on room:a');
  assert.equal(await b.nothing((m) => m.event === 'only_a', 300), null);
});

server.test('a broadcast to a topic nobody joined is still accepted (202)', async ({ post }) => {
  const res = await post({ topic: 'room:empty', event: 'e', payload: { x: 1 } });
  assert.equal(res.status, 202, res.text);
});

server.test('filtered: handle_out skips skip_user and adds seen_by for each other subscriber', async ({ phx, raw, post }) => {
  const users = ['alice', 'bob', 'carol'];
  const channels = {};
  for (const u of users) {
    const s = await phx({ params: { user_id: u } });
    channels[u] = (await phxJoin(s, 'room:filter')).channel;
  }
  const got = Object.fromEntries(users.map((u) => [u, collect(channels[u], 'filtered')]));
  const raw2 = await raw({ params: { user_id: 'dan' } });
  const { joinRef } = await raw2.join('room:filter');

  const res = await post({ topic: 'room:filter', event: 'filtered', payload: { skip_user: 'bob', text: 't' } });
  assert.equal(res.status, 202, res.text);
  // on the wire it is a push of the channel: [JR, null, T, "filtered", payload + seen_by]
  const f = await raw2.next((m) => m.event === 'filtered', 'filtered on raw V2');
  assert.deepEqual(f.raw, [joinRef, null, 'room:filter', 'filtered', { skip_user: 'bob', text: 't', seen_by: 'dan' }]);
  // a ping round-trip per user orders the check after any delivery
  for (const u of users) await outcome(channels[u].push('ping', {}));
  await sleep(100);
  assert.deepEqual(got.alice, [{ skip_user: 'bob', text: 't', seen_by: 'alice' }]);
  assert.deepEqual(got.carol, [{ skip_user: 'bob', text: 't', seen_by: 'carol' }]);
  assert.deepEqual(got.bob, []);
});

server.test('shout broadcasts are not intercepted (no seen_by)', async ({ raw }) => {
  const c = await raw({ params: { user_id: 'zed' } });
  await c.join('room:plain');
  c.send({ topic: 'room:plain', event: 'shout', payload: { m: 1 } });
  const f = await c.next((m) => m.event === 'shout', 'shout');
  assert.deepEqual(f.raw, [null, null, 'room:plain', 'shout', { m: 1 }]);
});

const bad = {
  'malformed JSON': '{"topic": "room:1", "event": ',
  'a JSON array': JSON.stringify(['room:1', 'e', {}]),
  'missing topic': JSON.stringify({ event: 'e', payload: {} }),
  'missing event': JSON.stringify({ topic: 'room:1', payload: {} }),
  'missing payload': JSON.stringify({ topic: 'room:1', event: 'e' }),
  'non-string topic': JSON.stringify({ topic: 1, event: 'e', payload: {} }),
  'non-string event': JSON.stringify({ topic: 'room:1', event: null, payload: {} }),
  'non-object payload': JSON.stringify({ topic: 'room:1', event: 'e', payload: [1, 2] }),
  'empty body': '',
  'a reserved phx: topic': JSON.stringify({ topic: 'phx:presence', event: 'heartbeat', payload: {} }),
};
for (const [what, body] of Object.entries(bad)) {
  server.test(`400 with a JSON error on ${what}; nothing is broadcast`, async ({ raw, post }) => {
    const c = await raw();
    await c.join('room:1');
    const res = await post(body);
    assert.equal(res.status, 400, `status ${res.status}: ${res.text}`);
    assert.ok(res.json !== undefined && typeof res.json === 'object' && res.json !== null,
      `body must be a JSON object: ${JSON.stringify(res.text)}`);
    assert.equal(await c.nothing((m) => m.event === 'e' || m.ref === null, 200), null, 'nothing may be delivered');
  });
}
