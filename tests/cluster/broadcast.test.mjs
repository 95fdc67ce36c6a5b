// Three nodes A, B, C in a full mesh, stock phoenix clients on each: every
// kind of broadcast (shout, shout_from, POST /api/broadcast, a socket-id
// disconnect) made on one node reaches the subscribers of every node exactly
// once, and the broadcasts of one publisher arrive in order everywhere.
import assert from 'node:assert/strict';
import {
  useCluster, join, record, uid, pushSynced, expectExactlyOnce, settle, outcome, eventually, sleep, QUIET_MS, WAIT,
} from './cluster_support.mjs';

const h = useCluster(3);

/**
 * `perNode` stock clients on every node (A1, A2, B1, ...), each joined to
 * topic and recording its `shout` events; waits until a probe from A1
 * reached all of them (remote subscriptions in place).
 */
async function roomEverywhere(cluster, t, topic, { perNode = 2, params = () => ({}) } = {}) {
  const clients = {};
  for (const node of cluster.nodes.slice(0, 3)) {
    for (let k = 1; k <= perNode; k++) {
      const name = `${node.label}${k}`;
      const socket = await cluster.client(node, { params: params(name) });
      const channel = await join(socket, topic);
      clients[name] = { name, node, socket, channel, rec: record(channel, 'shout') };
    }
  }
  const recs = Object.fromEntries(Object.values(clients).map((c) => [c.name, c.rec]));
  const ms = await settle(clients.A1.channel, recs);
  t.diagnostic(`subscriptions of ${topic} seen across the cluster after ${ms} ms`);
  return { clients, recs };
}

h.test('shout from a client on A, B or C reaches every client on every node exactly once', async (cluster, t) => {
  const { clients, recs } = await roomEverywhere(cluster, t, 'room:cluster_shout');
  for (const from of ['A1', 'B2', 'C1']) {
    const id = uid(`shout-${from}`);
    await pushSynced(clients[from].channel, 'shout', { id, from }, `shout from ${from}`);
    await expectExactlyOnce(recs, id, { what: `shout from ${from}` });
    // the payload arrives unchanged
    for (const c of Object.values(clients)) {
      const got = c.rec.find((r) => r.payload.id === id).payload;
      assert.deepEqual(got, { id, from }, `payload on ${c.name}`);
    }
  }
});

h.test('shout_from reaches every client on every node but the sender (its node-mates included)', async (cluster, t) => {
  const { clients, recs } = await roomEverywhere(cluster, t, 'room:cluster_shout_from');
  for (const from of ['A1', 'B1', 'C2']) {
    const id = uid(`shout_from-${from}`);
    const { [from]: sender, ...others } = recs;
    await pushSynced(clients[from].channel, 'shout_from', { id, from }, `shout_from from ${from}`);
    await expectExactlyOnce(others, id, { absent: { [from]: sender }, what: `shout_from from ${from}` });
  }
});

h.test('POST /api/broadcast on C reaches every client on A, B and C exactly once', async (cluster, t) => {
  const { clients } = await roomEverywhere(cluster, t, 'room:cluster_api');
  const news = Object.fromEntries(Object.values(clients).map((c) => [c.name, record(c.channel, 'news')]));
  for (const via of [2, 0]) {   // C, then A as well
    const id = uid(`api-${cluster.nodes[via].label}`);
    const res = await cluster.post(via, { topic: 'room:cluster_api', event: 'news', payload: { id, n: [1, 2] } });
    assert.equal(res.status, 202, res.text);
    await expectExactlyOnce(news, id, { what: `POST /api/broadcast on ${cluster.nodes[via].label}` });
    for (const [name, rec] of Object.entries(news))
      assert.deepEqual(rec.find((r) => r.payload.id === id).payload, { id, n: [1, 2] }, `payload on ${name}`);
  }
});

h.test('a "disconnect" broadcast for users_socket:<id> posted on A closes that user\'s sockets on A, B and C only', async (cluster, t) => {
  const victim = uid('victim');
  // On every node: one socket of the victim and one of another user, each in a room.
  const sockets = {};
  for (const node of cluster.nodes) {
    for (const [who, userId] of [['victim', victim], ['other', uid(`other${node.label}`)]]) {
      const socket = await cluster.client(node, { params: { user_id: userId } });
      const channel = await join(socket, 'room:cluster_dc');
      const closes = [];
      socket.onClose((e) => closes.push({ code: e && e.code, at: Date.now() }));
      let opens = 0;
      socket.onOpen(() => { opens++; });
      sockets[`${who}@${node.label}`] = { socket, channel, closes, opens: () => opens, rec: record(channel, 'shout') };
    }
  }
  // the room works everywhere before the disconnect
  const recs = Object.fromEntries(Object.entries(sockets).map(([k, v]) => [k, v.rec]));
  t.diagnostic(`room seen across the cluster after ${await settle(sockets['other@A'].channel, recs)} ms`);

  const res = await cluster.post(0, { topic: `users_socket:${victim}`, event: 'disconnect', payload: {} });
  assert.equal(res.status, 202, res.text);
  const victims = ['victim@A', 'victim@B', 'victim@C'];
  await eventually(() => victims.every((k) => sockets[k].closes.length > 0), WAIT, "the victim's sockets to close")
    .catch((err) => {
      err.message += `; closed: ${victims.filter((k) => sockets[k].closes.length).join(', ') || 'none'}`;
      throw err;
    });
  for (const k of victims) assert.equal(sockets[k].closes[0].code, 1001, `close code of ${k}`);
  // Once: the client reconnects after 200 ms; a duplicate disconnect would close it again.
  await sleep(2 * QUIET_MS);
  for (const k of victims) assert.equal(sockets[k].closes.length, 1, `closes of ${k} (a duplicate disconnect?)`);
  for (const k of ['other@A', 'other@B', 'other@C'])
    assert.deepEqual(sockets[k].closes, [], `${k} must stay connected`);
  // the victim's sockets reconnect and rejoin by themselves and get broadcasts again
  for (const k of victims) {
    await eventually(() => sockets[k].socket.isConnected() && sockets[k].channel.state === 'joined', 5000, `${k} to reconnect and rejoin`);
  }
  const id = uid('after-dc');
  await pushSynced(sockets['other@B'].channel, 'shout', { id }, 'shout after the disconnect');
  await expectExactlyOnce(recs, id, { what: 'a shout from B after the disconnect', ms: 5000 });
});

/**
 * Pushes `count` shouts {run, pub, seq} in batches of `batch`, each batch
 * followed by a ping whose reply is awaited (shout has no reply).
 */
async function shoutSequence(channel, { run, pub, count, batch = 50 }) {
  for (let i = 0; i < count; i += batch) {
    const errors = [];
    for (let seq = i; seq < Math.min(count, i + batch); seq++)
      channel.push('shout', { run, pub, seq }).receive('error', (e) => errors.push(e));
    const r = await outcome(channel.push('ping', { after: i + batch }), `the ping after shout #${Math.min(count, i + batch) - 1} of ${pub}`);
    assert.equal(r.status, 'ok', `ping reply of ${pub}: ${JSON.stringify(r)}`);
    assert.deepEqual(errors, [], `error replies to shouts of ${pub}`);
  }
}

/** Asserts rec holds, for each publisher, exactly seq 0..count-1 in order (records of `run` only). */
function assertInOrder(name, rec, run, pubs, count) {
  const mine = rec.filter((r) => r.payload.run === run);
  for (const pub of pubs) {
    const seqs = mine.filter((r) => r.payload.pub === pub).map((r) => r.payload.seq);
    if (seqs.length !== count || seqs.some((s, i) => s !== i)) {
      const firstBad = seqs.findIndex((s, i) => s !== i);
      assert.fail(`${name}: got ${seqs.length} of ${count} shouts of ${pub}; first out of place at index ${firstBad}: ` +
                  `${JSON.stringify(seqs.slice(Math.max(0, firstBad - 3), firstBad + 5))}`);
    }
  }
}

h.test('1,000 shouts from one client on A arrive complete and in order on a subscriber on each node', async (cluster, t) => {
  const topic = 'room:cluster_order';
  const pubSocket = await cluster.client(0);
  const pub = await join(pubSocket, topic);
  const subs = {};
  for (const node of cluster.nodes) {
    const s = await cluster.client(node);
    subs[`sub@${node.label}`] = record(await join(s, topic), 'shout');
  }
  subs['publisher itself'] = record(pub, 'shout');
  t.diagnostic(`subscriptions seen after ${await settle(pub, subs)} ms`);
  const run = uid('order');
  const N = 1000;
  const t0 = Date.now();
  await shoutSequence(pub, { run, pub: 'A', count: N, batch: 50 });
  const sent = Date.now();
  await eventually(() => Object.values(subs).every((rec) => rec.filter((r) => r.payload.run === run).length >= N), 20_000,
                   `${N} shouts on every subscriber`).catch((err) => {
    err.message += `; received: ${JSON.stringify(Object.fromEntries(Object.entries(subs).map(([k, rec]) => [k, rec.filter((r) => r.payload.run === run).length])))}`;
    throw err;
  });
  t.diagnostic(`${N} shouts sent in ${sent - t0} ms, all delivered everywhere after ${Date.now() - t0} ms`);
  await sleep(QUIET_MS);
  for (const [name, rec] of Object.entries(subs)) assertInOrder(name, rec, run, ['A'], N);
}, { timeout: 90_000 });

h.test('two publishers (on A and on C) at once: each one\'s 500 shouts arrive complete and in order on every node', async (cluster, t) => {
  const topic = 'room:cluster_order2';
  const pubA = await join(await cluster.client(0), topic);
  const pubC = await join(await cluster.client(2), topic);
  const subs = {};
  for (const node of cluster.nodes) subs[`sub@${node.label}`] = record(await join(await cluster.client(node), topic), 'shout');
  t.diagnostic(`subscriptions seen after ${await settle(pubA, subs)} ms`);
  const run = uid('order2');
  const N = 500;
  await Promise.all([
    shoutSequence(pubA, { run, pub: 'A', count: N, batch: 25 }),
    shoutSequence(pubC, { run, pub: 'C', count: N, batch: 25 }),
  ]);
  await eventually(() => Object.values(subs).every((rec) => rec.filter((r) => r.payload.run === run).length >= 2 * N), 20_000,
                   `${2 * N} shouts on every subscriber`).catch((err) => {
    err.message += `; received: ${JSON.stringify(Object.fromEntries(Object.entries(subs).map(([k, rec]) => [k, rec.filter((r) => r.payload.run === run).length])))}`;
    throw err;
  });
  await sleep(QUIET_MS);
  for (const [name, rec] of Object.entries(subs)) assertInOrder(name, rec, run, ['A', 'C'], N);
  // the two streams really interleaved somewhere (not required, reported)
  const mine = subs['sub@B'].filter((r) => r.payload.run === run).map((r) => r.payload.pub);
  let switches = 0;
  for (let i = 1; i < mine.length; i++) if (mine[i] !== mine[i - 1]) switches++;
  t.diagnostic(`sub@B saw the publishers alternate ${switches} times`);
}, { timeout: 90_000 });
