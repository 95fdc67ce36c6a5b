// Presence (Phoenix.Presence) on `presence:*` of phx-echo, single node, checked
// against the stock `Presence` class of the phoenix npm client: two users, one
// of them on two devices (two sockets, one user_id); closing tabs; update_meta
// as one changed meta; resynchronisation after a crash, a client reconnect and
// a server-side close. One test checks the raw frames (presence_state right
// after the join reply, presence_diff shapes, list/untrack replies, "anon").
//
// The channel tracks its socket's `user_id` (connect param, "anon" without
// one) with meta {device: <join param "device" or null>}; the server adds a
// unique `phx_ref` to every meta, and `phx_ref_prev` after an update. Diffs
// may be merged, so the tests wait for the client state they expect (bounded)
// rather than for a given number of diffs.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { Presence } from 'phoenix';
import {
  useServer, outcome, eventually, withTimeout, sleep, scaled, WAIT,
} from './support.mjs';

// Bound of waiting for a presence change to reach a client (diffs may be
// held back a little to be merged).
const PRESENCE_WAIT = scaled(5000, 10_000);
// How long to watch for something that must NOT happen.
const QUIET = scaled(500, 1000);

// ---- helpers ---------------------------------------------------------------------

const clone = (x) => (x === undefined ? null : JSON.parse(JSON.stringify(x)));
const byJson = (a, b) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
const strip = ({ phx_ref, phx_ref_prev, ...rest }) => rest;   // eslint-disable-line no-unused-vars

/** {key: [meta, ...]} of a Presence (its current list). */
const metasOf = (presence) => Object.fromEntries(presence.list((key, p) => [key, clone(p.metas)]));

/** {key: {metas}} (a presence_state, a list reply) as {key: [meta, ...]}. */
const metasOfState = (state) => Object.fromEntries(Object.entries(state).map(([k, p]) => [k, clone(p.metas)]));

/** {key: [meta without the refs, ...]}, metas sorted: what a state means. */
const view = (metas) => Object.fromEntries(
  Object.entries(metas).map(([k, ms]) => [k, ms.map(strip).sort(byJson)]));

/** Metas sorted by phx_ref: for comparing two lists including their refs. */
const byRef = (metas) => Object.fromEntries(
  Object.entries(metas).map(([k, ms]) => [k, [...ms].sort((a, b) => (a.phx_ref < b.phx_ref ? -1 : 1))]));

/** Every meta has a non-empty string phx_ref, all distinct; returns the refs. */
function assertRefs(metas, what) {
  const refs = [];
  for (const [key, ms] of Object.entries(metas)) {
    assert.ok(Array.isArray(ms) && ms.length > 0, `${what}: ${key} has no metas: ${JSON.stringify(metas)}`);
    for (const m of ms) {
      assert.equal(typeof m.phx_ref, 'string', `${what}: phx_ref of ${key}: ${JSON.stringify(m)}`);
      assert.ok(m.phx_ref.length > 0, `${what}: empty phx_ref of ${key}`);
      refs.push(m.phx_ref);
    }
  }
  assert.equal(new Set(refs).size, refs.length, `${what}: duplicate phx_ref in ${JSON.stringify(metas)}`);
  return refs;
}

/** The one meta of key with device `device` (fails unless exactly one). */
function metaOf(metas, key, device) {
  const found = (metas[key] ?? []).filter((m) => m.device === device);
  assert.equal(found.length, 1, `exactly one ${key}/${device} meta in ${JSON.stringify(metas)}`);
  return found[0];
}

/**
 * Waits until the client's Presence lists `expected` ({key: [meta without
 * refs]}), with unique refs; returns its metas. Fails with the last list.
 */
async function settle(client, expected, what) {
  const want = view(expected);
  const deadline = Date.now() + PRESENCE_WAIT;
  for (;;) {
    const metas = metasOf(client.presence);
    if (isDeepStrictEqual(view(metas), want)) {
      assertRefs(metas, `${what} (${client.name})`);
      return metas;
    }
    if (Date.now() > deadline) {
      assert.fail(`${what}: ${client.name} lists ${JSON.stringify(metas)} after ${PRESENCE_WAIT} ms, `
        + `expected ${JSON.stringify(want)} (without refs); presence_state frames: ${JSON.stringify(client.states)}`);
    }
    await sleep(25);
  }
}

/**
 * Joins `topic` on a phoenix socket with a stock Presence on the channel.
 * Records the Presence callbacks (`log.joins`, `log.leaves`, and the list
 * at every onSync in `log.syncs`) and every presence_state frame of the
 * topic (`states`: {join_ref, ref, payload}). Resolves once the join reply
 * and the first presence_state were handled.
 */
async function joinPresence(socket, name, topic, params = {}) {
  const channel = socket.channel(topic, params);
  const presence = new Presence(channel);
  const log = { joins: [], leaves: [], syncs: [] };
  presence.onJoin((key, current, joined) => log.joins.push(clone({ key, current: current ?? null, joined })));
  presence.onLeave((key, current, left) => log.leaves.push(clone({ key, current, left })));
  presence.onSync(() => log.syncs.push(metasOf(presence)));
  // Taken as decoded, before the channel: Presence.syncState changes the
  // payload it is given (socket.onMessage would see it changed).
  const states = [];
  const decode = socket.decode;
  socket.decode = (raw, callback) => decode.call(socket, raw, (m) => {
    if (m.topic === topic && m.event === 'presence_state')
      states.push(clone({ join_ref: m.join_ref, ref: m.ref, payload: m.payload }));
    callback(m);
  });
  const r = await outcome(channel.join(), `join ${topic} (${name})`);
  assert.equal(r.status, 'ok', `join ${topic} (${name}): ${JSON.stringify(r)}`);
  const client = { name, socket, channel, presence, log, states };
  await eventually(() => states.length >= 1 && !presence.inPendingSyncState(), WAIT,
    `presence_state after the join of ${topic} (${name})`);
  return client;
}

/** Pushes and asserts an ok reply; returns the response. */
async function ok(channel, event, payload = {}) {
  const r = await outcome(channel.push(event, payload), `${event} on ${channel.topic}`);
  assert.equal(r.status, 'ok', `${event} on ${channel.topic}: ${JSON.stringify(r)}`);
  return r.response;
}

/** The `list` reply of client's channel equals its Presence's list, refs included. */
async function assertListReply(client, what) {
  const reply = await ok(client.channel, 'list');
  for (const [key, p] of Object.entries(reply))
    assert.deepEqual(Object.keys(p), ['metas'], `${what}: list entry of ${key}: ${JSON.stringify(p)}`);
  assert.deepEqual(byRef(metasOfState(reply)), byRef(metasOf(client.presence)),
    `${what}: the list reply of ${client.name} differs from its Presence`);
  return reply;
}

/** Waits until the client has received `n` presence_state frames; checks the last one's join_ref. */
async function freshState(client, n, what) {
  await eventually(() => client.states.length >= n && !client.presence.inPendingSyncState(), PRESENCE_WAIT,
    `${what}: presence_state #${n} on ${client.name} (got ${client.states.length})`);
  const last = client.states[n - 1];
  assert.equal(last.join_ref, client.channel.joinRef(), `${what}: presence_state join_ref is the rejoin's`);
  assert.equal(last.ref, null, `${what}: presence_state ref`);
  return last;
}

// ---- tests ---------------------------------------------------------------------

describe('presence with the stock Presence class', () => {
  const server = useServer();

  server.test('two users, alice on two devices: every client lists both keys; a closed tab removes its meta, the last tab the key', async ({ phx }) => {
    const topic = 'presence:two-users';
    const phone = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/phone', topic, { device: 'phone' });
    const laptop = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/laptop', topic, { device: 'laptop' });
    // bob over long-poll: the same presences whatever the transport
    const bob = await joinPresence(await phx({ params: { user_id: 'bob' }, transport: 'longpoll' }), 'bob', topic, { device: 'desktop' });

    const everyone = {
      alice: [{ device: 'laptop' }, { device: 'phone' }],
      bob: [{ device: 'desktop' }],
    };
    const lists = [];
    for (const c of [phone, laptop, bob]) lists.push(await settle(c, everyone, 'all three joined'));
    // the same metas, refs included, on every client; no phx_ref_prev before an update
    for (const l of lists.slice(1)) assert.deepEqual(byRef(l), byRef(lists[0]), 'clients disagree on the refs');
    for (const ms of Object.values(lists[0]))
      for (const m of ms) assert.deepEqual(Object.keys(m).sort(), ['device', 'phx_ref'], JSON.stringify(m));
    const phoneRef = metaOf(lists[0], 'alice', 'phone').phx_ref;
    const laptopRef = metaOf(lists[0], 'alice', 'laptop').phx_ref;
    // each client's own presence_state already held itself
    assert.deepEqual(view(metasOfState(bob.states[0].payload)).bob, [{ device: 'desktop' }]);
    assert.ok(view(metasOfState(laptop.states[0].payload)).alice.some((m) => m.device === 'laptop'));
    for (const c of [phone, laptop, bob]) await assertListReply(c, 'all three joined');

    // a closed tab: only that meta leaves, the key stays
    bob.log.leaves.length = 0;
    phone.log.leaves.length = 0;
    laptop.socket.disconnect();
    const afterTab = { alice: [{ device: 'phone' }], bob: [{ device: 'desktop' }] };
    for (const c of [phone, bob]) {
      const l = await settle(c, afterTab, 'the laptop tab closed');
      assert.equal(metaOf(l, 'alice', 'phone').phx_ref, phoneRef, 'the phone meta is unchanged');
      assert.deepEqual(c.log.leaves, [{
        key: 'alice',
        current: { metas: [{ device: 'phone', phx_ref: phoneRef }] },
        left: { metas: [{ device: 'laptop', phx_ref: laptopRef }] },
      }], `onLeave on ${c.name}`);
      await assertListReply(c, 'the laptop tab closed');
    }

    // the last tab: the key leaves
    bob.log.leaves.length = 0;
    phone.socket.disconnect();
    await settle(bob, { bob: [{ device: 'desktop' }] }, 'the last alice tab closed');
    assert.deepEqual(bob.log.leaves, [{
      key: 'alice', current: { metas: [] }, left: { metas: [{ device: 'phone', phx_ref: phoneRef }] },
    }], 'onLeave on bob');
    const bobRef = metaOf(lists[0], 'bob', 'desktop').phx_ref;
    assert.deepEqual(await assertListReply(bob, 'the last alice tab closed'),
      { bob: { metas: [{ device: 'desktop', phx_ref: bobRef }] } });
  });

  server.test('update_meta: one changed meta (new phx_ref, phx_ref_prev), the key never leaves, onLeave never sees it empty', async ({ phx }) => {
    const topic = 'presence:update';
    const phone = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/phone', topic, { device: 'phone' });
    const laptop = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/laptop', topic, { device: 'laptop' });
    const bob = await joinPresence(await phx({ params: { user_id: 'bob' } }), 'bob', topic, { device: 'desktop' });
    const clients = [phone, laptop, bob];
    const before = await settle(bob, { alice: [{ device: 'laptop' }, { device: 'phone' }], bob: [{ device: 'desktop' }] }, 'joined');
    for (const c of [phone, laptop]) await settle(c, view(before), 'joined');
    const phoneMeta = metaOf(before, 'alice', 'phone');
    const laptopRef = metaOf(before, 'alice', 'laptop').phx_ref;
    for (const c of clients) { c.log.joins.length = 0; c.log.leaves.length = 0; c.log.syncs.length = 0; }

    // 1. no device given: the device stays, the rest is replaced
    assert.deepEqual(await ok(laptop.channel, 'update_meta', { status: 'away' }), {});
    const expected1 = { alice: [{ device: 'laptop', status: 'away' }, { device: 'phone' }], bob: [{ device: 'desktop' }] };
    let newRef;
    for (const c of clients) {
      const l = await settle(c, expected1, 'after update_meta {status: away}');
      const m = metaOf(l, 'alice', 'laptop');
      assert.deepEqual(metaOf(l, 'alice', 'phone'), phoneMeta, `${c.name}: the other device's meta is untouched`);
      assert.equal(m.phx_ref_prev, laptopRef, `${c.name}: phx_ref_prev is the old ref`);
      assert.notEqual(m.phx_ref, laptopRef, `${c.name}: the update has a new phx_ref`);
      assert.notEqual(m.phx_ref, phoneMeta.phx_ref);
      assert.deepEqual(Object.keys(m).sort(), ['device', 'phx_ref', 'phx_ref_prev', 'status']);
      if (newRef === undefined) newRef = m.phx_ref;
      assert.equal(m.phx_ref, newRef, `${c.name}: the same new ref on every client`);
    }

    // 2. a device given: it replaces the device too (and status is gone: replaced, not merged)
    assert.deepEqual(await ok(laptop.channel, 'update_meta', { device: 'tablet', mood: 'happy' }), {});
    const expected2 = { alice: [{ device: 'phone' }, { device: 'tablet', mood: 'happy' }], bob: [{ device: 'desktop' }] };
    for (const c of clients) {
      const l = await settle(c, expected2, 'after update_meta {device: tablet, mood: happy}');
      const m = metaOf(l, 'alice', 'tablet');
      assert.equal(m.phx_ref_prev, newRef, `${c.name}: phx_ref_prev is the first update's ref`);
      assert.ok(![newRef, laptopRef, phoneMeta.phx_ref].includes(m.phx_ref), `${c.name}: a fresh phx_ref`);
      await assertListReply(c, 'after two updates');
    }

    // 3. bob, on one device only: were the update a leave and then a join,
    // his key would vanish in between
    const bobRef = metaOf(before, 'bob', 'desktop').phx_ref;
    assert.deepEqual(await ok(bob.channel, 'update_meta', { status: 'busy' }), {});
    const expected3 = { ...expected2, bob: [{ device: 'desktop', status: 'busy' }] };
    for (const c of clients) {
      const m = metaOf(await settle(c, expected3, 'after bob\'s update_meta'), 'bob', 'desktop');
      assert.equal(m.phx_ref_prev, bobRef, `${c.name}: bob's phx_ref_prev`);
      assert.notEqual(m.phx_ref, bobRef);
    }

    // no client ever saw a key vanish or with the wrong number of metas
    await sleep(QUIET);   // late diffs, if any, must not change that either
    for (const c of clients) {
      assert.ok(c.log.syncs.length >= 3, `${c.name}: onSync after each update`);
      for (const s of c.log.syncs) {
        assert.ok(s.alice, `${c.name}: alice missing from a synced list: ${JSON.stringify(s)}`);
        assert.equal(s.alice.length, 2, `${c.name}: alice with ${s.alice.length} metas: ${JSON.stringify(s)}`);
        assert.equal(new Set(s.alice.map((m) => m.device)).size, 2, `${c.name}: a device twice: ${JSON.stringify(s)}`);
        assert.equal(s.bob && s.bob.length, 1, `${c.name}: bob missing or doubled in a synced list: ${JSON.stringify(s)}`);
      }
      assert.ok(c.log.leaves.filter((l) => l.key === 'alice').length >= 2, `${c.name}: onLeave for alice's old metas`);
      assert.ok(c.log.leaves.some((l) => l.key === 'bob'), `${c.name}: onLeave for bob's old meta`);
      for (const l of c.log.leaves) {
        assert.ok(['alice', 'bob'].includes(l.key), `${c.name}: onLeave of ${l.key}`);
        assert.ok(l.current.metas.length > 0, `${c.name}: onLeave with an empty current presence: ${JSON.stringify(l)}`);
        for (const m of l.left.metas)
          assert.ok([laptopRef, newRef, bobRef].includes(m.phx_ref), `${c.name}: onLeave of a meta not updated: ${JSON.stringify(l)}`);
      }
      assert.ok(c.log.joins.some((j) => j.key === 'alice' && j.joined.metas.some((m) => m.phx_ref === newRef)),
        `${c.name}: onJoin of the first update's meta: ${JSON.stringify(c.log.joins)}`);
      // (a late diff of an earlier join may show up too: only alice's joins count)
      for (const j of c.log.joins.filter((x) => x.key === 'alice')) {
        assert.ok(j.current && j.current.metas.length > 0, `${c.name}: an update seen as a fresh join: ${JSON.stringify(j)}`);
      }
      assert.deepEqual(view(metasOf(c.presence)), view(expected3));
    }
  });

  server.test('boom: the client rejoins and a fresh presence_state resynchronises it (new ref, no duplicates)', async ({ phx }) => {
    const topic = 'presence:boom';
    const phone = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/phone', topic, { device: 'phone' });
    const laptop = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/laptop', topic, { device: 'laptop' });
    const bob = await joinPresence(await phx({ params: { user_id: 'bob' } }), 'bob', topic, { device: 'desktop' });
    const everyone = { alice: [{ device: 'laptop' }, { device: 'phone' }], bob: [{ device: 'desktop' }] };
    const before = await settle(phone, everyone, 'joined');
    for (const c of [laptop, bob]) await settle(c, everyone, 'joined');
    const oldRef = metaOf(before, 'alice', 'phone').phx_ref;
    const laptopRef = metaOf(before, 'alice', 'laptop').phx_ref;
    const oldJoinRef = phone.channel.joinRef();
    bob.log.syncs.length = 0;

    const errored = withTimeout(new Promise((resolve) => phone.channel.onError(resolve)), WAIT, 'phx_error after boom');
    phone.channel.push('boom', {});
    await errored;
    const fresh = await freshState(phone, 2, 'rejoin after boom');
    assert.notEqual(phone.channel.joinRef(), oldJoinRef, 'the client rejoined with a new join_ref');
    const freshMetas = metasOfState(fresh.payload);
    assert.deepEqual(metaOf(freshMetas, 'alice', 'laptop').phx_ref, laptopRef, 'the fresh presence_state has the laptop');
    assert.ok(freshMetas.bob, 'the fresh presence_state has bob');

    for (const c of [phone, laptop, bob]) {
      const l = await settle(c, everyone, 'after the boom and the rejoin');
      const m = metaOf(l, 'alice', 'phone');
      assert.notEqual(m.phx_ref, oldRef, `${c.name}: the rejoined channel tracked anew`);
      assert.equal(metaOf(l, 'alice', 'laptop').phx_ref, laptopRef, `${c.name}: the laptop meta is untouched`);
      assert.ok(!JSON.stringify(l).includes(JSON.stringify(oldRef)), `${c.name}: the old ref is gone`);
      await assertListReply(c, 'after the rejoin');
    }
    // alice kept her laptop throughout: bob never lost the key
    for (const s of bob.log.syncs) assert.ok(s.alice && s.alice.length >= 1, `bob lost alice: ${JSON.stringify(s)}`);
    assert.equal(phone.states.length, 2, 'one presence_state per join');
    assert.deepEqual(await ok(phone.channel, 'ping', { after: 'boom' }), { after: 'boom' });
  });

  server.test('reconnect (disconnect, connect): the fresh presence_state drops who left meanwhile and adds who came', async ({ phx }) => {
    const topic = 'presence:reconnect';
    const alice = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice', topic, { device: 'phone' });
    const bob = await joinPresence(await phx({ params: { user_id: 'bob' } }), 'bob', topic, { device: 'desktop' });
    const both = { alice: [{ device: 'phone' }], bob: [{ device: 'desktop' }] };
    const before = await settle(alice, both, 'joined');
    await settle(bob, both, 'joined');
    const oldRef = metaOf(before, 'alice', 'phone').phx_ref;
    const bobRef = metaOf(before, 'bob', 'desktop').phx_ref;

    alice.socket.disconnect();
    await eventually(() => !alice.socket.isConnected(), WAIT, 'alice disconnected');
    await settle(bob, { bob: [{ device: 'desktop' }] }, 'alice gone');
    // meanwhile: bob leaves (a leave of the channel), carol comes
    await withTimeout(new Promise((resolve) => bob.channel.leave().receive('ok', resolve)), WAIT, 'bob leaves');
    const carol = await joinPresence(await phx({ params: { user_id: 'carol' } }), 'carol', topic, { device: 'tablet' });
    await settle(carol, { carol: [{ device: 'tablet' }] }, 'carol alone');
    // alice's client still lists the stale state
    assert.deepEqual(view(metasOf(alice.presence)), view(both));
    alice.log.joins.length = 0;
    alice.log.leaves.length = 0;

    alice.socket.connect();
    await freshState(alice, 2, 'rejoin after reconnect');
    const now = { alice: [{ device: 'phone' }], carol: [{ device: 'tablet' }] };
    for (const c of [alice, carol]) {
      const l = await settle(c, now, 'after the reconnect');
      assert.notEqual(metaOf(l, 'alice', 'phone').phx_ref, oldRef, `${c.name}: alice tracked anew`);
      await assertListReply(c, 'after the reconnect');
    }
    const leaves = alice.log.leaves.filter((l) => l.key === 'bob');
    assert.deepEqual(leaves, [{ key: 'bob', current: { metas: [] }, left: { metas: [{ device: 'desktop', phx_ref: bobRef }] } }],
      'onLeave of bob after the resync');
    assert.ok(alice.log.joins.some((j) => j.key === 'carol' && j.current === null), 'onJoin of carol after the resync');
    assert.equal(alice.states.length, 2, 'one presence_state per join');
  });

  server.test('the server closes the connection (users_socket disconnect): both tabs reconnect, rejoin and resynchronise', async ({ phx, post }) => {
    const topic = 'presence:server-close';
    const phone = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/phone', topic, { device: 'phone' });
    const laptop = await joinPresence(await phx({ params: { user_id: 'alice' } }), 'alice/laptop', topic, { device: 'laptop' });
    const bob = await joinPresence(await phx({ params: { user_id: 'bob' } }), 'bob', topic, { device: 'desktop' });
    const everyone = { alice: [{ device: 'laptop' }, { device: 'phone' }], bob: [{ device: 'desktop' }] };
    const before = await settle(bob, everyone, 'joined');
    for (const c of [phone, laptop]) await settle(c, everyone, 'joined');
    const oldRefs = before.alice.map((m) => m.phx_ref);
    const closes = [];
    for (const c of [phone, laptop]) c.socket.onClose((e) => closes.push([c.name, e.code]));

    const res = await post({ topic: 'users_socket:alice', event: 'disconnect', payload: {} });
    assert.equal(res.status, 202, res.text);
    await freshState(phone, 2, 'rejoin after the server closed');
    await freshState(laptop, 2, 'rejoin after the server closed');
    assert.deepEqual(closes.map(([n]) => n).sort(), ['alice/laptop', 'alice/phone'], `closes: ${JSON.stringify(closes)}`);
    for (const [, code] of closes) assert.equal(code, 1001);

    for (const c of [phone, laptop, bob]) {
      const l = await settle(c, everyone, 'after the reconnects');
      for (const m of l.alice) assert.ok(!oldRefs.includes(m.phx_ref), `${c.name}: stale meta ${JSON.stringify(m)}`);
      await assertListReply(c, 'after the reconnects');
    }
    assert.ok(bob.log.leaves.some((l) => l.key === 'alice'), 'bob saw the old metas leave');
    assert.deepEqual(await ok(phone.channel, 'ping', { back: true }), { back: true });
  });
});

describe('presence on the wire (raw frames)', () => {
  const server = useServer();

  server.test('presence_state after the join reply, diff shapes, list/untrack replies, leave, "anon" with device null, unique refs', async ({ raw }) => {
    const topic = 'presence:raw';
    const metaByRef = new Map();   // phx_ref -> the meta it names, across every frame seen
    const noteMetas = (state, what) => {
      for (const [key, p] of Object.entries(state)) {
        assert.deepEqual(Object.keys(p), ['metas'], `${what}: entry of ${key}: ${JSON.stringify(p)}`);
        assert.ok(Array.isArray(p.metas), `${what}: metas of ${key}`);
        for (const m of p.metas) {
          assert.equal(typeof m.phx_ref, 'string', `${what}: phx_ref in ${JSON.stringify(m)}`);
          assert.ok(m.phx_ref.length > 0);
          const seen = metaByRef.get(m.phx_ref);
          if (seen) assert.deepEqual({ key, m }, seen, `${what}: phx_ref ${m.phx_ref} names two different metas`);
          else metaByRef.set(m.phx_ref, clone({ key, m }));
        }
      }
    };
    const checkDiff = (msg, what) => {
      assert.deepEqual([msg.join_ref, msg.ref, msg.topic, msg.event], [null, null, topic, 'presence_diff'], `${what}: ${msg.text}`);
      assert.deepEqual(Object.keys(msg.payload).sort(), ['joins', 'leaves'], `${what}: diff keys: ${msg.text}`);
      noteMetas(msg.payload.joins, what);
      noteMetas(msg.payload.leaves, what);
      return msg.payload;
    };
    const isDiff = (pred) => (m) => m.topic === topic && m.event === 'presence_diff' && pred(m.payload);
    /** Joins and checks that the very next frame is the presence_state of this join. */
    const joinWithState = async (c, params, what) => {
      const { joinRef, ref, reply } = await c.join(topic, params);
      assert.equal(reply.payload.status, 'ok', `${what} join: ${reply.text}`);
      const state = await c.next((m) => m.topic === topic && m.event === 'presence_state', `${what}: presence_state`);
      assert.deepEqual([state.join_ref, state.ref, state.topic], [joinRef, null, topic], `${what}: ${state.text}`);
      const i = c.all.indexOf(reply);
      assert.equal(c.all[i + 1], state, `${what}: presence_state must be the next frame after the join reply (nothing in between, not even the own join's presence_diff); got ${JSON.stringify(c.all.slice(i).map((m) => m.raw))}`);
      noteMetas(state.payload, `${what} presence_state`);
      return { joinRef, ref, state: state.payload };
    };

    // an anonymous connection, no device: "anon" with device null
    const anon = await raw();
    const a = await joinWithState(anon, {}, 'anon');
    assert.deepEqual(view(metasOfState(a.state)), { anon: [{ device: null }] });
    assert.deepEqual(Object.keys(a.state.anon.metas[0]).sort(), ['device', 'phx_ref']);
    const anonRef = a.state.anon.metas[0].phx_ref;

    // dave with a device: his state lists both; anon gets a diff with the join
    const dave = await raw({ params: { user_id: 'dave' } });
    const d = await joinWithState(dave, { device: 'tv' }, 'dave');
    assert.deepEqual(view(metasOfState(d.state)), { anon: [{ device: null }], dave: [{ device: 'tv' }] });
    assert.equal(d.state.anon.metas[0].phx_ref, anonRef);
    const daveRef = d.state.dave.metas[0].phx_ref;
    const daveJoin = checkDiff(await anon.next(isDiff((p) => p.joins && p.joins.dave), 'diff with dave joining'), 'dave joins');
    assert.deepEqual(daveJoin.joins.dave, { metas: [{ device: 'tv', phx_ref: daveRef }] });
    assert.equal(daveJoin.leaves.dave, undefined);

    // a second anonymous tab: two metas under "anon", distinct refs
    const anon2 = await raw();
    const a2 = await joinWithState(anon2, { device: 'radio' }, 'anon2');
    assert.deepEqual(view(metasOfState(a2.state)),
      { anon: [{ device: 'radio' }, { device: null }], dave: [{ device: 'tv' }] });
    const anon2Ref = metaOf(metasOfState(a2.state), 'anon', 'radio').phx_ref;
    await anon.next(isDiff((p) => p.joins && p.joins.anon && p.joins.anon.metas.some((m) => m.phx_ref === anon2Ref)), 'diff with anon2 joining');

    // list
    const list = await anon.call({ join_ref: a.joinRef, topic, event: 'list', payload: {} });
    assert.equal(list.payload.status, 'ok', list.text);
    noteMetas(list.payload.response, 'list');
    assert.deepEqual(byRef(metasOfState(list.payload.response)), byRef({
      anon: [{ device: null, phx_ref: anonRef }, { device: 'radio', phx_ref: anon2Ref }],
      dave: [{ device: 'tv', phx_ref: daveRef }],
    }), list.text);

    // update_meta: one diff with dave in joins (new meta) and in leaves (old meta)
    const upd = await dave.call({ join_ref: d.joinRef, topic, event: 'update_meta', payload: { status: 'away' } });
    assert.deepEqual(upd.payload, { status: 'ok', response: {} }, upd.text);
    const updDiff = checkDiff(await anon.next(isDiff((p) => p.joins && p.joins.dave), 'diff with the update'), 'update');
    assert.equal(updDiff.joins.dave.metas.length, 1, JSON.stringify(updDiff));
    const newMeta = updDiff.joins.dave.metas[0];
    assert.deepEqual(strip(newMeta), { device: 'tv', status: 'away' });
    assert.equal(newMeta.phx_ref_prev, daveRef);
    assert.notEqual(newMeta.phx_ref, daveRef);
    assert.deepEqual(updDiff.leaves.dave, { metas: [{ device: 'tv', phx_ref: daveRef }] }, 'the same diff has the old meta in leaves');
    // dave's own connection gets the diff too
    checkDiff(await dave.next(isDiff((p) => p.joins && p.joins.dave && p.joins.dave.metas[0].phx_ref === newMeta.phx_ref), 'update diff on dave'), 'update (own)');

    // untrack: ok {}, a leave of the current meta, the channel stays joined
    const untrack = await dave.call({ join_ref: d.joinRef, topic, event: 'untrack', payload: {} });
    assert.deepEqual(untrack.payload, { status: 'ok', response: {} }, untrack.text);
    const leftDiff = checkDiff(await anon.next(isDiff((p) => p.leaves && p.leaves.dave), 'diff with dave untracked'), 'untrack');
    assert.deepEqual(leftDiff.leaves.dave, { metas: [newMeta] });
    assert.equal(leftDiff.joins.dave, undefined);
    const list2 = await dave.call({ join_ref: d.joinRef, topic, event: 'list', payload: {} });
    assert.deepEqual(list2.payload.status, 'ok', list2.text);
    assert.deepEqual(Object.keys(list2.payload.response), ['anon'], `dave is gone: ${list2.text}`);
    const ping = await dave.call({ join_ref: d.joinRef, topic, event: 'ping', payload: { still: 'joined' } });
    assert.deepEqual(ping.payload, { status: 'ok', response: { still: 'joined' } });
    // leaving after the untrack: nothing more about dave
    const leave = await dave.call({ join_ref: d.joinRef, topic, event: 'phx_leave', payload: {} });
    assert.equal(leave.payload.status, 'ok', leave.text);
    assert.equal(await anon.nothing(isDiff((p) => (p.leaves && p.leaves.dave) || (p.joins && p.joins.dave)), QUIET), null,
      'a diff about dave after he was untracked');

    // a channel leave (phx_leave) removes its meta; the other anon meta stays
    const leave2 = await anon2.call({ join_ref: a2.joinRef, topic, event: 'phx_leave', payload: {} });
    assert.equal(leave2.payload.status, 'ok', leave2.text);
    const anon2Left = checkDiff(await anon.next(isDiff((p) => p.leaves && p.leaves.anon), 'diff with anon2 leaving'), 'anon2 leaves');
    assert.deepEqual(anon2Left.leaves.anon, { metas: [{ device: 'radio', phx_ref: anon2Ref }] });

    // a socket close removes the meta too (seen from a fresh watcher)
    const watcher = await raw({ params: { user_id: 'watcher' } });
    const w = await joinWithState(watcher, {}, 'watcher');
    assert.deepEqual(view(metasOfState(w.state)), { anon: [{ device: null }], watcher: [{ device: null }] });
    assert.equal(w.state.anon.metas[0].phx_ref, anonRef);
    anon.terminate();
    const anonLeft = checkDiff(await watcher.next(isDiff((p) => p.leaves && p.leaves.anon), 'diff with anon closed', PRESENCE_WAIT), 'anon closes');
    assert.deepEqual(anonLeft.leaves.anon, { metas: [{ device: null, phx_ref: anonRef }] });

    // every phx_ref seen named one meta; the tracks and the update made 5 refs
    assert.equal(metaByRef.size, 5, `refs: ${JSON.stringify([...metaByRef])}`);
    // every diff anyone got had both halves (shapes checked on every one)
    for (const c of [anon, dave, anon2, watcher])
      for (const m of c.all.filter((x) => x.event === 'presence_diff')) checkDiff(m, `diff on ${c.url}`);
  });
});
