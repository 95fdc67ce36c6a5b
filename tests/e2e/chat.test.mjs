// Browser end-to-end test of the chat demo: Debian's chromium, driven by
// playwright-core, opens the page served by phx-chat as two users and checks
// that a message typed by one shows up for both, that a later page sees
// the room's history, that a page forced onto long-poll chats with a
// WebSocket page, and that the member list (Presence) shows who is in the
// room with how many tabs.
//
//   node --test tests/e2e/            (PHX_CHAT_BIN overrides the binary)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { HOST, buildPath, sleep, startServer, stopServer } from '../support/server_process.mjs';

const BIN = process.env.PHX_CHAT_BIN || buildPath('apps/chat/phx-chat');
const WAIT = 10_000;          // every single wait is bounded by this
const TEST_TIMEOUT = 60_000;  // and every test by this

let server;          // from startServer: { proc, port, log() }
let browser;
const pages = [];    // every page opened, for screenshots on failure

// ---- browser ----------------------------------------------------------------

before(async () => {
  server = await startServer(BIN, [], { waitMs: WAIT });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    timeout: WAIT * 3,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Only 127.0.0.1: any other host name fails to resolve.
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${HOST}`,
    ],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopServer(server);
});

/** A fresh browser context (its own cookies and storage) on the chat page. */
async function openChat(label, query = '') {
  const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.errors.push(`${msg.text()} (${msg.location().url})`);
  });
  // How the page talks to the server: HTTP requests under /socket/ (long-poll)
  // and WebSockets opened (Chromium reports those apart from requests).
  page.socketRequests = [];
  page.webSockets = [];
  page.on('request', (req) => {
    const { pathname } = new URL(req.url());
    if (pathname.startsWith('/socket/')) page.socketRequests.push(`${req.method()} ${pathname}`);
  });
  page.on('websocket', (ws) => page.webSockets.push(new URL(ws.url()).pathname));
  pages.push({ label, page });
  await page.goto(`http://${HOST}:${server.port}/${query}`, { timeout: WAIT });
  return page;
}

async function joinRoom(page, name, room) {
  await page.fill('#name', name);
  if (room !== undefined) await page.fill('#room', room);
  await page.click('#join');
  // The input is enabled once the join reply is ok.
  await page.locator('#body:enabled').waitFor({ timeout: WAIT });
}

async function waitForStatus(page, text) {
  await page.waitForFunction((t) => document.querySelector('#status')?.textContent.trim() === t,
                             text, { timeout: WAIT });
}

/** The `.msg` element whose text has `body`; waits until it is there. */
async function waitForMessage(page, name, body) {
  const msg = page.locator('#messages .msg', { hasText: body });
  await msg.first().waitFor({ timeout: WAIT });
  const text = await msg.first().textContent();
  assert.ok(text.includes(name), `message "${text}" should name its sender ${name}`);
  return msg;
}

async function messageBodies(page) {
  return page.locator('#messages .msg').allTextContents();
}

/** The member list's names, as shown (e.g. "ivy (2 tabs)"), in order. */
async function memberTexts(page) {
  return page.locator('#members li').allTextContents();
}

/** Waits until `page` lists `name` with `tabs` open tabs; 0: not listed. */
async function waitForMember(page, name, tabs) {
  const li = `#members li[data-name="${name}"]`;
  if (tabs === 0) await page.locator(li).waitFor({ state: 'detached', timeout: WAIT });
  else await page.locator(`${li}[data-tabs="${tabs}"]`).waitFor({ timeout: WAIT });
}

/** Closes the page with its browser context: its socket closes, as a closed tab's does. */
async function closeChat(page) {
  await page.context().close();
}

/** Runs `body`; on failure prints the server's output and screenshots every page. */
function withDiagnostics(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      console.error(`---- ${BIN} output ----\n${server?.log() ?? '(no server)'}\n---- end ----`);
      for (const { label, page } of pages) {
        if (page.isClosed()) continue;
        const file = path.join(os.tmpdir(), `phx-chat-e2e-${label}-${Date.now()}.png`);
        try {
          await page.screenshot({ path: file, timeout: 5000 });
          console.error(`screenshot of ${label}: ${file}`);
        } catch (e) {
          console.error(`screenshot of ${label} failed: ${e.message}`);
        }
        if (page.errors.length) console.error(`${label} page errors:\n  ${page.errors.join('\n  ')}`);
      }
      throw err;
    }
  };
}

// ---- tests ------------------------------------------------------------------

test('two users chat in the same room', { timeout: TEST_TIMEOUT }, withDiagnostics(async () => {
  const alice = await openChat('alice');
  const bob = await openChat('bob');
  assert.equal(await alice.inputValue('#room'), 'lobby', 'the room defaults to lobby');

  await joinRoom(alice, 'alice');            // default room: lobby
  await joinRoom(bob, 'bob', 'lobby');
  await waitForStatus(alice, 'connected');
  await waitForStatus(bob, 'connected');

  // alice, already in the room, is told that bob joined.
  await alice.locator('#messages .system', { hasText: 'bob joined' }).waitFor({ timeout: WAIT });

  // alice sends with Enter, bob with the Send button.
  await alice.fill('#body', 'hello from alice');
  await alice.press('#body', 'Enter');
  await waitForMessage(bob, 'alice', 'hello from alice');
  await waitForMessage(alice, 'alice', 'hello from alice');
  assert.equal(await alice.inputValue('#body'), '', 'the input is cleared after sending');

  await bob.fill('#body', 'hi alice, bob here');
  await bob.click('#send');
  await waitForMessage(alice, 'bob', 'hi alice, bob here');
  await waitForMessage(bob, 'bob', 'hi alice, bob here');

  // User text is shown as text, never parsed as HTML.
  const markup = '<img src=x onerror="window.pwned=1"><b>bold?</b>';
  await alice.fill('#body', markup);
  await alice.press('#body', 'Enter');
  const shown = await waitForMessage(bob, 'alice', markup);
  assert.equal(await shown.locator('img, b').count(), 0, 'no element made from user text');
  assert.equal(await bob.evaluate(() => window.pwned), undefined);
  await waitForMessage(alice, 'alice', markup);

  // Each message arrived exactly once, in order, for both.
  for (const page of [alice, bob]) {
    const bodies = await messageBodies(page);
    assert.equal(bodies.length, 3, `three messages, got ${JSON.stringify(bodies)}`);
    assert.ok(bodies[0].includes('hello from alice') && bodies[1].includes('hi alice, bob here'));
  }
  assert.deepEqual(alice.errors, [], 'no errors on alice\'s page');
  assert.deepEqual(bob.errors, [], 'no errors on bob\'s page');
}));

test('switching rooms leaves the previous one', { timeout: TEST_TIMEOUT }, withDiagnostics(async () => {
  const carol = await openChat('carol');
  const dave = await openChat('dave');
  await joinRoom(carol, 'carol', 'garden');
  await joinRoom(dave, 'dave', 'garden');
  await waitForStatus(dave, 'connected');

  await joinRoom(dave, 'dave', 'kitchen');   // dave moves on
  await carol.fill('#body', 'still in the garden');
  await carol.press('#body', 'Enter');
  await waitForMessage(carol, 'carol', 'still in the garden');

  await dave.fill('#body', 'now in the kitchen');
  await dave.press('#body', 'Enter');
  await waitForMessage(dave, 'dave', 'now in the kitchen');
  // Both saw their own message, so a copy for the wrong room would have been
  // sent at the same time: a short grace is enough to catch it.
  await sleep(300);
  assert.ok(!(await messageBodies(dave)).some((b) => b.includes('still in the garden')),
            'dave no longer gets the garden');
  assert.ok(!(await messageBodies(carol)).some((b) => b.includes('now in the kitchen')),
            'carol does not get the kitchen');
  assert.deepEqual(dave.errors, [], 'no errors on dave\'s page');
}));

test('a page joining later sees the room\'s history first', { timeout: TEST_TIMEOUT }, withDiagnostics(async () => {
  const erin = await openChat('erin');
  await joinRoom(erin, 'erin', 'attic');
  for (const body of ['first in the attic', 'second in the attic']) {
    await erin.fill('#body', body);
    await erin.press('#body', 'Enter');
    await waitForMessage(erin, 'erin', body);
  }
  // erin joined an empty room: no history lines for her.
  assert.equal(await erin.locator('#messages .history').count(), 0);

  const frank = await openChat('frank');
  await joinRoom(frank, 'frank', 'attic');
  const history = frank.locator('#messages .msg.history');
  await history.nth(1).waitFor({ timeout: WAIT });
  const past = await history.allTextContents();
  assert.equal(past.length, 2, `two remembered messages, got ${JSON.stringify(past)}`);
  assert.ok(past[0].includes('erin') && past[0].includes('first in the attic'), past[0]);
  assert.ok(past[1].includes('second in the attic'), past[1]);

  // A live message lands below the history, once.
  await erin.fill('#body', 'live in the attic');
  await erin.press('#body', 'Enter');
  await waitForMessage(frank, 'erin', 'live in the attic');
  const bodies = await messageBodies(frank);
  assert.equal(bodies.length, 3, `history then the live message, got ${JSON.stringify(bodies)}`);
  assert.ok(bodies[2].includes('live in the attic'));
  assert.deepEqual(frank.errors, [], 'no errors on frank\'s page');
}));

test('a page forced onto long-poll chats with a WebSocket page', { timeout: TEST_TIMEOUT }, withDiagnostics(async () => {
  const gina = await openChat('gina');                          // WebSocket
  await joinRoom(gina, 'gina', 'cellar');
  await gina.fill('#body', 'before the long-poll page');
  await gina.press('#body', 'Enter');
  await waitForMessage(gina, 'gina', 'before the long-poll page');

  const hal = await openChat('hal', '?transport=longpoll');
  await joinRoom(hal, 'hal', 'cellar');
  await waitForStatus(hal, 'connected');
  await gina.locator('#messages .system', { hasText: 'hal joined' }).waitFor({ timeout: WAIT });

  // The history reaches the long-poll page too.
  const history = hal.locator('#messages .msg.history');
  await history.first().waitFor({ timeout: WAIT });
  const past = await history.allTextContents();
  assert.equal(past.length, 1, `one remembered message, got ${JSON.stringify(past)}`);
  assert.ok(past[0].includes('gina') && past[0].includes('before the long-poll page'), past[0]);

  await hal.fill('#body', 'hello over long-poll');
  await hal.press('#body', 'Enter');
  await waitForMessage(gina, 'hal', 'hello over long-poll');
  await waitForMessage(hal, 'hal', 'hello over long-poll');

  await gina.fill('#body', 'hello over websocket');
  await gina.click('#send');
  await waitForMessage(hal, 'gina', 'hello over websocket');
  await waitForMessage(gina, 'gina', 'hello over websocket');

  // Each message arrived exactly once, in order, for both.
  for (const page of [gina, hal]) {
    const bodies = await messageBodies(page);
    assert.equal(bodies.length, 3, `three messages, got ${JSON.stringify(bodies)}`);
    assert.ok(bodies[1].includes('hello over long-poll') && bodies[2].includes('hello over websocket'));
  }

  // hal really polled (GET) and sent (POST) over long-poll, and never opened a WebSocket.
  assert.deepEqual(hal.webSockets, [], 'no WebSocket on the long-poll page');
  const kinds = new Set(hal.socketRequests);
  assert.deepEqual([...kinds].sort(), ['GET /socket/longpoll', 'POST /socket/longpoll'],
                   `long-poll requests only, got ${JSON.stringify(hal.socketRequests)}`);
  // gina stayed on the WebSocket.
  assert.deepEqual(gina.webSockets, ['/socket/websocket']);
  assert.deepEqual(gina.socketRequests, [], 'no long-poll request on the WebSocket page');
  assert.deepEqual(gina.errors, [], 'no errors on gina\'s page');
  assert.deepEqual(hal.errors, [], 'no errors on hal\'s page');
}));

test('the member list shows who is in the room, with their tabs', { timeout: TEST_TIMEOUT }, withDiagnostics(async () => {
  const ivy = await openChat('ivy');
  await joinRoom(ivy, 'ivy', 'porch');
  await waitForMember(ivy, 'ivy', 1);                 // she sees herself

  // A second user appears for both, and leaves when his page closes.
  const jack = await openChat('jack');
  await joinRoom(jack, 'jack', 'porch');
  await waitForMember(ivy, 'jack', 1);
  await waitForMember(jack, 'ivy', 1);
  await waitForMember(jack, 'jack', 1);
  assert.deepEqual(await memberTexts(ivy), ['ivy', 'jack']);
  assert.deepEqual(await memberTexts(jack), ['ivy', 'jack']);
  assert.deepEqual(jack.errors, [], 'no errors on jack\'s page');
  await closeChat(jack);
  await waitForMember(ivy, 'jack', 0);
  assert.deepEqual(await memberTexts(ivy), ['ivy']);

  // ivy in a second tab: one name, two tabs; one again when that tab closes.
  const ivy2 = await openChat('ivy-2');
  await joinRoom(ivy2, 'ivy', 'porch');
  await waitForMember(ivy, 'ivy', 2);
  await waitForMember(ivy2, 'ivy', 2);
  assert.deepEqual(await memberTexts(ivy), ['ivy (2 tabs)']);
  assert.deepEqual(await memberTexts(ivy2), ['ivy (2 tabs)']);
  assert.deepEqual(ivy2.errors, [], 'no errors on ivy\'s second page');
  await closeChat(ivy2);
  await waitForMember(ivy, 'ivy', 1);
  assert.deepEqual(await memberTexts(ivy), ['ivy']);

  assert.deepEqual(ivy.errors, [], 'no errors on ivy\'s page');
  await closeChat(ivy);
}));

// The page's socket authenticates with a Phoenix.Token from POST /token; a
// socket without one (or with a forged one) is refused.
test('the chat socket needs a token the server signed', { timeout: TEST_TIMEOUT }, async () => {
  const base = `http://${HOST}:${server.port}`;
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tess' }),
  });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  assert.match(token, /^SFMyNTY\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const bad = await fetch(`${base}/token`, { method: 'POST', body: '{"name": ""}' });
  assert.equal(bad.status, 400);
  // The WebSocket upgrade: 101 with the token, 403 without or with a forged one.
  const upgrade = (query) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${HOST}:${server.port}/socket/websocket?vsn=2.0.0${query}`);
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, r) => { resolve(r.statusCode); ws.terminate(); });
    ws.on('error', () => {});
  });
  assert.equal(await upgrade(`&token=${encodeURIComponent(token)}`), 101);
  assert.equal(await upgrade(''), 403);
  const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  assert.equal(await upgrade(`&token=${encodeURIComponent(forged)}`), 403);
  // A page that joins connects with its token (the member list shows its name).
  const page = await openChat('tess');
  await joinRoom(page, 'tess', 'tokens');
  await waitForStatus(page, 'connected');
  await waitForMember(page, 'tess', 1);
});
