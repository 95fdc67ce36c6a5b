// The long-poll transport at /socket/longpoll, over raw HTTP: sessions (GET
// without a token: 410 + token), polls (200 with the frames, 204 after the
// window, an older poll answered 204 by a newer one), posts (x-ndjson lines,
// V1 bodies, 413/400 refusals that leave the session alone, a bad frame that
// ends it), tokens (header or query, forged, from other servers), origins,
// CORS, methods, vsn, session expiry, the session cap. Then the stock client falling back from
// WebSocket to long-poll on a --no-websocket server, and a room shared by
// long-poll and WebSocket clients. Every test ends by checking bystanders
// (a WebSocket and a long-poll client) that must still be served.
import { describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  useServer, longpollRequest, joinBystander, upgradeStatus, phxJoin, outcome, nextEvent,
  collect, eventually, logLines, sleep, scaled, withTimeout, LongPoll, WebSocket, BIN, WAIT, TEST_TIMEOUT,
} from './support.mjs';

// ---- helpers ---------------------------------------------------------------------

const v2 = (...fields) => JSON.stringify(fields);
const heartbeat = (ref) => v2(null, ref, 'phoenix', 'heartbeat', {});
const ping = (joinRef, ref, topic, payload = {}) => v2(joinRef, ref, topic, 'ping', payload);

/** Asserts the headers of a JSON answer (HTTP 200) and returns its body. */
function answerOf(r, what = 'answer') {
  assert.equal(r.status, 200, `${what}: HTTP ${r.status} ${r.text}`);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8', `${what}: content-type`);
  assert.equal(r.headers['cache-control'], 'no-store', `${what}: cache-control`);
  assert.equal(r.headers['access-control-allow-origin'], '*', `${what}: access-control-allow-origin`);
  assert.ok(r.json, `${what}: not JSON: ${JSON.stringify(r.text)}`);
  return r.json;
}

/** GET without a token: a new session; returns its token. */
async function newSession(port, opts = {}) {
  const a = answerOf(await longpollRequest(port, opts), 'session GET');
  assert.equal(a.status, 410, JSON.stringify(a));
  assert.equal(typeof a.token, 'string');
  assert.ok(a.token.length > 0);
  assert.deepEqual(a.messages, []);
  return a.token;
}

/** POSTs x-ndjson lines with token; returns the answer's body. */
async function postLines(port, token, lines, opts = {}) {
  return answerOf(await longpollRequest(port, { method: 'POST', token, body: lines, ...opts }), 'POST');
}

/**
 * Polls (GET with token, `windowMs` + WAIT each) until `n` messages arrived;
 * returns their texts. Fails on anything but 200/204.
 */
async function pollTexts(port, token, n, { windowMs, ms = WAIT } = {}) {
  const texts = [];
  const deadline = Date.now() + ms + windowMs;
  while (texts.length < n) {
    assert.ok(Date.now() < deadline, `only ${texts.length} of ${n} messages: ${JSON.stringify(texts)}`);
    const a = answerOf(await longpollRequest(port, { token, ms: windowMs + WAIT }), 'poll');
    assert.equal(a.token, token);
    assert.ok(a.status === 200 || a.status === 204, `poll answered ${JSON.stringify(a)}`);
    texts.push(...a.messages);
  }
  return texts;
}

/** A session joined to topic (join_ref "1") through raw requests; returns its token. */
async function joinedSession(port, topic, windowMs) {
  const token = await newSession(port);
  assert.deepEqual(await postLines(port, token, [v2('1', '1', topic, 'phx_join', {})]), { status: 200 });
  const [reply] = await pollTexts(port, token, 1, { windowMs });
  assert.deepEqual(JSON.parse(reply)[4].status, 'ok', reply);
  return token;
}

/**
 * A WebSocket bystander (unless `websocket: false`) and a long-poll one,
 * joined before the test does anything; `check()` asserts both are served.
 */
async function bystanders(ctx, { windowMs, websocket = true } = {}) {
  const all = [await joinBystander(ctx, 'room:bystander-lp', { transport: 'longpoll', windowMs })];
  if (websocket) all.push(await joinBystander(ctx, 'room:bystander-ws'));
  return { check: async () => { for (const b of all) await b.check(); } };
}

// ---- the protocol over raw HTTP ------------------------------------------------------

describe('long-poll over raw HTTP (--longpoll-window-ms 500)', () => {
  const WINDOW = 500;
  const MAX_FRAME = 65536;
  const server = useServer(['--longpoll-window-ms', String(WINDOW), '--max-frame-size', String(MAX_FRAME)]);
  const lpClient = (ctx, opts = {}) => ctx.lp({ windowMs: WINDOW, ...opts });

  server.test('GET without a token opens a session: {status 410, token, messages []}, JSON headers; a new token each time', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const r = await longpollRequest(ctx.port);
    const a = answerOf(r);
    assert.deepEqual(Object.keys(a).sort(), ['messages', 'status', 'token']);
    assert.equal(a.status, 410);
    assert.deepEqual(a.messages, []);
    const tokens = new Set([a.token]);
    for (let i = 0; i < 3; i++) tokens.add(await newSession(ctx.port));
    assert.equal(tokens.size, 4, 'every session gets its own token');
    // phx-echo signs with its demo secret_key_base when none is given, so
    // the endpoint has none to generate (and announce).
    assert.equal(logLines(ctx.server, /no secret_key_base configured/), 0);
    await by.check();
  });

  server.test('POST a join: {status 200}; the next GET answers 200 with the reply, the exact frame text a WebSocket gets', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port);
    const join = v2('1', '1', 'room:lp-join', 'phx_join', { a: 1, s: 'ü"\\' });
    assert.deepEqual(await postLines(ctx.port, token, [join]), { status: 200 });
    const a = answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT }), 'poll');
    assert.equal(a.status, 200);
    assert.equal(a.token, token);
    assert.equal(a.messages.length, 1);
    assert.ok(a.messages.every((m) => typeof m === 'string'), 'messages are frame texts');
    assert.deepEqual(JSON.parse(a.messages[0]),
      ['1', '1', 'room:lp-join', 'phx_reply', { status: 'ok', response: { joined: 'room:lp-join', params: { a: 1, s: 'ü"\\' } } }]);
    const ws = await ctx.raw();
    ws.sendText(join);
    assert.equal(a.messages[0], (await ws.next()).text, 'the same text as over WebSocket');

    // Several frames in one POST (an empty line is skipped): every one is
    // answered, a channel's replies in order (the heartbeat, answered by the
    // connection and not the channel, may come first, as over WebSocket).
    const lines = [ping('1', '2', 'room:lp-join', { n: 2 }), '', ping('1', '3', 'room:lp-join', { n: 3 }), heartbeat('4')];
    assert.deepEqual(await postLines(ctx.port, token, lines), { status: 200 });
    const frames = (await pollTexts(ctx.port, token, 3, { windowMs: WINDOW })).map((t) => JSON.parse(t));
    assert.deepEqual(frames.filter((f) => f[2] === 'room:lp-join'), [
      ['1', '2', 'room:lp-join', 'phx_reply', { status: 'ok', response: { n: 2 } }],
      ['1', '3', 'room:lp-join', 'phx_reply', { status: 'ok', response: { n: 3 } }],
    ]);
    assert.deepEqual(frames.filter((f) => f[2] === 'phoenix'), [[null, '4', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]]);
    await by.check();
  });

  server.test('a poll with nothing to say answers {status 204, token, messages []} after the window; the session goes on', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port);
    const t0 = Date.now();
    const a = answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT }), 'idle poll');
    const elapsed = Date.now() - t0;
    assert.deepEqual(a, { status: 204, token, messages: [] });
    assert.ok(elapsed >= WINDOW - 50, `answered after ${elapsed} ms, before the ${WINDOW} ms window`);
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('h')]), { status: 200 });
    assert.deepEqual((await pollTexts(ctx.port, token, 1, { windowMs: WINDOW })).map((t) => JSON.parse(t)),
      [[null, 'h', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]]);
    await by.check();
  });

  server.test('the token in the x-phoenix-longpoll-token header works and wins over the query token', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const one = await newSession(ctx.port);
    const two = await newSession(ctx.port);
    const header = (t) => ({ 'x-phoenix-longpoll-token': t });
    // POST: header only, then header one + query two: both go to session one.
    assert.deepEqual(await postLines(ctx.port, null, [heartbeat('a')], { headers: header(one) }), { status: 200 });
    assert.deepEqual(await postLines(ctx.port, two, [heartbeat('b')], { headers: header(one) }), { status: 200 });
    // GET with query two and header one: session one's frames, under token one.
    const got = [];
    while (got.length < 2) {
      const a = answerOf(await longpollRequest(ctx.port, { token: two, headers: header(one), ms: WINDOW + WAIT }));
      assert.equal(a.token, one);
      assert.ok(a.status === 200 || a.status === 204, JSON.stringify(a));
      got.push(...a.messages.map((m) => JSON.parse(m)[1]));
    }
    assert.deepEqual(got, ['a', 'b']);
    // Session two got nothing: a header-only poll waits out the window.
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { token: null, headers: header(two), ms: WINDOW + WAIT })),
      { status: 204, token: two, messages: [] });
    await by.check();
  });

  server.test('forged or altered tokens do not verify: GET opens a new session (new token), POST answers {status 410}', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port);
    const other = await newSession(ctx.port);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flip = (s, i) => s.slice(0, i) + alphabet[(alphabet.indexOf(s[i]) + 1) % 64] + s.slice(i + 1);
    const forged = [
      'garbage',
      flip(token, Math.floor(token.length / 2)),
      flip(token, token.length - 1),
      flip(token, 0),
      `${token}=`,
      `${token}x`,
      token.slice(0, -1),
    ];
    if (token.includes('.')) {
      // The id of one session with the signature of another.
      forged.push(`${token.split('.')[0]}.${other.split('.').slice(1).join('.')}`);
    }
    for (const f of forged) {
      assert.notEqual(f, token);
      assert.deepEqual(await postLines(ctx.port, f, [heartbeat('forged')]), { status: 410 }, `POST with ${f}`);
      const a = answerOf(await longpollRequest(ctx.port, { token: f }), `GET with ${f}`);
      assert.equal(a.status, 410, `GET with ${f}: ${JSON.stringify(a)}`);
      assert.ok(a.token !== f && a.token !== token && a.token !== other, `GET with ${f} got token ${a.token}`);
      assert.deepEqual(a.messages, []);
    }
    // The genuine session is untouched and got none of the forged heartbeats.
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('real')]), { status: 200 });
    assert.deepEqual((await pollTexts(ctx.port, token, 1, { windowMs: WINDOW })).map((t) => JSON.parse(t)[1]), ['real']);
    await by.check();
  });

  server.test('a second GET answers the waiting one 204 at once; frames go to the newest poll', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port);
    const t0 = Date.now();
    const older = longpollRequest(ctx.port, { token, ms: WINDOW + WAIT }).then((r) => ({ r, at: Date.now() - t0 }));
    await sleep(100);
    const newer = longpollRequest(ctx.port, { token, ms: WINDOW + WAIT });
    const { r, at } = await older;
    assert.deepEqual(answerOf(r), { status: 204, token, messages: [] });
    // On its own the older poll would have waited the whole window.
    assert.ok(at < 100 + scaled(250, 350), `the older poll was answered after ${at} ms (window ${WINDOW} ms)`);
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('n')]), { status: 200 });
    const a = answerOf(await newer);
    assert.equal(a.status, 200, JSON.stringify(a));
    assert.deepEqual(a.messages.map((m) => JSON.parse(m)[1]), ['n']);
    await by.check();
  });

  server.test('POST of more than 100 frames or a line over --max-frame-size: {status 413}, nothing delivered, the session goes on', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const c = await lpClient(ctx);
    const { joinRef } = await c.join('room:lp-413');
    const pings = (tag, n) => Array.from({ length: n }, (_, i) => ping(joinRef, `${tag}${i}`, 'room:lp-413', { i }));

    assert.deepEqual(answerOf(await c.post(pings('over', 101))), { status: 413 });
    // Exactly 100 (with empty lines, which do not count) is fine.
    assert.deepEqual(answerOf(await c.post([...pings('ok', 50), '', '', ...pings('ok', 100).slice(50), ''])), { status: 200 });
    for (let i = 0; i < 100; i++) assert.deepEqual((await c.reply(`ok${i}`)).payload, { status: 'ok', response: { i } });

    const big = 'x'.repeat(MAX_FRAME);
    assert.deepEqual(answerOf(await c.post([ping(joinRef, 'small', 'room:lp-413'), ping(joinRef, 'big', 'room:lp-413', { big })])),
      { status: 413 });
    // A line just under the limit is taken.
    const fits = 'y'.repeat(MAX_FRAME - 100);
    assert.deepEqual((await c.call({ join_ref: joinRef, topic: 'room:lp-413', event: 'ping', payload: { fits } })).payload,
      { status: 'ok', response: { fits } });
    assert.deepEqual((await c.call({ join_ref: joinRef, topic: 'room:lp-413', event: 'ping', payload: { after: 1 } })).payload,
      { status: 'ok', response: { after: 1 } });
    // Replies come in order: none of a refused POST can still be on its way.
    const refused = c.all.filter((m) => typeof m.ref === 'string' && /^(over|small|big)/.test(m.ref));
    assert.deepEqual(refused, [], 'frames of a refused POST were delivered');
    assert.ok(c.isOpen);
    assert.equal(logLines(ctx.server, /refusing a long-poll POST .*\(413\)/), 2);
    await by.check();
  });

  server.test('a line neither JSON nor base64: {status 400}, nothing of that POST delivered, the session goes on', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const c = await lpClient(ctx);
    const { joinRef } = await c.join('room:lp-400');
    for (const bad of ['not base64!', '%%%%', 'QUJD$']) {
      assert.deepEqual(answerOf(await c.post([ping(joinRef, 'before', 'room:lp-400'), bad])), { status: 400 }, bad);
    }
    assert.deepEqual((await c.call({ join_ref: joinRef, topic: 'room:lp-400', event: 'ping', payload: { still: 1 } })).payload,
      { status: 'ok', response: { still: 1 } });
    assert.ok(!c.all.some((m) => m.ref === 'before'), 'a frame of a refused POST was delivered');
    assert.ok(c.isOpen);
    assert.equal(logLines(ctx.server, /refusing a long-poll POST .*\(400\)/), 3);
    await by.check();
  });

  server.test('a frame that is not a Phoenix frame ends the session: POST {status 400} (1007 logged), then GET {status 410} (no token), POST {status 410}', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await joinedSession(ctx.port, 'room:lp-bad', WINDOW);
    assert.deepEqual(await postLines(ctx.port, token, ['["1","4","room:lp-bad","ping",{"x":1']), { status: 400 });
    await eventually(() => logLines(ctx.server, /closing connection \(1007/) >= 1, WAIT, 'the 1007 close logged');
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT }), 'GET after the end'), { status: 410 });
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('late')]), { status: 410 });
    // That 410 was the session's last word: now the token names no session,
    // and a GET with it connects anew.
    const again = answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT }), 'GET again');
    assert.equal(again.status, 410);
    assert.notEqual(again.token, token);
    await by.check();
  });

  server.test('a foreign Origin gets {status 403} on GET, POST and OPTIONS; the own origin is served', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const evil = { origin: 'http://evil.example' };
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { headers: evil }), 'GET, foreign origin'), { status: 403 });
    const token = await joinedSession(ctx.port, 'room:lp-origin', WINDOW);
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { token, headers: evil }), 'poll, foreign origin'), { status: 403 });
    assert.deepEqual(await postLines(ctx.port, token, [ping('1', 'evil', 'room:lp-origin')], { headers: evil }), { status: 403 });
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { method: 'OPTIONS', headers: evil }), 'OPTIONS, foreign origin'),
      { status: 403 });
    // The refused POST delivered nothing: the session's next poll waits out the window.
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT })), { status: 204, token, messages: [] });
    // The server's own origin (host check): a session, and polls.
    const own = { origin: `http://127.0.0.1:${ctx.port}` };
    const ownToken = await newSession(ctx.port, { headers: own });
    assert.deepEqual(await postLines(ctx.port, ownToken, [heartbeat('own')], { headers: own }), { status: 200 });
    assert.equal(answerOf(await longpollRequest(ctx.port, { token: ownToken, headers: own })).status, 200);
    assert.ok(logLines(ctx.server, /refusing long-poll request .*origin "http:\/\/evil\.example"/) >= 4);
    await by.check();
  });

  server.test('OPTIONS: HTTP 200, empty body, the CORS headers (requested headers echoed)', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    for (const origin of [undefined, `http://127.0.0.1:${ctx.port}`]) {
      const headers = { 'access-control-request-headers': 'x-phoenix-longpoll-token, content-type', 'access-control-request-method': 'POST' };
      if (origin) headers.origin = origin;
      const r = await longpollRequest(ctx.port, { method: 'OPTIONS', headers });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, '');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.equal(r.headers['access-control-allow-headers'], 'x-phoenix-longpoll-token, content-type');
      assert.equal(r.headers['access-control-allow-methods'], 'get, post, options');
      assert.equal(r.headers['access-control-max-age'], '3600');
    }
    await by.check();
  });

  server.test('any other method (PUT, DELETE, PATCH) is HTTP 400 with an empty body', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port);
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await longpollRequest(ctx.port, { method, token, body: [heartbeat('x')] });
      assert.equal(r.status, 400, `${method}: HTTP ${r.status}`);
      assert.equal(r.text, '', method);
      assert.equal(r.headers['access-control-allow-origin'], '*', method);
    }
    // None of them touched the session.
    assert.deepEqual(answerOf(await longpollRequest(ctx.port, { token, ms: WINDOW + WAIT })), { status: 204, token, messages: [] });
    await by.check();
  });

  server.test('an unsupported vsn (3.0.0, garbage) is {status 403}; no vsn is V1', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    for (const vsn of ['3.0.0', 'x']) {
      assert.deepEqual(answerOf(await longpollRequest(ctx.port, { vsn }), `vsn ${vsn}`), { status: 403 });
    }
    assert.equal(logLines(ctx.server, /refusing long-poll connect .*transport version "3\.0\.0"/), 1);
    await newSession(ctx.port, { vsn: null });
    await newSession(ctx.port, { vsn: '1.0.0' });
    await by.check();
  });

  server.test('V1 long-poll (no vsn): a JSON object POSTed as application/json; the reply is the V1 text a WebSocket gets; 413 over --max-frame-size', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const token = await newSession(ctx.port, { vsn: null });
    const join = '{"topic":"room:v1","event":"phx_join","payload":{},"ref":"1"}';
    assert.deepEqual(await postLines(ctx.port, token, undefined, { vsn: null, body: join, contentType: 'application/json' }),
      { status: 200 });
    const [text] = await pollTexts(ctx.port, token, 1, { windowMs: WINDOW });
    const reply = JSON.parse(text);
    assert.ok(reply !== null && typeof reply === 'object' && !Array.isArray(reply), `not a V1 object: ${text}`);
    assert.deepEqual([reply.topic, reply.event, reply.ref, reply.payload],
      ['room:v1', 'phx_reply', '1', { status: 'ok', response: { joined: 'room:v1', params: {} } }]);
    const ws = await ctx.raw({ codec: 'v1' });
    ws.sendText(join);
    assert.equal(text, (await ws.next()).text, 'the same text as over a V1 WebSocket');
    // The raw client speaks V1 too: a ping and a shout heard by the V1 WebSocket.
    const c = await lpClient(ctx, { codec: 'v1' });
    await c.join('room:v1');
    assert.deepEqual((await c.call({ topic: 'room:v1', event: 'ping', payload: { v: 1 } })).payload, { status: 'ok', response: { v: 1 } });
    // A V1 body is one frame: over --max-frame-size it is refused (413), the session goes on.
    const big = JSON.stringify({ topic: 'room:v1', event: 'ping', payload: { big: 'x'.repeat(MAX_FRAME) }, ref: 'big' });
    assert.deepEqual(answerOf(await c.post(big, { contentType: 'application/json' })), { status: 413 });
    assert.deepEqual((await c.call({ topic: 'room:v1', event: 'ping', payload: { v: 2 } })).payload, { status: 'ok', response: { v: 2 } });
    assert.ok(!c.all.some((m) => m.ref === 'big'));
    c.send({ topic: 'room:v1', event: 'shout', payload: { from: 'lp' } });
    assert.deepEqual((await ws.next((m) => m.event === 'shout')).payload, { from: 'lp' });
    await by.check();
  });
});

describe('long-poll session expiry (--longpoll-window-ms 300)', () => {
  const WINDOW = 300;
  const server = useServer(['--longpoll-window-ms', String(WINDOW)]);

  server.test('a session not polled is closed within 1.5-3 windows; its token then opens a new session; a polling one lives on', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW });
    const polling = await ctx.lp({ windowMs: WINDOW });
    const { joinRef } = await polling.join('room:lp-expiry');
    const token = await joinedSession(ctx.port, 'room:lp-expiry', WINDOW);
    const stoppedAt = Date.now();
    await eventually(() => logLines(ctx.server, /closing long-poll session: no poll for/) >= 1, scaled(2000, 4000),
      'the expiry logged');
    const after = Date.now() - stoppedAt;
    assert.ok(after >= WINDOW * 1.5 - 50, `closed after ${after} ms`);
    await sleep(Math.max(0, 1500 - after));
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('late')]), { status: 410 });
    const a = answerOf(await longpollRequest(ctx.port, { token }), 'GET with the expired token');
    assert.equal(a.status, 410);
    assert.notEqual(a.token, token, 'the expired token must open a new session');
    // Only the abandoned session was closed; the polling client still works
    // (its channel on the same topic too).
    assert.equal(logLines(ctx.server, /closing long-poll session: no poll for/), 1);
    assert.deepEqual((await polling.call({ join_ref: joinRef, topic: 'room:lp-expiry', event: 'ping', payload: { p: 1 } })).payload,
      { status: 'ok', response: { p: 1 } });
    assert.ok(polling.polls.length >= 3 && polling.polls.every((s) => s === 200 || s === 204), JSON.stringify(polling.polls));
    await by.check();
  });
});

describe('long-poll session cap (--max-longpoll-sessions 3)', () => {
  const WINDOW = 300;
  const server = useServer(['--longpoll-window-ms', String(WINDOW), '--max-longpoll-sessions', '3']);

  server.test('past the cap a new session gets HTTP 503 (logged once), open ones are served, and expired ones free their places', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: WINDOW }); // one of the 3
    const a = await joinedSession(ctx.port, 'room:lp-cap', WINDOW);
    await newSession(ctx.port); // the third place
    for (let i = 0; i < 5; i++) {
      const refused = await longpollRequest(ctx.port, {});
      assert.equal(refused.status, 503, `GET #${i} past the cap: HTTP ${refused.status} ${refused.text}`);
      assert.equal(refused.text, '');
    }
    assert.equal(logLines(ctx.server, /refusing long-poll connects .*\(503\)/), 1, 'logged once, not per refusal');
    // The sessions that exist are unharmed.
    assert.deepEqual(await postLines(ctx.port, a, [ping('1', '2', 'room:lp-cap', { still: 'here' })]), { status: 200 });
    const [reply] = await pollTexts(ctx.port, a, 1, { windowMs: WINDOW });
    assert.deepEqual(JSON.parse(reply)[4], { status: 'ok', response: { still: 'here' } });
    await by.check();
    // The two raw sessions stop polling: once they expire, new ones fit again.
    await eventually(() => logLines(ctx.server, /closing long-poll session: no poll for/) >= 2,
      scaled(3000, 6000), 'both sessions expired');
    await newSession(ctx.port);
    await by.check();
  });
});

describe('long-poll tokens across servers (--secret-key-base)', () => {
  const KEY_A = 'a'.repeat(24) + '-first-secret-key-base';
  const KEY_B = 'b'.repeat(24) + '-other-secret-key-base';
  const server = useServer(['--longpoll-window-ms', '500', '--secret-key-base', KEY_A]);
  const sameKey = useServer(['--longpoll-window-ms', '500', '--secret-key-base', KEY_A]);
  const otherKey = useServer(['--longpoll-window-ms', '500', '--secret-key-base', KEY_B]);

  server.test('a token of another server (other key, or the same key) is unknown there: GET new session, POST {status 410}', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: 500 });
    assert.equal(logLines(ctx.server, /no secret_key_base configured/), 0, 'a configured key is not announced as generated');
    const token = await joinedSession(ctx.port, 'room:keys', 500);
    for (const [name, other] of [['another key', otherKey.server], ['the same key', sameKey.server]]) {
      assert.deepEqual(await postLines(other.port, token, [heartbeat('foreign')]), { status: 410 }, `POST on ${name}`);
      const a = answerOf(await longpollRequest(other.port, { token }), `GET on ${name}`);
      assert.equal(a.status, 410, `${name}: ${JSON.stringify(a)}`);
      assert.notEqual(a.token, token, name);
      // and the way back: that server's token is unknown here
      assert.deepEqual(await postLines(ctx.port, a.token, [heartbeat('back')]), { status: 410 }, `${name}'s token here`);
    }
    // The token still works where it came from, and heard nothing foreign.
    assert.deepEqual(await postLines(ctx.port, token, [heartbeat('home')]), { status: 200 });
    assert.deepEqual((await pollTexts(ctx.port, token, 1, { windowMs: 500 })).map((t) => JSON.parse(t)[1]), ['home']);
    await by.check();
  });
});

test('a --secret-key-base under 32 characters is refused at start', { timeout: TEST_TIMEOUT }, async () => {
  const proc = spawn(BIN, ['--port', '0', '--secret-key-base', 'x'.repeat(31)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const { code } = await withTimeout(exit, WAIT, 'phx-echo to refuse the short key');
    assert.notEqual(code, 0, out);
    assert.match(out, /--secret-key-base/);
  } finally {
    proc.kill('SIGKILL');
  }
});

// ---- the stock client --------------------------------------------------------------

describe('fallback to long-poll (--no-websocket)', () => {
  const server = useServer(['--no-websocket', '--longpoll-window-ms', '2000']);

  /** A session store as the stock client wants it (sessionStorage). */
  const sessionStore = () => {
    const items = new Map();
    return { items, getItem: (k) => (items.has(k) ? items.get(k) : null), setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
  };

  server.test('the WebSocket upgrade is HTTP 404; the stock client (WebSocket, longPollFallbackMs) falls back and chats', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: 2000, websocket: false });
    assert.equal(await upgradeStatus(ctx.port), 404);
    const store = sessionStore();
    const fallback = { transport: WebSocket, longPollFallbackMs: 300, sessionStorage: store };
    const alice = await ctx.phx({ ...fallback, params: { user_id: 'alice' } });
    assert.equal(alice.transport, LongPoll, 'alice fell back to LongPoll');
    assert.ok(alice.conn instanceof LongPoll);
    // The fallback is memorized; the next client (same store) goes straight to long-poll.
    assert.equal(store.items.get('phx:fallback:LongPoll'), 'true');
    const bob = await ctx.phx({ ...fallback, params: { user_id: 'bob' } });
    assert.equal(bob.transport, LongPoll);
    // A third one with a fresh store falls back on its own.
    const carol = await ctx.phx({ ...fallback, sessionStorage: sessionStore() });
    assert.equal(carol.transport, LongPoll);

    const a = await phxJoin(alice, 'room:fallback');
    const b = await phxJoin(bob, 'room:fallback');
    assert.equal(a.status, 'ok');
    assert.equal(b.status, 'ok');
    assert.deepEqual(await outcome(a.channel.push('assigns', {})), { status: 'ok', response: { user_id: 'alice' } });
    // shout reaches the sender too: wait for both deliveries each time.
    for (const [from, name] of [[a.channel, 'alice'], [b.channel, 'bob']]) {
      const heard = [nextEvent(a.channel, 'shout'), nextEvent(b.channel, 'shout')];
      from.push('shout', { from: name });
      assert.deepEqual(await Promise.all(heard), [{ from: name }, { from: name }]);
    }
    assert.ok(alice.isConnected() && bob.isConnected());
    await by.check();
  });
});

describe('a room shared by long-poll and WebSocket clients', () => {
  const server = useServer(['--longpoll-window-ms', '2000']);

  server.test('shout reaches both transports (sender included); shout_from skips only the sender', async (ctx) => {
    const by = await bystanders(ctx, { windowMs: 2000 });
    const lp = await ctx.phx({ transport: 'longpoll' });
    const ws = await ctx.phx({ transport: 'websocket' });
    assert.ok(lp.conn instanceof LongPoll);
    const l = (await phxJoin(lp, 'room:mix')).channel;
    const w = (await phxJoin(ws, 'room:mix')).channel;
    const lpShouts = collect(l, 'shout');
    const wsShouts = collect(w, 'shout');
    // One broadcast; returns once it reached whom it must, and a ping on
    // both channels came back after it (so a stray delivery would be in).
    const shout = async (from, event, expectLp, expectWs) => {
      const m = `${event} from ${from === l ? 'long-poll' : 'WebSocket'}`;
      from.push(event, { m });
      if (expectLp) await eventually(() => lpShouts.some((p) => p.m === m), WAIT, `${m} at the long-poll client`);
      if (expectWs) await eventually(() => wsShouts.some((p) => p.m === m), WAIT, `${m} at the WebSocket client`);
      await outcome(from.push('ping', {}));
      await outcome((from === l ? w : l).push('ping', {}));
      await sleep(100);
      return m;
    };
    const m1 = await shout(l, 'shout', true, true);
    const m2 = await shout(w, 'shout', true, true);
    const m3 = await shout(l, 'shout_from', false, true);
    const m4 = await shout(w, 'shout_from', true, false);
    assert.deepEqual(lpShouts.map((p) => p.m), [m1, m2, m4]);
    assert.deepEqual(wsShouts.map((p) => p.m), [m1, m2, m3]);
    // The HTTP broadcast API reaches both as well.
    const viaApi = [nextEvent(l, 'shout'), nextEvent(w, 'shout')];
    assert.equal((await ctx.post({ topic: 'room:mix', event: 'shout', payload: { api: true } })).status, 202);
    assert.deepEqual(await Promise.all(viaApi), [{ api: true }, { api: true }]);
    await by.check();
  });
});
