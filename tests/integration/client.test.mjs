// The echo contract through the stock phoenix npm client (Socket/Channel API),
// run once per transport: WebSocket (ws) and long-poll (the client's LongPoll,
// over fetch). Where the transports differ (heartbeats, the authToken, the
// close code of a socket-id disconnect) the test says so.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, phxJoin, outcome, nextEvent, collect, withTimeout, sleep, WAIT, TRANSPORTS,
} from './support.mjs';

for (const transport of TRANSPORTS) describe(`phoenix client over ${transport}`, () => {
  const server = useServer([], { phx: { transport } });
  const longpoll = transport === 'longpoll';
  const name = (what) => `${transport}: ${what}`;

  server.test(name('join room:* resolves ok with {joined, params}'), async ({ phx }) => {
    const s = await phx();
    const r = await phxJoin(s, 'room:lobby', { token: 'abc', n: 3 });
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.response, { joined: 'room:lobby', params: { token: 'abc', n: 3 } });
    assert.equal(r.channel.state, 'joined');
  });

  server.test(name('join room:forbidden resolves error {reason: unauthorized}'), async ({ phx }) => {
    const s = await phx();
    const r = await phxJoin(s, 'room:forbidden');
    r.channel.leave();   // stop the client's rejoin loop
    assert.equal(r.status, 'error');
    assert.deepEqual(r.response, { reason: 'unauthorized' });
  });

  server.test(name('join of an unrouted topic resolves error {reason: unmatched topic}'), async ({ phx }) => {
    const s = await phx();
    const r = await phxJoin(s, 'lobby:main');
    r.channel.leave();
    assert.equal(r.status, 'error');
    assert.deepEqual(r.response, { reason: 'unmatched topic' });
  });

  server.test(name('ping resolves ok with the payload unchanged'), async ({ phx }) => {
    const s = await phx();
    const { channel } = await phxJoin(s, 'room:ping');
    const payload = { text: 'ünïcødé 🚀', list: [1, [2, [3]]], obj: { deep: { er: null } }, num: 1e21 };
    assert.deepEqual(await outcome(channel.push('ping', payload)), { status: 'ok', response: payload });
  });

  server.test(name('pushes made before the join reply are delivered after it'), async ({ phx }) => {
    const s = await phx();
    const channel = s.channel('room:buffered');
    const join = outcome(channel.join(), 'join');
    const ping = outcome(channel.push('ping', { early: true }), 'buffered ping');
    assert.equal((await join).status, 'ok');
    assert.deepEqual(await ping, { status: 'ok', response: { early: true } });
  });

  server.test(name('push_me: "pushed" event arrives before the ok {} reply'), async ({ phx }) => {
    const s = await phx();
    const { channel } = await phxJoin(s, 'room:push');
    const order = [];
    channel.on('pushed', (p) => order.push(['pushed', p]));
    const r = await outcome(channel.push('push_me', { hello: 'you' }));
    order.push(['reply', r]);
    assert.deepEqual(order, [['pushed', { hello: 'you' }], ['reply', { status: 'ok', response: {} }]]);
  });

  server.test(name('async_reply resolves ok with the payload'), async ({ phx }) => {
    const s = await phx();
    const { channel } = await phxJoin(s, 'room:async');
    assert.deepEqual(await outcome(channel.push('async_reply', { id: 9 })), { status: 'ok', response: { id: 9 } });
  });

  server.test(name('assigns: user_id from the connect params, null when absent'), async ({ phx }) => {
    const withUser = await phx({ params: { user_id: '42' } });
    const anon = await phx();
    const a = (await phxJoin(withUser, 'room:assigns')).channel;
    const b = (await phxJoin(anon, 'room:assigns')).channel;
    assert.deepEqual(await outcome(a.push('assigns', {})), { status: 'ok', response: { user_id: '42' } });
    assert.deepEqual(await outcome(b.push('assigns', {})), { status: 'ok', response: { user_id: null } });
  });

  server.test(name('shout reaches two different sockets (sender included)'), async ({ phx }) => {
    const s1 = await phx({ params: { user_id: 'a' } });
    const s2 = await phx({ params: { user_id: 'b' } });
    const c1 = (await phxJoin(s1, 'room:shout')).channel;
    const c2 = (await phxJoin(s2, 'room:shout')).channel;
    const got1 = nextEvent(c1, 'shout');
    const got2 = nextEvent(c2, 'shout');
    c1.push('shout', { msg: 'hello all' });
    assert.deepEqual(await got1, { msg: 'hello all' });
    assert.deepEqual(await got2, { msg: 'hello all' });
  });

  server.test(name('shout_from reaches the other socket but not the sender'), async ({ phx }) => {
    const s1 = await phx();
    const s2 = await phx();
    const c1 = (await phxJoin(s1, 'room:shout_from')).channel;
    const c2 = (await phxJoin(s2, 'room:shout_from')).channel;
    const mine = collect(c1, 'shout');
    const theirs = nextEvent(c2, 'shout');
    c1.push('shout_from', { msg: 'not for me' });
    assert.deepEqual(await theirs, { msg: 'not for me' });
    // a ping after the broadcast_from is answered after it was fanned out
    await outcome(c1.push('ping', {}));
    await sleep(200);
    assert.deepEqual(mine, []);
  });

  server.test(name('boom: onError gets {reason: channel_crash}; socket and other channels keep working; client rejoins'), async ({ phx }) => {
    const s = await phx();
    const socketClosed = [];
    s.onClose((e) => socketClosed.push(e));
    const crash = (await phxJoin(s, 'room:crash')).channel;
    const other = (await phxJoin(s, 'room:other')).channel;
    const errored = new Promise((resolve) => crash.onError(resolve));
    crash.push('boom', {});
    assert.deepEqual(await withTimeout(errored, WAIT, 'channel onError'), { reason: 'channel_crash' });
    assert.deepEqual(await outcome(other.push('ping', { ok: 1 })), { status: 'ok', response: { ok: 1 } });
    // the client rejoins the crashed topic (rejoinAfterMs 200) and it works again
    const deadline = Date.now() + WAIT;
    while (crash.state !== 'joined' && Date.now() < deadline) await sleep(50);
    assert.equal(crash.state, 'joined', 'crashed channel was not rejoined');
    assert.deepEqual(await outcome(crash.push('ping', { back: true })), { status: 'ok', response: { back: true } });
    assert.deepEqual(socketClosed, [], 'the socket must not close');
    assert.ok(s.isConnected());
  });

  server.test(name('stop_me: onClose fires and the channel is closed (not rejoined)'), async ({ phx }) => {
    const s = await phx();
    const { channel } = await phxJoin(s, 'room:stop');
    const closed = new Promise((resolve) => channel.onClose(resolve));
    const errors = [];
    channel.onError((e) => errors.push(e));
    channel.push('stop_me', {});
    await withTimeout(closed, WAIT, 'channel onClose');
    assert.equal(channel.state, 'closed');
    await sleep(300);
    assert.equal(channel.state, 'closed');
    assert.deepEqual(errors, []);
    assert.ok(s.isConnected());
  });

  if (!longpoll) {
    server.test(name('heartbeats from the client are answered (heartbeatIntervalMs 100)'), async ({ phx }) => {
      const s = await phx({ heartbeatIntervalMs: 100 });
      const replies = [];
      s.onMessage((m) => { if (m.topic === 'phoenix' && m.event === 'phx_reply') replies.push(m.payload); });
      const closes = [];
      s.onClose((e) => closes.push(e));
      await sleep(700);
      assert.ok(replies.length >= 3, `only ${replies.length} heartbeat replies`);
      for (const p of replies) assert.deepEqual(p, { status: 'ok', response: {} });
      assert.deepEqual(closes, [], 'client closed the socket (missed heartbeat reply?)');
    });
  } else {
    // The stock LongPoll transport sets skipHeartbeat: the client sends no
    // periodic heartbeats over long-poll (the polls keep the session alive).
    // Heartbeats sent on demand (socket.ping) must still be answered, and the
    // heartbeat interval must not close the socket.
    server.test(name('no periodic heartbeats over long-poll; socket.ping heartbeats are answered'), async ({ phx }) => {
      const s = await phx({ heartbeatIntervalMs: 100 });
      const replies = [];
      s.onMessage((m) => { if (m.topic === 'phoenix' && m.event === 'phx_reply') replies.push(m.payload); });
      const closes = [];
      s.onClose((e) => closes.push(e));
      await sleep(400);
      assert.deepEqual(replies, [], 'the long-poll client sent heartbeats by itself');
      for (let i = 0; i < 3; i++) {
        const rtt = await withTimeout(new Promise((resolve) => assert.ok(s.ping(resolve))), WAIT, `heartbeat ${i}`);
        assert.equal(typeof rtt, 'number');
      }
      assert.equal(replies.length, 3);
      for (const p of replies) assert.deepEqual(p, { status: 'ok', response: {} });
      assert.deepEqual(closes, []);
    });
  }

  server.test(name(longpoll
    ? 'authToken option: sent as X-Phoenix-AuthToken (no subprotocol), a join works'
    : 'authToken option: the handshake selects "phoenix" and a join works'), async ({ phx }) => {
    const s = await phx({ authToken: 's3cr3t' });
    // Over long-poll the token travels in a header that echo does not expose:
    // only the client side and the join can be checked.
    if (longpoll) assert.equal(s.conn.authToken, 's3cr3t');
    else assert.equal(s.conn.protocol, 'phoenix');
    const r = await phxJoin(s, 'room:auth', { x: 1 });
    assert.deepEqual(r, { channel: r.channel, status: 'ok', response: { joined: 'room:auth', params: { x: 1 } } });
  });

  // WebSocket: the server closes with 1001. Long-poll has no close frame: the
  // session ends, the next poll is answered 410 and the stock client reports
  // that as close 3410 ("session_gone").
  const closeCode = longpoll ? 3410 : 1001;
  server.test(name(`socket-id disconnect: the client sees close ${closeCode}, reconnects and rejoins`), async ({ phx, post }) => {
    const s = await phx({ params: { user_id: 'dave' } });
    const bystander = await phx({ params: { user_id: 'erin' } });
    const { channel } = await phxJoin(s, 'room:dc');
    const closed = new Promise((resolve) => s.onClose(resolve));
    const bystanderCloses = [];
    bystander.onClose((e) => bystanderCloses.push(e));
    const res = await post({ topic: 'users_socket:dave', event: 'disconnect', payload: {} });
    assert.equal(res.status, 202);
    const ev = await withTimeout(closed, WAIT, 'socket onClose');
    assert.equal(ev.code, closeCode);
    const reopened = new Promise((resolve) => s.onOpen(resolve));
    await withTimeout(reopened, WAIT, 'reconnect');
    const deadline = Date.now() + WAIT;
    while (channel.state !== 'joined' && Date.now() < deadline) await sleep(50);
    assert.deepEqual(await outcome(channel.push('assigns', {})), { status: 'ok', response: { user_id: 'dave' } });
    assert.deepEqual(bystanderCloses, []);
  });
});
