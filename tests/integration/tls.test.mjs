// TLS on the main port (--tls-cert FILE --tls-key FILE, PEM): WSS and HTTPS
// only, with client-side verification ON everywhere (every client trusts
// exactly the test certificate or test root, nothing is made insecure).
// The handshake (TLS 1.2 and 1.3, ALPN http/1.1, an untrusting client
// refused); the stock phoenix Socket over wss:// and its LongPoll over
// https://; 1 MiB frames and a burst of 2,000 broadcasts to a reading and a
// paused client (gathered and partial TLS writes); plain HTTP on the TLS
// port (400 "this port speaks HTTPS", then closed); /healthz, /readyz,
// /metrics and the broadcast API over HTTPS, --metrics-port plain; a cert
// file holding a chain; SIGHUP reloading the cert and key (new connections
// get the new certificate, old ones go on; a bad key keeps the old one);
// start errors (one option of the two, a missing, bad or mismatched file);
// PHX_TLS_CERT/PHX_TLS_KEY and tls_cert/tls_key in a --config file.
//
// Certificates are made with the openssl CLI in a temporary directory when
// this file loads; without openssl the file fails with a message saying so.
import { describe, test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {
  useServer, BIN, HOST, WAIT, TEST_TIMEOUT, Socket, LongPoll, WebSocket, RawClient, TcpClient,
  parseResponseHead, parseMetrics, phxJoin, outcome, nextEvent, eventually, sleep, withTimeout,
  httpRequest, freePort, stopServer, launch, killLaunched, logLines, scaled, upgradeStatus,
  destroyRawConnections, connectPhx,
} from './support.mjs';
import { startServer as startProcess } from '../support/server_process.mjs';

// ---- certificates -------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phx-tls-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the openssl CLI (bounded); throws a readable error if it is missing or fails. */
function openssl(args) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error && r.error.code === 'ENOENT') {
    throw new Error('the openssl command-line tool is not installed (not found on PATH): '
      + 'tests/integration/tls.test.mjs makes its certificates with it; install openssl and run again');
  }
  if (r.error) throw new Error(`openssl ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
const FOR_LOOPBACK = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];

/** {certFile, keyFile, cert, key (PEM texts), fingerprint (SHA-256 of the first certificate, as node prints it)}. */
function loaded(certFile, keyFile) {
  const cert = fs.readFileSync(certFile, 'utf8');
  return { certFile, keyFile, cert, key: fs.readFileSync(keyFile, 'utf8'), fingerprint: new crypto.X509Certificate(cert).fingerprint256 };
}

/** A self-signed certificate for 127.0.0.1 in tmp/name/ (`keyArgs`: EC P-256 or RSA 2048). */
function selfSigned(name, keyArgs = EC) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  openssl(['req', '-x509', ...keyArgs, '-nodes', '-days', '2', ...FOR_LOOPBACK, '-keyout', keyFile, '-out', certFile]);
  return loaded(certFile, keyFile);
}

/**
 * root CA → intermediate CA → leaf for 127.0.0.1; the cert file holds the
 * leaf and the intermediate (a chain), `root` is the root's PEM. A client
 * trusting only the root verifies the leaf only if the server sends the
 * intermediate too.
 */
function chained(name) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const f = (n) => path.join(dir, n);
  fs.writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  fs.writeFileSync(f('leaf.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-x509', ...EC, '-nodes', '-days', '2', '-subj', '/CN=phx test root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', f('root.key'), '-out', f('root.pem')]);
  openssl(['req', '-new', ...EC, '-nodes', '-subj', '/CN=phx test intermediate', '-keyout', f('int.key'), '-out', f('int.csr')]);
  openssl(['x509', '-req', '-in', f('int.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-set_serial', '0x1001',
    '-days', '2', '-extfile', f('ca.ext'), '-out', f('int.pem')]);
  openssl(['req', '-new', ...EC, '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('leaf.key'), '-out', f('leaf.csr')]);
  openssl(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('int.pem'), '-CAkey', f('int.key'), '-set_serial', '0x1002',
    '-days', '2', '-extfile', f('leaf.ext'), '-out', f('leaf.pem')]);
  fs.writeFileSync(f('chain.pem'), fs.readFileSync(f('leaf.pem'), 'utf8') + fs.readFileSync(f('int.pem'), 'utf8'));
  return { ...loaded(f('chain.pem'), f('leaf.key')), root: fs.readFileSync(f('root.pem'), 'utf8') };
}

const A = selfSigned('a');                        // EC P-256
const B = selfSigned('b', ['-newkey', 'rsa:2048']); // RSA 2048, for the reload
const CHAIN = chained('chain');

// ---- clients ------------------------------------------------------------------------

// What a test opened, closed after it whatever happened (a phoenix socket
// that reconnects, or a paused socket, would keep this process alive).
const opened = [];
afterEach(() => {
  for (const close of opened.splice(0).reverse()) {
    try { close(); } catch { /* already gone */ }
  }
  destroyRawConnections();
});
after(killLaunched);

/**
 * The transport the stock client gets for wss://: ws's WebSocket trusting
 * `ca` (a PEM or a list), so that the certificate is verified against it,
 * not accepted blindly.
 */
function trustingWebSocket(ca) {
  return class TrustingWebSocket extends WebSocket {
    constructor(url, protocols) { super(url, protocols, { ca }); }
  };
}

/**
 * The stock client's LongPoll sends its requests with the global fetch
 * (Node has no XMLHttpRequest). Node 20's fetch cannot be given a CA (its
 * undici Agent is not exported; NODE_EXTRA_CA_CERTS is only read at
 * start), so while this is installed, fetch calls to https://127.0.0.1 go
 * through https.request with an agent trusting `ca` (verification on, kept
 * alive as a browser would); every other call goes to the real fetch.
 * Returns {requests (method, path, status, TLS protocol, authorized), restore()}.
 */
function installTrustingFetch(ca) {
  const original = globalThis.fetch;
  const agent = new https.Agent({ ca, keepAlive: true });
  const requests = [];
  const abortError = () => new DOMException('This operation was aborted', 'AbortError');
  globalThis.fetch = (input, init = {}) => {
    const url = new URL(String(input));
    if (url.protocol !== 'https:' || url.hostname !== HOST) return original(input, init);
    const { signal, body } = init;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(abortError()); return; }
      const headers = { ...(init.headers ?? {}) };
      if (body !== undefined && body !== null) headers['content-length'] = Buffer.byteLength(body);
      const req = https.request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        // (read now: a kept-alive socket leaves the response at its end)
        const protocol = res.socket.getProtocol();
        const { authorized } = res.socket;
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          requests.push({ method: req.method, path: url.pathname, status: res.statusCode, protocol, authorized });
          resolve({ ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, headers: res.headers,
                    text: async () => text, json: async () => JSON.parse(text) });
        });
      });
      req.on('error', (e) => reject(signal?.aborted ? abortError() : new TypeError('fetch failed', { cause: e })));
      signal?.addEventListener('abort', () => req.destroy(abortError()), { once: true });
      req.end(body ?? undefined);
    });
  };
  return { requests, restore() { globalThis.fetch = original; agent.destroy(); } };
}

/**
 * A connected phoenix Socket on wss://127.0.0.1:port/socket: `transport`
 * 'websocket' (ws trusting `ca`) or 'longpoll' (the stock LongPoll, which
 * turns the URL into https://; needs installTrustingFetch). Closed after
 * the test.
 */
async function connectTls(port, { ca, transport = 'websocket', ...opts } = {}) {
  const socket = await connectPhx(port, {
    secure: true, transport: transport === 'longpoll' ? 'longpoll' : trustingWebSocket(ca), ...opts,
  });
  opened.push(() => socket.disconnect());
  return socket;
}

/** A raw V2 WebSocket client (support.mjs's RawClient) over wss:// trusting `ca`. */
async function wssRaw(port, ca, opts = {}) {
  const c = new RawClient(port, { scheme: 'wss', wsOptions: { ca }, ...opts });
  opened.push(() => c.terminate());
  await withTimeout(c.opened, WAIT, `WSS open ${c.url}`);
  return c;
}

/**
 * One TLS handshake with the main port (node's tls, verifying against `ca`);
 * resolves {fingerprint, subject, protocol, alpn, authorized} and closes.
 */
function tlsHandshake(port, { ca, ...opts } = {}, ms = WAIT) {
  let sock;
  const p = new Promise((resolve, reject) => {
    sock = tls.connect({ host: HOST, port, ca, ALPNProtocols: ['http/1.1'], ...opts });
    sock.once('secureConnect', () => {
      const cert = sock.getPeerCertificate();
      resolve({ fingerprint: cert.fingerprint256, subject: cert.subject, protocol: sock.getProtocol(),
                alpn: sock.alpnProtocol, authorized: sock.authorized });
      sock.end();
    });
    sock.once('error', reject);
  });
  return withTimeout(p, ms, `TLS handshake with ${HOST}:${port}`).finally(() => setTimeout(() => sock.destroy(), 100).unref());
}

/** An HTTPS request verifying against `ca`: {status, headers, text, json, protocol}. */
const httpsRequest = (port, { path: p = '/', ...opts } = {}) => httpRequest(port, { path: p, ...opts });

/** Joins topic on a phoenix socket, asserting ok; returns the channel. */
async function joined(socket, topic) {
  const j = await phxJoin(socket, topic);
  assert.equal(j.status, 'ok', `join ${topic}: ${JSON.stringify({ status: j.status, response: j.response })}`);
  assert.deepEqual(j.response, { joined: topic, params: {} });
  return j.channel;
}

/** `ping` on a channel answers ok with the payload. */
async function pingOk(channel, payload) {
  assert.deepEqual(await outcome(channel.push('ping', payload), `ping on ${channel.topic}`),
    { status: 'ok', response: payload });
}

/** The body the spec gives a plain HTTP request on the TLS port. */
const PLAIN_BODY = 'this port speaks HTTPS: use https:// or wss://\n';

/**
 * Sends a plain-HTTP request on a raw TCP connection to the TLS port and
 * waits for the server to close it; returns {head, body, how, text}.
 */
async function plainRequest(port, request) {
  const tcp = await TcpClient.open(port);
  await tcp.write(request);
  try {
    await tcp.waitEnd(WAIT);
  } catch (err) {
    err.message += `; received so far: ${JSON.stringify(tcp.text)}`;
    throw err;
  } finally {
    tcp.destroy();
  }
  const text = tcp.text;
  const head = parseResponseHead(text);
  assert.ok(head, `no complete HTTP answer before the close (${tcp.how}): ${JSON.stringify(text)}`);
  return { head, body: text.slice(head.headEnd), how: tcp.how, text };
}

/**
 * Starts a phx-echo of its own (server_process: free port, waits for the
 * accept) with `args`, runs fn(server), then stops it and checks that
 * SIGTERM ended it with 0; a failure gets the server's output appended.
 */
async function withServer(args, fn, { env } = {}) {
  const s = await startProcess(BIN, args, { env });
  let failed = false;
  try {
    await fn(s);
  } catch (err) {
    failed = true;
    const exited = s.exited();
    try {
      err.message += `\n--- phx-echo ${exited ? `EXITED ${JSON.stringify(exited)} ` : ''}output (tail) ---\n${s.log().split('\n').slice(-40).join('\n')}`;
    } catch { /* read-only message */ }
    throw err;
  } finally {
    await stopServer(s);
    if (!failed) {
      const exited = s.exited();
      assert.ok(exited && exited.code === 0,
        `phx-echo did not exit cleanly on SIGTERM (${JSON.stringify(exited)}):\n${s.log().split('\n').slice(-40).join('\n')}`);
    }
  }
}

const TLS_A = ['--tls-cert', A.certFile, '--tls-key', A.keyFile];

// ---- one TLS server -----------------------------------------------------------------------

describe('TLS on the main port (self-signed EC P-256 certificate)', () => {
  const MiB = 1024 * 1024;
  // 4 MiB frames for the 1 MiB payloads (plus the frame's envelope); a big
  // outbound bound so that the paused reader of the burst is not cut.
  const server = useServer([...TLS_A, '--longpoll-window-ms', '2000',
    '--max-frame-size', String(4 * MiB), '--max-outbound-bytes', String(64 * MiB)]);

  server.test('handshake: TLS 1.3 and TLS 1.2 verify the served certificate for 127.0.0.1, ALPN http/1.1; a client trusting other CAs refuses it', async (ctx) => {
    for (const [version, opts] of [['TLSv1.3', { minVersion: 'TLSv1.3' }], ['TLSv1.2', { maxVersion: 'TLSv1.2' }]]) {
      const h = await tlsHandshake(ctx.port, { ca: A.cert, ...opts });
      assert.equal(h.protocol, version, `negotiated ${h.protocol}`);
      assert.equal(h.authorized, true);
      assert.equal(h.fingerprint, A.fingerprint, 'the served certificate is --tls-cert');
      assert.equal(h.alpn, 'http/1.1', `ALPN ${version}`);
    }
    // Without an offer, no ALPN is forced on the client.
    const noAlpn = await tlsHandshake(ctx.port, { ca: A.cert, ALPNProtocols: undefined });
    assert.equal(noAlpn.authorized, true);
    // Verification is really on in these clients: trusting another
    // certificate (or only the system's CAs), the handshake fails.
    for (const ca of [B.cert, undefined]) {
      await assert.rejects(tlsHandshake(ctx.port, { ca }),
        (err) => /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/.test(String(err.code)) || assert.fail(`unexpected error ${err.code} ${err.message}`));
    }
    const refused = new RawClient(ctx.port, { scheme: 'wss', wsOptions: { ca: B.cert } });
    opened.push(() => refused.terminate());
    await assert.rejects(withTimeout(refused.opened, WAIT, 'WSS open trusting B'), /self[- ]signed|certificate/i);
    // The server took no harm from the aborted handshakes.
    assert.equal((await httpsRequest(ctx.port, { ca: A.cert, path: '/healthz' })).status, 200);
  });

  server.test('the stock phoenix Socket over wss:// (ws trusting the cert): join room:lobby, ping reply, a shout from a second WSS client', async (ctx) => {
    const alice = await connectTls(ctx.port, { ca: A.cert, params: { user_id: 'alice' } });
    const bob = await connectTls(ctx.port, { ca: A.cert, params: { user_id: 'bob' } });
    assert.match(alice.conn.url, /^wss:\/\/127\.0\.0\.1:\d+\/socket\/websocket\?/, 'over wss://');
    assert.equal(alice.conn._socket.getProtocol(), 'TLSv1.3');
    assert.equal(alice.conn._socket.authorized, true);
    const a = await joined(alice, 'room:lobby');
    const b = await joined(bob, 'room:lobby');
    await pingOk(a, { n: 1, s: 'ü"\\' });
    assert.deepEqual(await outcome(a.push('assigns', {})), { status: 'ok', response: { user_id: 'alice' } });
    // bob's shout reaches alice (and bob: shout includes the sender).
    const heard = [nextEvent(a, 'shout'), nextEvent(b, 'shout')];
    b.push('shout', { from: 'bob' });
    assert.deepEqual(await Promise.all(heard), [{ from: 'bob' }, { from: 'bob' }]);
    // and the other way, with shout_from (skips the sender)
    const toBob = nextEvent(b, 'shout');
    a.push('shout_from', { from: 'alice' });
    assert.deepEqual(await toBob, { from: 'alice' });
    await pingOk(a, { after: 'shouts' });
    assert.ok(alice.isConnected() && bob.isConnected());
  });

  server.test('the stock LongPoll over https:// (requests verified against the cert): join, ping reply, a shout from a WSS client', async (ctx) => {
    const fetchShim = installTrustingFetch(A.cert);
    opened.push(() => fetchShim.restore()); // after the socket (closed in reverse order)
    const lp = await connectTls(ctx.port, { transport: 'longpoll' });
    assert.ok(lp.conn instanceof LongPoll);
    assert.match(lp.conn.pollEndpoint, /^https:\/\/127\.0\.0\.1:\d+\/socket\/longpoll/);
    const ws = await connectTls(ctx.port, { ca: A.cert });
    const l = await joined(lp, 'room:lp-tls');
    const w = await joined(ws, 'room:lp-tls');
    await pingOk(l, { over: 'https long-poll', n: 1 });
    // shout reaches the sender too: wait for both deliveries each time, so
    // that one shout's echo is not taken for the next one.
    for (const [from, name] of [[w, 'wss'], [l, 'long-poll']]) {
      const heard = [nextEvent(l, 'shout'), nextEvent(w, 'shout')];
      from.push('shout', { from: name });
      assert.deepEqual(await Promise.all(heard), [{ from: name }, { from: name }], `${name}'s shout at both clients`);
    }
    await pingOk(l, { n: 2 });
    const reqs = fetchShim.requests;
    assert.ok(reqs.some((r) => r.method === 'GET') && reqs.some((r) => r.method === 'POST'),
      `long-poll GETs and POSTs over HTTPS: ${JSON.stringify(reqs)}`);
    for (const r of reqs) {
      assert.equal(r.path, '/socket/longpoll', JSON.stringify(r));
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal(r.authorized, true, JSON.stringify(r));
      assert.match(String(r.protocol), /^TLSv1\.[23]$/, JSON.stringify(r));
    }
    ctx.t.diagnostic(`${reqs.length} long-poll requests over ${[...new Set(reqs.map((r) => r.protocol))].join(', ')}`);
  });

  server.test('1 MiB payloads over WSS: a ping reply and a shout arrive intact, three big pings back to back in order', async (ctx) => {
    const a = await wssRaw(ctx.port, A.cert);
    const b = await wssRaw(ctx.port, A.cert);
    const topic = 'room:big';
    const { joinRef } = await a.join(topic);
    await b.join(topic);
    const blob = (seed) => crypto.randomBytes(786_432).toString('base64') + seed; // 1 MiB of text (+ a tag)
    const same = (got, want, what) => {
      if (got === want) return;
      let i = 0;
      while (i < Math.min(got?.length ?? 0, want.length) && got[i] === want[i]) i += 1;
      assert.fail(`${what}: ${typeof got} of length ${got?.length} instead of ${want.length} characters, first difference at ${i}`);
    };
    const one = blob('1');
    const r = await a.call({ join_ref: joinRef, topic, event: 'ping', payload: { blob: one } }, 15_000);
    assert.equal(r.payload.status, 'ok');
    same(r.payload.response.blob, one, 'the ping reply');
    // a shout of 1 MiB reaches the other client (and the sender)
    const two = blob('2');
    a.send({ join_ref: joinRef, topic, event: 'shout', payload: { blob: two } });
    same((await b.next((m) => m.event === 'shout', '1 MiB shout', 15_000)).payload.blob, two, 'the shout at b');
    same((await a.next((m) => m.event === 'shout', '1 MiB shout', 15_000)).payload.blob, two, 'the shout at a');
    // three in a row: replies in order, each intact
    const blobs = ['x', 'y', 'z'].map(blob);
    const refs = blobs.map((bl) => a.send({ join_ref: joinRef, topic, event: 'ping', payload: { blob: bl } }));
    for (let i = 0; i < 3; i++) {
      const m = await a.next((f) => f.event === 'phx_reply' && refs.includes(f.ref), `reply #${i}`, 15_000);
      assert.equal(m.ref, refs[i], 'replies in order');
      same(m.payload.response.blob, blobs[i], `big ping #${i}`);
    }
    const small = await a.call({ join_ref: joinRef, topic, event: 'ping', payload: { small: true } });
    assert.deepEqual(small.payload, { status: 'ok', response: { small: true } });
  }, { timeout: 60_000 });

  server.test('a burst of 2,000 shouts (4 KB each) reaches a reading client and a paused one complete and in order', async (ctx) => {
    const N = 2000;
    const pad = 'p'.repeat(4000);
    const topic = 'room:burst';
    const a = await wssRaw(ctx.port, A.cert);
    const b = await wssRaw(ctx.port, A.cert);
    const { joinRef } = await a.join(topic);
    const { joinRef: bRef } = await b.join(topic);
    const shouts = (c) => c.all.filter((m) => m.event === 'shout');
    // b stops reading: ~8 MB for it pile up in the kernel and the server,
    // which has to resume its TLS writes where they stopped.
    b.ws._socket.pause();
    const t0 = Date.now();
    for (let i = 0; i < N; i++) a.send({ join_ref: joinRef, topic, event: 'shout', payload: { i, pad } });
    await eventually(() => shouts(a).length >= N, scaled(20_000, 60_000), `${N} shouts back at the sender`);
    const atPause = shouts(b).length;
    b.ws._socket.resume();
    await eventually(() => shouts(b).length >= N, scaled(20_000, 60_000),
      `${N} shouts at the resumed client (has ${shouts(b).length})`);
    ctx.t.diagnostic(`${N} shouts in ${Date.now() - t0} ms; the paused client had ${atPause} when resumed`);
    for (const [name, c] of [['sender', a], ['paused client', b]]) {
      const got = shouts(c);
      assert.equal(got.length, N, `${name}: ${got.length} shouts`);
      got.forEach((m, i) => {
        if (m.payload.i !== i) assert.fail(`${name}: shout #${i} is ${m.payload.i} (out of order or lost)`);
        if (m.payload.pad !== pad) assert.fail(`${name}: shout #${i} has a damaged payload`);
      });
      assert.ok(!c.all.some((m) => m.undecodable), `${name}: an undecodable frame`);
    }
    // Both connections go on.
    for (const [c, jr] of [[a, joinRef], [b, bRef]]) {
      const r = await c.call({ join_ref: jr, topic, event: 'ping', payload: { after: 'burst' } });
      assert.deepEqual(r.payload, { status: 'ok', response: { after: 'burst' } });
    }
  }, { timeout: scaled(60_000, 150_000) });

  server.test('plain HTTP on the TLS port: HTTP/1.1 400 "this port speaks HTTPS", Connection: close, closed by the server; TLS clients unaffected', async (ctx) => {
    const wss = await connectTls(ctx.port, { ca: A.cert });
    const chan = await joined(wss, 'room:plain-bystander');
    const requests = {
      'GET /healthz': `GET /healthz HTTP/1.1\r\nHost: ${HOST}:${ctx.port}\r\n\r\n`,
      'a WebSocket upgrade': `GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: ${HOST}:${ctx.port}\r\nUpgrade: websocket\r\n`
        + `Connection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      'a long-poll POST': `POST /socket/longpoll?vsn=2.0.0 HTTP/1.1\r\nHost: ${HOST}:${ctx.port}\r\n`
        + 'Content-Type: application/x-ndjson\r\nContent-Length: 2\r\n\r\n{}',
    };
    for (const [what, request] of Object.entries(requests)) {
      const { head, body, how, text } = await plainRequest(ctx.port, request);
      assert.equal(head.statusLine, 'HTTP/1.1 400 Bad Request', `${what}: ${JSON.stringify(text)}`);
      assert.equal(body, PLAIN_BODY, `${what}: the body`);
      assert.equal(String(head.headers.connection).toLowerCase(), 'close', `${what}: Connection header in ${JSON.stringify(text)}`);
      if (head.headers['content-length'] !== undefined)
        assert.equal(Number(head.headers['content-length']), Buffer.byteLength(PLAIN_BODY), `${what}: Content-Length`);
      ctx.t.diagnostic(`${what}: closed by the server (${how})`);
    }
    // The stock ws client on ws:// sees the same 400 on its upgrade.
    assert.equal(await upgradeStatus(ctx.port), 400);
    // node's http client too.
    const viaHttp = await httpRequest(ctx.port, { path: '/healthz' });
    assert.equal(viaHttp.status, 400);
    assert.equal(viaHttp.text, PLAIN_BODY);
    // TLS clients: the one already connected and new ones.
    await pingOk(chan, { still: 'served' });
    assert.equal((await tlsHandshake(ctx.port, { ca: A.cert })).fingerprint, A.fingerprint);
    const fresh = await connectTls(ctx.port, { ca: A.cert });
    await pingOk(await joined(fresh, 'room:after-plain'), { fresh: true });
    assert.equal(ctx.server.exited(), null);
  });

  server.test('/healthz, /readyz, /metrics and POST /api/broadcast over HTTPS', async (ctx) => {
    const health = await httpsRequest(ctx.port, { ca: A.cert, path: '/healthz' });
    assert.equal(health.status, 200, health.text);
    assert.match(String(health.headers['content-type']), /^application\/json/);
    assert.deepEqual(health.json, { status: 'ok' });
    const ready = await httpsRequest(ctx.port, { ca: A.cert, path: '/readyz' });
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.json?.status, 'ready', ready.text);
    const listener = await connectTls(ctx.port, { ca: A.cert });
    const chan = await joined(listener, 'room:api-tls');
    const metrics = await httpsRequest(ctx.port, { ca: A.cert, path: '/metrics' });
    assert.equal(metrics.status, 200, metrics.text);
    assert.match(String(metrics.headers['content-type']), /^text\/plain/);
    const m = parseMetrics(metrics.text);
    assert.deepEqual(m.bad, [], `lines that are not Prometheus text:\n${m.bad.join('\n')}`);
    assert.ok(m.get('phx_connections', { transport: 'websocket' }) >= 1, 'the WSS client counted');
    // The broadcast API over HTTPS reaches a WSS subscriber.
    const heard = nextEvent(chan, 'shout');
    const posted = await httpsRequest(ctx.port, {
      ca: A.cert, method: 'POST', path: '/api/broadcast', headers: { 'content-type': 'application/json' },
      body: { topic: 'room:api-tls', event: 'shout', payload: { via: 'https api' } },
    });
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(await heard, { via: 'https api' });
    const bad = await httpsRequest(ctx.port, {
      ca: A.cert, method: 'POST', path: '/api/broadcast', headers: { 'content-type': 'application/json' }, body: '{"topic":',
    });
    assert.equal(bad.status, 400, bad.text);
  });
});

// ---- servers of their own -------------------------------------------------------------------

test('--metrics-port stays plain HTTP (/metrics, /healthz) while the main port speaks TLS', { timeout: TEST_TIMEOUT }, async () => {
  const metricsPort = await freePort();
  await withServer([...TLS_A, '--metrics-port', String(metricsPort)], async (s) => {
    // The metrics listener may come up a moment after the main port.
    let res;
    const deadline = Date.now() + WAIT;
    for (;;) {
      try {
        res = await httpRequest(metricsPort, { path: '/metrics' });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`plain GET /metrics on --metrics-port ${metricsPort}: ${err.message}`);
        await sleep(100);
      }
    }
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.deepEqual(parseMetrics(res.text).bad, []);
    const health = await httpRequest(metricsPort, { path: '/healthz' });
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json, { status: 'ok' });
    // A TLS handshake there fails: that listener does not speak TLS.
    await assert.rejects(tlsHandshake(metricsPort, { ca: A.cert }));
    // The main port: HTTPS yes, plain HTTP no.
    assert.equal((await httpsRequest(s.port, { ca: A.cert, path: '/healthz' })).status, 200);
    const plain = await httpRequest(s.port, { path: '/healthz' });
    assert.equal(plain.status, 400);
    assert.equal(plain.text, PLAIN_BODY);
  });
});

test('a cert file holding a chain (leaf + intermediate): a client trusting only the root verifies it', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(['--tls-cert', CHAIN.certFile, '--tls-key', CHAIN.keyFile], async (s) => {
    // Trusting only the root, the leaf verifies only if the intermediate comes along.
    const h = await tlsHandshake(s.port, { ca: CHAIN.root });
    assert.equal(h.authorized, true);
    assert.equal(h.fingerprint, CHAIN.fingerprint, 'the leaf is served');
    const socket = await connectTls(s.port, { ca: CHAIN.root });
    await pingOk(await joined(socket, 'room:chain'), { chain: true });
  });
});

test('SIGHUP re-reads cert and key: new connections get the new certificate, the open WSS client goes on; a bad key keeps the old one', { timeout: 60_000 }, async (t) => {
  const dir = path.join(tmp, 'reload');
  fs.mkdirSync(dir);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(certFile, A.cert);
  fs.writeFileSync(keyFile, A.key);
  const EITHER = [A.cert, B.cert];
  await withServer(['--tls-cert', certFile, '--tls-key', keyFile], async (s) => {
    assert.equal((await tlsHandshake(s.port, { ca: A.cert })).fingerprint, A.fingerprint, 'cert A at start');
    const old = await connectTls(s.port, { ca: A.cert, params: { user_id: 'old' } });
    const oldConn = old.conn;
    let troubles = 0;
    old.onError(() => { troubles += 1; });
    old.onClose(() => { troubles += 1; });
    const oldChan = await joined(old, 'room:reload');
    await pingOk(oldChan, { before: 'reload' });

    // B over the same files, then SIGHUP.
    fs.writeFileSync(certFile, B.cert);
    fs.writeFileSync(keyFile, B.key);
    s.proc.kill('SIGHUP');
    await eventually(() => logLines(s, /TLS certificate reloaded/) >= 1 || s.exited(), 5000, '"TLS certificate reloaded" logged');
    assert.equal(s.exited(), null, 'phx-echo survived SIGHUP');
    let seen;
    const deadline = Date.now() + 5000;
    while ((seen = (await tlsHandshake(s.port, { ca: EITHER })).fingerprint) !== B.fingerprint) {
      assert.ok(Date.now() < deadline, `new connections still get ${seen === A.fingerprint ? 'cert A' : seen} 5 s after the reload`);
      await sleep(100);
    }
    // Once B is served, it is served to every new connection.
    for (let i = 0; i < 3; i++) assert.equal((await tlsHandshake(s.port, { ca: EITHER })).fingerprint, B.fingerprint);
    const fresh = await connectTls(s.port, { ca: B.cert, params: { user_id: 'fresh' } });
    const freshChan = await joined(fresh, 'room:reload');
    await pingOk(freshChan, { after: 'reload' });
    // The old connection (made with A) was not disturbed.
    await pingOk(oldChan, { still: 'on A' });
    const toOld = nextEvent(oldChan, 'shout');
    freshChan.push('shout', { from: 'fresh' });
    assert.deepEqual(await toOld, { from: 'fresh' });
    assert.equal(old.conn, oldConn, 'the old socket did not reconnect');
    assert.equal(troubles, 0, 'the old socket saw no error or close');

    // A failed reload: garbage in the key file; B stays.
    fs.writeFileSync(keyFile, 'this is not a PEM private key\n');
    s.proc.kill('SIGHUP');
    await eventually(() => logLines(s, /TLS reload failed/) >= 1 || s.exited(), 5000, '"TLS reload failed" logged');
    assert.equal(s.exited(), null, 'phx-echo survived the failed reload');
    assert.equal(logLines(s, /TLS certificate reloaded/), 1, 'no second success logged');
    t.diagnostic(`failure logged as: ${s.log().split('\n').find((l) => /TLS reload failed/.test(l))}`);
    for (let i = 0; i < 3; i++)
      assert.equal((await tlsHandshake(s.port, { ca: EITHER })).fingerprint, B.fingerprint, 'still cert B after the failed reload');
    const later = await connectTls(s.port, { ca: B.cert });
    await pingOk(await joined(later, 'room:reload'), { after: 'failed reload' });
    await pingOk(oldChan, { still: 'on A after the failed reload' });
    await pingOk(freshChan, { still: 'on B' });
    assert.equal(troubles, 0, 'the old socket saw no error or close');
  });
});

test('start errors: one of --tls-cert/--tls-key alone, a missing, bad or mismatched file: non-zero exit naming the option or the file', { timeout: 40_000 }, async (t) => {
  const missingCert = path.join(tmp, 'nowhere', 'cert.pem');
  const missingKey = path.join(tmp, 'nowhere', 'key.pem');
  const garbageCert = path.join(tmp, 'garbage-cert.pem');
  fs.writeFileSync(garbageCert, 'not a certificate\n');
  const cases = [
    { what: 'only --tls-cert', args: ['--tls-cert', A.certFile], names: ['--tls-key'] },
    { what: 'only --tls-key', args: ['--tls-key', A.keyFile], names: ['--tls-cert'] },
    { what: 'a missing cert file', args: ['--tls-cert', missingCert, '--tls-key', A.keyFile], names: [missingCert] },
    { what: 'a missing key file', args: ['--tls-cert', A.certFile, '--tls-key', missingKey], names: [missingKey] },
    { what: 'a cert file that is no certificate', args: ['--tls-cert', garbageCert, '--tls-key', A.keyFile], names: [garbageCert] },
    // The spec names "the file path" for a mismatch without saying which: either will do.
    { what: 'the key of another certificate', args: ['--tls-cert', A.certFile, '--tls-key', B.keyFile], names: [A.certFile, B.keyFile], any: true },
  ];
  for (const c of cases) {
    const srv = launch(['--port', '0', '--drain-ms', '100', ...c.args]);
    try {
      let exited;
      try {
        exited = await srv.waitExit(5000);
      } catch (err) {
        throw new Error(`${c.what}: phx-echo did not exit within 5 s (it should refuse to start):\n${srv.log()}`);
      }
      assert.equal(exited.signal, null, `${c.what}: killed by a signal: ${JSON.stringify(exited)}\n${srv.log()}`);
      assert.notEqual(exited.code, 0, `${c.what}: exit 0\n${srv.log()}`);
      // What the server said, without the usage text it may print after it
      // (which lists every option, so it would name any of them).
      const said = srv.log().split(/^usage:/m)[0];
      const found = c.names.filter((n) => said.includes(n));
      assert.ok(c.any ? found.length > 0 : found.length === c.names.length,
        `${c.what}: the output should name ${c.names.join(c.any ? ' or ' : ' and ')}:\n${srv.log()}`);
      t.diagnostic(`${c.what}: exit ${exited.code}: ${said.trim().split('\n').filter((l) => l.trim()).pop()}`);
    } finally {
      srv.kill('SIGKILL');
    }
  }
});

test('PHX_TLS_CERT/PHX_TLS_KEY and tls_cert/tls_key in a --config file turn TLS on; the command line wins over the environment, which wins over the file', { timeout: 40_000 }, async () => {
  const wssPing = async (port, ca, topic) => {
    const socket = await connectTls(port, { ca });
    await pingOk(await joined(socket, topic), { topic });
    socket.disconnect();
  };
  // The environment alone.
  await withServer([], async (s) => {
    assert.equal((await tlsHandshake(s.port, { ca: A.cert })).fingerprint, A.fingerprint);
    await wssPing(s.port, A.cert, 'room:env');
    assert.match(s.log(), /tls/i, 'the startup log mentions TLS');
  }, { env: { PHX_TLS_CERT: A.certFile, PHX_TLS_KEY: A.keyFile } });

  // The config file alone (keys with "_").
  const q = (p) => `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const conf = path.join(tmp, 'tls.conf');
  fs.writeFileSync(conf, `[global]\ntls_cert = ${q(B.certFile)}\ntls_key = ${q(B.keyFile)}\n`);
  await withServer(['--config', conf], async (s) => {
    assert.equal((await tlsHandshake(s.port, { ca: B.cert })).fingerprint, B.fingerprint);
    await wssPing(s.port, B.cert, 'room:conf');
  }, { env: { PHX_TLS_CERT: undefined, PHX_TLS_KEY: undefined } });

  // The environment (A) over the file (B).
  await withServer(['--config', conf], async (s) => {
    assert.equal((await tlsHandshake(s.port, { ca: [A.cert, B.cert] })).fingerprint, A.fingerprint, 'the environment wins over the file');
  }, { env: { PHX_TLS_CERT: A.certFile, PHX_TLS_KEY: A.keyFile } });

  // The command line (B) over the environment (A).
  await withServer(['--tls-cert', B.certFile, '--tls-key', B.keyFile], async (s) => {
    assert.equal((await tlsHandshake(s.port, { ca: [A.cert, B.cert] })).fingerprint, B.fingerprint, 'the command line wins over the environment');
  }, { env: { PHX_TLS_CERT: A.certFile, PHX_TLS_KEY: A.keyFile } });
});
