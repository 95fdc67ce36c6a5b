// Admission. The cluster secret: a node with another --cluster-secret is refused,
// whether it dials a cluster node (D dials A) or a cluster node dials it
// (A dials E); both sides log `wrong cluster secret`, no `peer ... up`, no
// broadcast crosses, and the cluster A, B, C keeps working. And a node with
// the right secret that dials a node which does not list it is accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  withCluster, joinOnEveryNode, EchoNode, escapeRe, freePorts, join, record, countId, uid, expectExactlyOnce, settle, pushSynced, waitLog, peerUpRe, sleep,
} from './cluster_support.mjs';

const WRONG = ['--cluster-secret', 'some-other-secret'];
const wrongSecretRe = /wrong cluster secret/;
/** Matches the node's name (host:port, not a longer port). */
const names = (node) => new RegExp(`${escapeRe(node.name)}(?!\\d)`);

test('a node with another cluster secret is refused both ways; no broadcast crosses; A, B, C keep working', { timeout: 120_000 }, async (t) => {
  // E's ports are known before the cluster starts: A dials E from the start
  // (retrying until E is there), E itself dials nobody.
  const [eHttp, eNode] = await freePorts(2);
  await withCluster(3, [], async (cluster) => {
    const { A, B, C } = cluster;
    const topic = 'room:cluster_secret';
    const { chA, chB, chC, recs } = await joinOnEveryNode(cluster, topic, t);

    // ---- D (wrong secret) dials A ----
    const markA = A.mark();
    const D = await cluster.addNode({ label: 'D', peerPorts: [A.nodePort], args: WRONG });
    const lineA = await waitLog(A, wrongSecretRe, 10_000, { from: markA, what: `"wrong cluster secret" in A's log once D (${D.name}) dialed it` });
    t.diagnostic(`A logged: ${lineA}`);
    const lineD = await waitLog(D, wrongSecretRe, 10_000, { what: `"wrong cluster secret" in D's log` });
    t.diagnostic(`D logged: ${lineD}`);
    assert.ok(A.lines(wrongSecretRe, markA).some((l) => names(D).test(l)),
              `A's "wrong cluster secret" lines name D (${D.name}): ${JSON.stringify(A.lines(wrongSecretRe, markA))}`);
    assert.ok(D.lines(wrongSecretRe).some((l) => names(A).test(l)),
              `D's "wrong cluster secret" lines name A (${A.name}): ${JSON.stringify(D.lines(wrongSecretRe))}`);

    const chD = await join(await cluster.client(D), topic);
    const recD = record(chD);
    // D works on its own.
    const idD = uid('from-D');
    await pushSynced(chD, 'shout', { id: idD }, 'shout on D');
    await expectExactlyOnce({ D: recD }, idD, { absent: recs, what: 'a shout on D (stays on D)' });
    // A's broadcasts do not reach D; the cluster still gets them.
    const idA = uid('from-A');
    await pushSynced(chA, 'shout', { id: idA }, 'shout on A');
    await expectExactlyOnce(recs, idA, { absent: { D: recD }, what: 'a shout on A with D around' });
    const newsD = record(chD, 'news');
    const newsABC = { A: record(chA, 'news'), B: record(chB, 'news'), C: record(chC, 'news') };
    const idApi = uid('api-B');
    assert.equal((await cluster.post(B, { topic, event: 'news', payload: { id: idApi } })).status, 202);
    await expectExactlyOnce(newsABC, idApi, { absent: { D: newsD }, what: 'POST /api/broadcast on B with D around' });

    // ---- A dials E (wrong secret, dials nobody) ----
    const markA2 = A.mark();
    const E = new EchoNode({ label: 'E', httpPort: eHttp, nodePort: eNode, peerPorts: [], args: WRONG });
    cluster.nodes.push(E);
    await E.start();
    const eName = names(E).source;
    const lineA2 = await waitLog(A, new RegExp(`${eName}.*wrong cluster secret|wrong cluster secret.*${eName}`), 10_000,
                                 { from: markA2, what: `a "wrong cluster secret" line of A naming E (${E.name}) once A dialed E` });
    t.diagnostic(`A logged: ${lineA2}`);
    const lineE = await waitLog(E, wrongSecretRe, 10_000, { what: `"wrong cluster secret" in E's log` });
    t.diagnostic(`E logged: ${lineE}`);
    const chE = await join(await cluster.client(E), topic);
    const recE = record(chE);

    // Nobody peered with D or E, on either side.
    await sleep(500);
    for (const n of [A, B, C]) {
      for (const w of [D, E]) {
        assert.deepEqual(n.lines(peerUpRe(w.name)), [], `${n.label} must not log ${w.label} up`);
        assert.deepEqual(w.lines(peerUpRe(n.name)), [], `${w.label} must not log ${n.label} up`);
      }
    }

    // The cluster keeps working: shouts on A, B, C reach A, B, C exactly once, never D or E.
    for (const [from, ch] of [['A', chA], ['B', chB], ['C', chC]]) {
      const id = uid(`end-${from}`);
      await pushSynced(ch, 'shout', { id }, `shout on ${from}`);
      await expectExactlyOnce(recs, id, { absent: { D: recD, E: recE }, what: `a shout on ${from} at the end` });
    }
    // and nothing from E crosses either
    const idE = uid('from-E');
    chE.push('shout', { id: idE });
    await expectExactlyOnce({ E: recE }, idE, { absent: { ...recs, D: recD }, what: 'a shout on E (stays on E)' });
  }, { extraPeers: { 0: [eNode] } });
});

test('a node with the right secret that dials only A (listed by nobody) is accepted: D and A log each other up, broadcasts cross between them', { timeout: 60_000 }, (t) => withCluster(3, [], async (cluster) => {
  const { A, B, C } = cluster;
  const topic = 'room:cluster_unlisted';
  const markA = A.mark();
  const D = await cluster.addNode({ label: 'D', peerPorts: [A.nodePort] });
  await waitLog(D, peerUpRe(A.name), 10_000, { what: 'D to log A up' });
  await waitLog(A, peerUpRe(D.name), 10_000, { from: markA, what: 'A to log D up (a peer it does not list)' });
  const chA = await join(await cluster.client(A), topic);
  const chD = await join(await cluster.client(D), topic);
  const chB = await join(await cluster.client(B), topic);
  const recs = { A: record(chA), D: record(chD) };
  const recB = record(chB);
  t.diagnostic(`room seen on A and D after ${await settle(chD, recs)} ms`);
  for (const [from, ch] of [['A', chA], ['D', chD]]) {
    const id = uid(`unlisted-${from}`);
    await pushSynced(ch, 'shout', { id }, `shout on ${from}`);
    await expectExactlyOnce(recs, id, { what: `a shout on ${from}` });
    // Whether B (which D does not dial) gets it is not part of the contract
    // (full meshes only): reported.
    t.diagnostic(`a shout on ${from} reached B's client ${countId(recB, id)} times`);
  }
  for (const n of [B, C]) t.diagnostic(`${n.label} logged D up: ${n.lines(peerUpRe(D.name)).length > 0}`);
}));
