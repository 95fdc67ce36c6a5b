// Channel supervision through the stock phoenix client: `room:*` is
// temporary (a crash ends the channel, the client sees phx_error and rejoins,
// exactly Phoenix); `durable:*` is transient (at most 3 restarts within 5 s,
// restarted in place without the client noticing; the 4th crash gives up).
// Also: crashes never disturb siblings, and the endpoint-wide counter actor.
// The tests run once per transport of the stock client (WebSocket, long-poll).
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, phxJoin, outcome, collect, eventually, logLines,
  withTimeout, sleep, scaled, WAIT, TRANSPORTS,
} from './support.mjs';

// How long to watch for something that must NOT happen (a phx_error, a second
// join reply, a duplicate broadcast). Only used where no event can be awaited.
const QUIET = scaled(300, 1000);

// ---- helpers ---------------------------------------------------------------------

/**
 * Taps a phoenix socket for `topic`, below the Channel API: join replies
 * (V2: a join's reply has ref === join_ref), phx_error frames, all replies by
 * ref, and the phx_join frames the client sends (a rejoin shows up there).
 */
function tap(socket, topic) {
  const seen = { joinReplies: [], errors: [], replyRefs: [], joinsSent: 0 };
  socket.onMessage((m) => {
    if (m.topic !== topic) return;
    if (m.event === 'phx_reply') {
      seen.replyRefs.push(m.ref);
      if (m.ref === m.join_ref) seen.joinReplies.push(m.payload);
    }
    if (m.event === 'phx_error') seen.errors.push(m.payload);
  });
  const push = socket.push.bind(socket);
  socket.push = (data, channel) => {
    if (data.topic === topic && data.event === 'phx_join') seen.joinsSent++;
    return push(data, channel);
  };
  return seen;
}

/** The next frame on socket satisfying pred (register before causing it). */
function nextMessage(socket, pred, what, ms = WAIT) {
  let ref;
  const p = new Promise((resolve) => { ref = socket.onMessage((m) => { if (pred(m)) resolve(m); }); });
  return withTimeout(p, ms, what).finally(() => socket.off([ref]));
}

/** The next join reply on topic, i.e. the reply to a (re)join. */
const nextJoinReply = (socket, topic) => nextMessage(
  socket, (m) => m.topic === topic && m.event === 'phx_reply' && m.ref === m.join_ref,
  `a join reply on ${topic}`);

/** Resolves with the reason of the channel's next onError. */
function nextError(channel, ms = WAIT) {
  let ref;
  const p = new Promise((resolve) => { ref = channel.onError(resolve); });
  return withTimeout(p, ms, `onError on ${channel.topic}`).finally(() => channel.off('phx_error', ref));
}

/** The next `event` on channel whose payload satisfies pred. */
function nextMatching(channel, event, pred, ms = WAIT) {
  let ref;
  const p = new Promise((resolve) => { ref = channel.on(event, (pl) => { if (pred(pl)) resolve(pl); }); });
  return withTimeout(p, ms, `${event} matching on ${channel.topic}`).finally(() => channel.off(event, ref));
}

/** Pushes and asserts an ok reply; returns the response. */
async function ok(channel, event, payload = {}) {
  const r = await outcome(channel.push(event, payload), `${event} on ${channel.topic}`);
  assert.equal(r.status, 'ok', `${event} on ${channel.topic}: ${JSON.stringify(r)}`);
  return r.response;
}

/** Every onError reason of channel, collected. */
function errorsOf(channel) {
  const got = [];
  channel.onError((reason) => got.push(reason));
  return got;
}

// Log lines about topic, loosely: restarts ("... T ... restart ...") and
// give-ups ("... T ... giving up ..."; those may mention restarts too).
const lineFilter = (f) => ({ test: f });
const restartLines = (srv, topic) =>
  logLines(srv, lineFilter((l) => l.includes(topic) && /restart/.test(l) && !/giving up/.test(l)));
const giveUpLines = (srv, topic) => logLines(srv, lineFilter((l) => l.includes(topic) && /giving up/.test(l)));

// ---- tests ---------------------------------------------------------------------

for (const transport of TRANSPORTS) describe(`supervision over ${transport}`, () => {
  const server = useServer([], { phx: { transport } });
  const name = (what) => `${transport}: ${what}`;

  server.test(name('room:* boom: phx_error, the stock client rejoins, pushes work again, a new channel'), async ({ phx, server: srv }) => {
    const topic = 'room:sup-boom';
    const s = await phx();
    const seen = tap(s, topic);
    const { channel, status } = await phxJoin(s, topic, { who: 'room' });
    assert.equal(status, 'ok');

    const errored = nextError(channel);
    const rejoined = nextJoinReply(s, topic);
    channel.push('boom', {});
    assert.deepEqual(await errored, { reason: 'channel_crash' });
    assert.deepEqual((await rejoined).payload,
      { status: 'ok', response: { joined: topic, params: { who: 'room' } } });
    assert.equal(channel.state, 'joined');
    assert.equal(seen.joinsSent, 2, 'the client sent exactly one rejoin');
    assert.equal(seen.joinReplies.length, 2);

    assert.deepEqual(await ok(channel, 'ping', { back: 1 }), { back: 1 });
    // temporary: never restarted, the rejoin made a brand-new channel
    assert.deepEqual(await ok(channel, 'crash_count'), { restarts: 0 });
    assert.equal(restartLines(srv, topic), 0, 'a temporary channel must not be restarted');
  });

  server.test(name('durable:* survives 3 crashes unnoticed; the 4th within 5 s gives up (phx_error, rejoin, fresh channel)'), async ({ phx, server: srv, post }) => {
    const topic = 'durable:sup-crashes';
    const s = await phx();
    const seen = tap(s, topic);
    const { channel, status } = await phxJoin(s, topic, { who: 'durable' });
    assert.equal(status, 'ok');
    const errors = errorsOf(channel);
    const shouts = collect(channel, 'shout');
    // A second subscriber of the topic to broadcast from (a `shout` from another client).
    const other = (await phxJoin(await phx(), topic)).channel;

    const booms = [];
    const started = Date.now();
    for (let i = 1; i <= 3; i++) {
      // boom and then, in the same tick, pushes the restarted channel must answer
      const boom = channel.push('boom', { i });
      const ping = outcome(channel.push('ping', { after: i }), `ping after boom ${i}`);
      const count = outcome(channel.push('crash_count'), `crash_count after boom ${i}`);
      assert.ok(boom.ref, 'the boom was sent (it has a ref)');
      booms.push(boom.ref);
      assert.deepEqual(await ping, { status: 'ok', response: { after: i } });
      assert.deepEqual(await count, { status: 'ok', response: { restarts: i } });

      // one broadcast after the restart, alternately from a client and from the HTTP API
      const marker = { restarted: i };
      const delivered = nextMatching(channel, 'shout', (p) => p.restarted === i);
      if (i % 2) {
        other.push('shout', marker);
      } else {
        const res = await post({ topic, event: 'shout', payload: marker });
        assert.equal(res.status, 202, res.text);
      }
      assert.deepEqual(await delivered, marker);

      assert.deepEqual(errors, [], `onError fired after crash ${i}`);
      assert.deepEqual(seen.errors, [], `phx_error after crash ${i}`);
      assert.equal(seen.joinReplies.length, 1, `a second join reply after crash ${i}`);
      assert.equal(channel.state, 'joined');
    }
    // Nothing late either: no phx_error, no rejoin, no duplicate broadcast, no
    // reply to a boom. Nothing to await for an absence: watch a bounded while.
    await sleep(QUIET);
    assert.deepEqual(errors, []);
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.joinReplies.length, 1);
    assert.equal(seen.joinsSent, 1, 'the client must not have rejoined');
    assert.deepEqual(shouts, [{ restarted: 1 }, { restarted: 2 }, { restarted: 3 }], 'one delivery per broadcast');
    for (const ref of booms) assert.ok(!seen.replyRefs.includes(ref), `a reply to boom ref ${ref}`);
    await eventually(() => restartLines(srv, topic) === 3, WAIT, `3 restart log lines for ${topic}`);

    // The 4th crash must fall into the 5 s window to be the one too many.
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 4500, `3 crashes took ${elapsed} ms; the 4th would not be within the 5 s window`);
    const errored = nextError(channel);
    const rejoined = nextJoinReply(s, topic);
    channel.push('boom', { i: 4 });
    const reason = await errored;
    assert.equal(typeof reason, 'object');
    assert.deepEqual((await rejoined).payload,
      { status: 'ok', response: { joined: topic, params: { who: 'durable' } } });
    assert.equal(channel.state, 'joined');
    assert.equal(seen.joinsSent, 2);
    // a new channel: its restarts count from 0 again, and it works
    assert.deepEqual(await ok(channel, 'crash_count'), { restarts: 0 });
    assert.deepEqual(await ok(channel, 'ping', { again: true }), { again: true });
    await eventually(() => giveUpLines(srv, topic) === 1, WAIT, `a "giving up" log line for ${topic}`);
    assert.equal(restartLines(srv, topic), 3, 'no restart after giving up');
  });

  server.test(name('join_params: the join params on room:*, the original join params after a durable:* restart'), async ({ phx }) => {
    const s = await phx();
    const roomParams = { token: 'r', list: [1, { two: 2 }] };
    const room = (await phxJoin(s, 'room:sup-params', roomParams)).channel;
    assert.deepEqual(await ok(room, 'join_params'), roomParams);

    const durableParams = { token: 'd', nested: { n: 7 }, nothing: null };
    const durable = (await phxJoin(s, 'durable:sup-params', durableParams)).channel;
    assert.deepEqual(await ok(durable, 'join_params'), durableParams);
    durable.push('boom', {});
    // same tick as the boom: answered by the restarted instance
    const after = outcome(durable.push('join_params'), 'join_params after boom');
    const count = outcome(durable.push('crash_count'), 'crash_count after boom');
    assert.deepEqual(await after, { status: 'ok', response: durableParams });
    assert.deepEqual(await count, { status: 'ok', response: { restarts: 1 } });
    // and again once it settled
    assert.deepEqual(await ok(durable, 'join_params'), durableParams);
  });

  server.test(name('crashes never disturb siblings: another channel on the same socket and another socket keep answering'), async ({ phx, server: srv }) => {
    const sibTopic = 'room:sib';
    const a = await phx();
    const b = await phx();
    const aSeen = tap(a, sibTopic);
    const aCloses = [];
    const bCloses = [];
    a.onClose((e) => aCloses.push(e));
    b.onClose((e) => bCloses.push(e));

    const room = (await phxJoin(a, 'room:sib-crash')).channel;
    const durable = (await phxJoin(a, 'durable:sib-crash')).channel;
    const sibling = (await phxJoin(a, sibTopic)).channel;        // same socket
    const remote = (await phxJoin(b, sibTopic)).channel;         // other socket
    const remoteDurable = (await phxJoin(b, 'durable:sib-crash')).channel; // same topic, other socket
    const siblingErrors = errorsOf(sibling);
    const remoteErrors = errorsOf(remote);
    const remoteDurableErrors = errorsOf(remoteDurable);
    const siblingShouts = collect(sibling, 'shout');

    let n = 0;
    const pingSiblings = async (what) => {
      const tag = { n: ++n, what };
      const replies = await Promise.all([
        outcome(sibling.push('ping', tag), `sibling ping (${what})`),
        outcome(remote.push('ping', tag), `remote ping (${what})`),
        outcome(remoteDurable.push('ping', tag), `remote durable ping (${what})`),
      ]);
      for (const r of replies) assert.deepEqual(r, { status: 'ok', response: tag }, what);
    };

    // room crash: pings sent in the same tick as the boom, and after the rejoin
    let errored = nextError(room);
    let rejoined = nextJoinReply(a, 'room:sib-crash');
    room.push('boom', {});
    await pingSiblings('during the room crash');
    await errored;
    await rejoined;
    await pingSiblings('after the room rejoin');

    // durable: 3 restarts, then the 4th crash gives up
    for (let i = 1; i <= 3; i++) {
      durable.push('boom', {});
      const siblingsDuring = pingSiblings(`during durable crash ${i}`);
      assert.deepEqual(await ok(durable, 'crash_count'), { restarts: i });
      await siblingsDuring;
    }
    errored = nextError(durable);
    rejoined = nextJoinReply(a, 'durable:sib-crash');
    durable.push('boom', {});
    await pingSiblings('during the durable give-up');
    await errored;
    await rejoined;
    await pingSiblings('after the durable rejoin');

    // broadcasts still reach the sibling, once
    const delivered = nextMatching(sibling, 'shout', (p) => p.last === true);
    remote.push('shout', { last: true });
    await delivered;
    // Absences (no error, no rejoin, no close on the siblings): a bounded watch.
    await sleep(QUIET);
    assert.deepEqual(siblingShouts, [{ last: true }]);
    assert.deepEqual(siblingErrors, []);
    assert.deepEqual(remoteErrors, []);
    assert.deepEqual(remoteDurableErrors, [], 'a crash on one socket reached the same topic on another socket');
    assert.deepEqual(aSeen.errors, []);
    assert.equal(aSeen.joinReplies.length, 1, 'the sibling was rejoined');
    assert.equal(aSeen.joinsSent, 1);
    assert.deepEqual(aCloses, []);
    assert.deepEqual(bCloses, []);
    assert.ok(a.isConnected() && b.isConnected());
    assert.equal(srv.exited(), null);
  });

  server.test(name('counter: 5 clients x 20 concurrent pushes get 100 distinct values from the one counter actor'), async ({ phx }) => {
    const channels = [];
    for (let c = 0; c < 5; c++) {
      const s = await phx();
      // both supervision kinds, and one topic per client: the counter is endpoint-wide
      channels.push((await phxJoin(s, `${c % 2 ? 'durable' : 'room'}:sup-counter${c}`)).channel);
    }
    const pushes = channels.flatMap((ch) => Array.from({ length: 20 }, () => outcome(ch.push('counter', {}), 'counter')));
    const results = await Promise.all(pushes);
    const values = results.map((r) => {
      assert.equal(r.status, 'ok', JSON.stringify(r));
      assert.ok(Number.isInteger(r.response.value) && r.response.value >= 1, JSON.stringify(r));
      return r.response.value;
    });
    assert.equal(new Set(values).size, 100, `duplicates in ${JSON.stringify(values)}`);
    // Nothing else counts meanwhile, so the values are one contiguous run.
    assert.equal(Math.max(...values) - Math.min(...values), 99, `not contiguous: ${JSON.stringify(values)}`);
  });
});
