// Phoenix.Token through echo's room:* events, with the stock phoenix client:
// sign_token → {"token"} in Phoenix's format, verify_token → {"data"}, and the
// failures expired / invalid / missing.
import assert from 'node:assert/strict';
import { useServer, phxJoin, outcome } from './support.mjs';

// --drain-ms 500: a socket not yet seen closed cannot hold the final SIGTERM.
const server = useServer(['--drain-ms', '500']);

const DATA = { id: 7, tags: ['a'] };
const TOKEN = /^SFMyNTY\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

async function tokenChannel(ctx) {
  const socket = await ctx.phx();
  const { channel, status, response } = await phxJoin(socket, 'room:token');
  assert.equal(status, 'ok', JSON.stringify(response));
  const push = (event, payload) => outcome(channel.push(event, payload), event);
  const { status: s, response: r } = await push('sign_token', { salt: 'user auth', data: DATA });
  assert.equal(s, 'ok', `sign_token: ${JSON.stringify(r)}`);
  return { push, token: r.token };
}

// The token with one character of its signature (the last part) changed.
// The first character: every one of its bits counts (the last one of a
// 43-character base64url may carry padding bits only).
function tampered(token) {
  const dot = token.lastIndexOf('.');
  const c = token[dot + 1];
  return `${token.slice(0, dot + 1)}${c === 'A' ? 'B' : 'A'}${token.slice(dot + 2)}`;
}

server.test('sign_token replies ok {"token"} in Phoenix.Token format; verify_token gives the data back', async (ctx) => {
  const { push, token } = await tokenChannel(ctx);
  assert.equal(typeof token, 'string');
  assert.match(token, TOKEN);
  const v = await push('verify_token', { salt: 'user auth', token });
  assert.deepEqual(v, { status: 'ok', response: { data: DATA } });
  // a generous max_age still verifies
  const aged = await push('verify_token', { salt: 'user auth', token, max_age: 86400 });
  assert.deepEqual(aged, { status: 'ok', response: { data: DATA } });
});

server.test('verify_token with max_age 0: error {"reason":"expired"}', async (ctx) => {
  const { push, token } = await tokenChannel(ctx);
  const v = await push('verify_token', { salt: 'user auth', token, max_age: 0 });
  assert.deepEqual(v, { status: 'error', response: { reason: 'expired' } });
});

server.test('a tampered token or a wrong salt: error {"reason":"invalid"}', async (ctx) => {
  const { push, token } = await tokenChannel(ctx);
  const bad = tampered(token);
  assert.notEqual(bad, token);
  assert.deepEqual(await push('verify_token', { salt: 'user auth', token: bad }),
                   { status: 'error', response: { reason: 'invalid' } }, 'tampered signature');
  assert.deepEqual(await push('verify_token', { salt: 'other salt', token }),
                   { status: 'error', response: { reason: 'invalid' } }, 'wrong salt');
});

server.test('"token": null: error {"reason":"missing"}', async (ctx) => {
  const { push } = await tokenChannel(ctx);
  assert.deepEqual(await push('verify_token', { salt: 'user auth', token: null }),
                   { status: 'error', response: { reason: 'missing' } });
});
