// Shared helpers for the phx-echo integration tests: server lifecycle, raw
// WebSocket and long-poll clients speaking V1 or V2 frames, the stock phoenix
// client over either transport, HTTP.
import { test, before, after } from 'node:test';
import http from 'node:http';
import https from 'node:https';
import WebSocket from 'ws';
import { Socket, LongPoll } from 'phoenix';
import {
  HOST, buildPath, freePort, sleep, startServer as startProcess, stopServer, withTimeout,
} from '../support/server_process.mjs';

export { Socket, LongPoll, WebSocket };

/** The transports of /socket: `connectPhx(port, {transport})` takes either name. */
export const TRANSPORTS = ['websocket', 'longpoll'];

export const BIN = process.env.PHX_ECHO_BIN || buildPath('apps/echo/phx-echo');
export const WAIT = 3000;            // default bound of every single wait
export const TEST_TIMEOUT = 20_000;  // bound of every test

export { HOST, sleep, withTimeout, freePort, stopServer };

// ---- server -----------------------------------------------------------------

/** Starts phx-echo with `args` on a free loopback port. */
export const startServer = (args = []) => startProcess(BIN, args);

/**
 * Registers before/after hooks (at the current suite level) running one
 * phx-echo with `args`. Returns an object whose `test(name, fn)` registers a
 * bounded test; `fn(ctx)` gets a context with `port`, `raw()`, `lp()`,
 * `phx()` and `post()` bound to that server, and everything it opened is
 * closed after the test. A failing test gets the server's output appended.
 * `phx` holds defaults of every `ctx.phx(opts)` (e.g. `{transport: 'longpoll'}`).
 */
export function useServer(args = [], { phx: phxDefaults = {} } = {}) {
  const h = { server: null };
  before(async () => { h.server = await startServer(args); });
  after(async () => {
    await stopServer(h.server);
    // SIGTERM must end the server cleanly; under the sanitizers a non-zero
    // exit is also how a leak or memory error at shutdown shows.
    const exited = h.server && h.server.exited();
    if (h.server && !(exited && exited.code === 0)) {
      const log = h.server.log().split('\n').slice(-60).join('\n');
      throw new Error(`phx-echo did not exit cleanly on SIGTERM (${JSON.stringify(exited)}):\n${log}`);
    }
  });
  h.test = (name, fn, opts = {}) => test(name, { timeout: TEST_TIMEOUT, ...opts }, async (t) => {
    const ctx = makeContext(h.server, t, phxDefaults);
    try {
      await fn(ctx);
    } catch (err) {
      const log = h.server ? h.server.log().split('\n').slice(-40).join('\n') : '(no server)';
      const exited = h.server && h.server.exited();
      if (err && typeof err === 'object') {
        try {
          err.message = `${err.message}\n--- phx-echo ${exited ? `EXITED ${JSON.stringify(exited)} ` : ''}output (tail) ---\n${log}`;
        } catch { /* read-only message: keep the error as is */ }
      }
      throw err;
    } finally {
      await ctx.cleanup();
    }
  });
  return h;
}

function makeContext(server, t, phxDefaults = {}) {
  const opened = [];
  const ctx = {
    t,
    port: server.port,
    server,
    raw: async (opts = {}) => {
      const c = await RawClient.open(server.port, opts);
      opened.push(() => c.terminate());
      return c;
    },
    rawClient: (opts = {}) => {         // not yet open (for handshake failures)
      const c = new RawClient(server.port, opts);
      opened.push(() => c.terminate());
      return c;
    },
    lp: async (opts = {}) => {           // a raw long-poll client, polling
      const c = await LongPollClient.open(server.port, opts);
      opened.push(() => c.close());
      return c;
    },
    phx: async (opts = {}) => {
      const s = await connectPhx(server.port, { ...phxDefaults, ...opts });
      opened.push(() => s.disconnect());
      return s;
    },
    post: (body, opts) => postBroadcast(server.port, body, opts),
    cleanup: async () => {
      for (const close of opened.reverse()) {
        try { close(); } catch { /* already gone */ }
      }
    },
  };
  return ctx;
}

// ---- raw WebSocket client -----------------------------------------------------

/** Polls `check` every 50 ms until it holds; throws after `ms`. */
export async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** `scheme`: 'ws' (default) or 'wss' (the TLS tests). */
export function socketUrl(port, { vsn = '2.0.0', params = {}, path = '/socket/websocket', scheme = 'ws' } = {}) {
  const q = new URLSearchParams(params);
  if (vsn !== null) q.set('vsn', vsn);
  const qs = q.toString();
  return `${scheme}://${HOST}:${port}${path}${qs ? `?${qs}` : ''}`;
}

/** Wire codecs: a message is {join_ref, ref, topic, event, payload}. */
export const codecs = {
  v2: {
    vsn: '2.0.0',
    encode: (m) => JSON.stringify([m.join_ref ?? null, m.ref ?? null, m.topic, m.event, m.payload ?? {}]),
    decode: (raw) => {
      if (!Array.isArray(raw) || raw.length !== 5) throw new Error(`not a V2 frame: ${JSON.stringify(raw)}`);
      const [join_ref, ref, topic, event, payload] = raw;
      return { join_ref, ref, topic, event, payload };
    },
  },
  v1: {
    vsn: '1.0.0',
    encode: (m) => {
      const o = { topic: m.topic, event: m.event, payload: m.payload ?? {}, ref: m.ref ?? null };
      if (m.join_ref !== undefined) o.join_ref = m.join_ref;
      return JSON.stringify(o);
    },
    decode: (raw) => {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw new Error(`not a V1 frame: ${JSON.stringify(raw)}`);
      return { join_ref: raw.join_ref, ref: raw.ref, topic: raw.topic, event: raw.event, payload: raw.payload };
    },
  },
};

/**
 * What the raw clients share: every received frame kept in a queue.
 * `next(pred)` takes (removes) the first queued or future message matching
 * `pred`, bounded by a timeout. Messages are decoded with the chosen codec
 * ('v1' | 'v2'); `msg.raw` is the parsed JSON as it arrived, `msg.text` the
 * frame text. A subclass provides `url`, `sendText(text)` and `isOpen`.
 */
class QueuedClient {
  constructor(codec) {
    this.codec = codecs[codec];
    this.queue = [];
    this.waiters = [];
    this.all = [];          // every message ever received, in order
    this.refCounter = 0;
  }

  /** Queues one received frame (its text) for next(). */
  receive(text, isBinary = false) {
    let msg;
    try {
      const raw = JSON.parse(text);
      msg = { ...this.codec.decode(raw), raw, text, isBinary };
    } catch (err) {
      msg = { undecodable: err.message, text, isBinary };
    }
    this.all.push(msg);
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w.resolve(msg);
    } else {
      this.queue.push(msg);
    }
  }

  nextRef() { return `r${++this.refCounter}`; }

  /** Sends a message {join_ref, ref, topic, event, payload}; returns its ref. */
  send(m) {
    const msg = { ...m };
    if (!('ref' in msg)) msg.ref = this.nextRef();
    this.sendText(this.codec.encode(msg));
    return msg.ref;
  }

  /** The first message (queued or future) satisfying pred; removed from the queue. */
  next(pred = () => true, what = 'a frame', ms = WAIT) {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    let waiter;
    const p = new Promise((resolve) => { waiter = { pred, resolve }; this.waiters.push(waiter); });
    return withTimeout(p, ms, `${what} on ${this.url}; queued: ${JSON.stringify(this.queue.map((m) => m.raw ?? m.text))}`)
      .finally(() => {
        const j = this.waiters.indexOf(waiter);
        if (j >= 0) this.waiters.splice(j, 1);
      });
  }

  /** null if no message satisfying pred is queued or arrives within ms, else that message. */
  async nothing(pred = () => true, ms = 300) {
    try {
      return await this.next(pred, 'nothing', ms);
    } catch {
      return null;
    }
  }

  /** The reply to ref. */
  reply(ref, ms = WAIT) {
    return this.next((m) => m.event === 'phx_reply' && m.ref === ref, `phx_reply to ref ${ref}`, ms);
  }

  /** Sends and waits for the reply; returns the reply message. */
  async call(m, ms = WAIT) {
    const ref = this.send(m);
    return this.reply(ref, ms);
  }

  /**
   * Joins topic; returns {joinRef, ref, reply}. V2: join_ref = ref (as
   * phoenix.js does) unless `joinRef` is given. V1: no join_ref key unless
   * `joinRef` is given (then joinRef is null when absent).
   */
  async join(topic, payload = {}, { joinRef } = {}) {
    const ref = this.nextRef();
    const jr = joinRef !== undefined ? joinRef : (this.codec === codecs.v2 ? ref : undefined);
    const reply = await this.call({ join_ref: jr, ref, topic, event: 'phx_join', payload });
    return { joinRef: jr ?? null, ref, reply };
  }

  heartbeat() {
    return this.call({ join_ref: null, topic: 'phoenix', event: 'heartbeat', payload: {} });
  }
}

/**
 * A WebSocket client that keeps every received frame in a queue (see
 * QueuedClient). `scheme: 'wss'` with `wsOptions` (e.g. `{ca}`, handed to
 * ws) connects over TLS.
 */
export class RawClient extends QueuedClient {
  constructor(port, { codec = 'v2', vsn, params = {}, protocols, path, scheme, wsOptions } = {}) {
    super(codec);
    const v = vsn === undefined ? this.codec.vsn : vsn;
    this.url = socketUrl(port, { vsn: v, params, path, scheme });
    this.ws = wsOptions ? new WebSocket(this.url, protocols, wsOptions) : new WebSocket(this.url, protocols);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => {
        const err = new Error(`unexpected HTTP ${res.statusCode} on upgrade`);
        err.statusCode = res.statusCode;
        res.resume();
        reject(err);
      });
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});   // reported via opened/closed
    this.ws.on('message', (data, isBinary) => this.receive(data.toString(), isBinary));
  }

  static async open(port, opts = {}) {
    const c = new RawClient(port, opts);
    await withTimeout(c.opened, WAIT, `WebSocket open ${c.url}`);
    return c;
  }

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  sendRaw(data) { this.ws.send(data); }

  sendText(text) { this.ws.send(text); }

  /** Waits for the server to close the connection; returns {code, reason}. */
  waitClose(ms = WAIT) {
    return withTimeout(this.closed, ms, `server close of ${this.url}`);
  }

  terminate() { this.ws.terminate(); }
}

/** Opens a raw client expecting the handshake to fail; returns the HTTP status. */
export async function upgradeStatus(port, opts) {
  const c = new RawClient(port, opts);
  try {
    await withTimeout(c.opened, WAIT, `handshake ${c.url}`);
  } catch (err) {
    return err.statusCode ?? err.message;
  } finally {
    c.terminate();
  }
  return 101;
}

// ---- phoenix client -----------------------------------------------------------

/**
 * A connected phoenix Socket (the real npm client). `transport`: 'websocket'
 * (ws, on a ws:// URL), 'longpoll' (the client's LongPoll over fetch, on an
 * http:// URL), or a transport class as the client takes it (then a ws://
 * URL; with `longPollFallbackMs` the client falls back to LongPoll by itself,
 * so a transport error before the open does not fail the connect).
 * `secure`: over TLS (wss://, https://).
 */
export async function connectPhx(port, { params = {}, transport = 'websocket', secure = false, ...opts } = {}) {
  const Transport = transport === 'websocket' ? WebSocket : transport === 'longpoll' ? LongPoll : transport;
  const scheme = (Transport === LongPoll ? 'http' : 'ws') + (secure ? 's' : '');
  const socket = new Socket(`${scheme}://${HOST}:${port}/socket`, {
    transport: Transport,
    params,
    timeout: WAIT,
    reconnectAfterMs: () => 200,
    rejoinAfterMs: () => 200,
    ...opts,
  });
  const opened = new Promise((resolve, reject) => {
    socket.onOpen(resolve);
    if (!opts.longPollFallbackMs)
      socket.onError((e) => reject(new Error(`phoenix socket error: ${e && e.message !== undefined ? e.message : e}`)));
  });
  socket.connect();
  try {
    await withTimeout(opened, WAIT, `phoenix socket open (${socket.transportName(socket.transport)})`);
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  return socket;
}

// ---- raw long-poll client -------------------------------------------------------

/** Path and query of a long-poll request: vsn (null: none), params, token (null: none). */
export function longpollPath({ vsn = '2.0.0', params = {}, token = null, path = '/socket/longpoll' } = {}) {
  const q = new URLSearchParams(params);
  if (vsn !== null) q.set('vsn', vsn);
  if (token !== null) q.set('token', token);
  const qs = q.toString();
  return `${path}${qs ? `?${qs}` : ''}`;
}

/**
 * One long-poll request (GET by default); `body` an array is sent as
 * x-ndjson lines. Resolves {status, headers, text, json} as httpRequest.
 */
export function longpollRequest(port, {
  method = 'GET', vsn, params, token, path, headers = {}, body, contentType, ms = WAIT, signal,
} = {}) {
  const h = { ...headers };
  let data = body;
  if (Array.isArray(body)) {
    data = body.join('\n');
    h['content-type'] = contentType ?? 'application/x-ndjson';
  } else if (body !== undefined && contentType) {
    h['content-type'] = contentType;
  }
  return httpRequest(port, { method, path: longpollPath({ vsn, params, token, path }), headers: h, body: data, ms, signal });
}

/**
 * A long-poll client done by hand: `open` gets a session (GET, 410 + token)
 * and starts polling; every message of a 200 answer is queued as RawClient
 * queues frames (see QueuedClient). `send` POSTs one frame per request, in
 * order (x-ndjson for V2; V1 posts the bare object as application/json).
 * A poll answered 410 (or anything but 200/204) ends the polling: `gone`.
 * `windowMs` must be at least the server's --longpoll-window-ms.
 */
export class LongPollClient extends QueuedClient {
  constructor(port, { codec = 'v2', vsn, params = {}, path, windowMs = 10_000, headers = {} } = {}) {
    super(codec);
    this.port = port;
    this.vsn = vsn === undefined ? this.codec.vsn : vsn;
    this.params = params;
    this.path = path;
    this.windowMs = windowMs;
    this.headers = headers;
    this.url = `http://${HOST}:${port}${longpollPath({ vsn: this.vsn, params, path })}`;
    this.token = null;
    this.gone = false;       // a poll was answered 410 (or not 200/204): the session ended
    this.stopped = false;
    this.pollError = null;
    this.polls = [];         // the status of every poll answer
    this.posts = [];         // the answer of every POST made by send()
    this.aborter = new AbortController();
    this.posting = Promise.resolve();
  }

  static async open(port, opts = {}) {
    const c = new LongPollClient(port, opts);
    await c.connect();
    c.startPolling();
    return c;
  }

  /** A request of this client: its vsn, params, path, headers and token unless overridden. */
  request(opts = {}) {
    return longpollRequest(this.port, {
      vsn: this.vsn, params: this.params, path: this.path, token: this.token, signal: this.aborter.signal,
      ...opts, headers: { ...this.headers, ...opts.headers },
    });
  }

  /** GET without a token: a new session; keeps its token. */
  async connect() {
    const r = await this.request({ token: null });
    if (!r.json || r.json.status !== 410 || typeof r.json.token !== 'string')
      throw new Error(`long-poll connect ${this.url}: HTTP ${r.status} ${r.text}`);
    this.token = r.json.token;
    return r;
  }

  startPolling() {
    this.polling = (async () => {
      while (!this.stopped) {
        let r;
        try {
          r = await this.request({ ms: this.windowMs + WAIT });
        } catch (err) {
          if (!this.stopped) this.pollError = err;
          return;
        }
        const status = r.json && r.json.status;
        this.polls.push(status);
        if (status === 200) {
          for (const m of r.json.messages) this.receive(m);
        } else if (status !== 204) {
          this.gone = true;
          return;
        }
      }
    })();
  }

  get isOpen() { return !this.gone && !this.stopped && !this.pollError; }

  /** POSTs `body` (an array: x-ndjson lines) with this session's token; resolves the answer. */
  post(body, opts = {}) { return this.request({ method: 'POST', body, ...opts }); }

  sendText(text) {
    const contentType = this.codec === codecs.v1 ? 'application/json' : 'application/x-ndjson';
    this.posting = this.posting
      .then(() => this.post(text, { contentType }))
      .then((r) => { this.posts.push(r.json ?? { http: r.status, text: r.text }); },
            (err) => { this.posts.push({ error: err.message }); });
  }

  /** Stops polling and aborts what is under way (the server ends the session later). */
  close() {
    this.stopped = true;
    this.aborter.abort();
  }

  terminate() { this.close(); }
}

/** Resolves {status: 'ok'|'error'|'timeout', response} for a phoenix Push. */
export function outcome(push, what = 'push') {
  return withTimeout(new Promise((resolve) => {
    push.receive('ok', (response) => resolve({ status: 'ok', response }))
      .receive('error', (response) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout' }));
  }), WAIT + 1000, what);
}

/** Joins a fresh channel; returns {channel, status, response}. */
export async function phxJoin(socket, topic, params = {}) {
  const channel = socket.channel(topic, params);
  const r = await outcome(channel.join(), `join ${topic}`);
  return { channel, ...r };
}

/** Resolves with the payload of the next `event` on channel. */
export function nextEvent(channel, event, ms = WAIT) {
  let ref;
  const p = new Promise((resolve) => {
    ref = channel.on(event, (payload) => resolve(payload));
  });
  return withTimeout(p, ms, `event ${event} on ${channel.topic}`).finally(() => channel.off(event, ref));
}

/** Collects every `event` payload on channel into an array. */
export function collect(channel, event) {
  const got = [];
  channel.on(event, (p) => got.push(p));
  return got;
}

// ---- HTTP -----------------------------------------------------------------------

/** POST /api/broadcast; body is an object (JSON-encoded) or a raw string. */
export function postBroadcast(port, body, { path = '/api/broadcast', method = 'POST', contentType = 'application/json' } = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return httpRequest(port, { method, path, headers: { 'content-type': contentType }, body: data });
}

// ---- hardening tests: raw TCP, own WebSocket framing, process figures ---------
// (Added for tests/integration/hardening_*.test.mjs; postBroadcast uses httpRequest.)
// `import` declarations are hoisted, so these are available module-wide.
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import assert from 'node:assert/strict';

/** True when the server under test is the AddressSanitizer + UBSan build. */
export const SANITIZED = /build-asan/.test(BIN);

/** `normal` for the plain build, `sanitized` for the sanitizer build. */
export const scaled = (normal, sanitized) => (SANITIZED ? sanitized : normal);

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** WebSocket opcodes (RFC 6455 5.2). */
export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

/**
 * One WebSocket frame as a client sends it (masked unless `mask: false`).
 * `payload` is a Buffer or a string (UTF-8).
 */
export function encodeFrame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true, maskKey, rsv = 0 } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  const headLen = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + (mask ? 4 : 0);
  const out = Buffer.alloc(headLen + len);
  out[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  let o = 2;
  if (len < 126) {
    out[1] = len;
  } else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
    o = 4;
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(len), 2);
    o = 10;
  }
  if (mask) {
    out[1] |= 0x80;
    const key = maskKey ?? crypto.randomBytes(4);
    key.copy(out, o);
    o += 4;
    for (let i = 0; i < len; i++) out[o + i] = data[i] ^ key[i & 3];
  } else {
    data.copy(out, o);
  }
  return out;
}

/** The payload of a close frame: a 2-byte code (if any) and a reason. */
export function closePayload(code, reason = Buffer.alloc(0)) {
  if (code === undefined || code === null) return Buffer.alloc(0);
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/**
 * Incremental decoder of the frames a server sends. `push(buf)` returns the
 * frames completed by buf: {fin, rsv, opcode, masked, payload: Buffer}.
 */
export class FrameDecoder {
  constructor() { this.buf = Buffer.alloc(0); }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames = [];
    let o = 0;
    for (;;) {
      const b = this.buf;
      if (b.length - o < 2) break;
      const b0 = b[o];
      const b1 = b[o + 1];
      let len = b1 & 0x7f;
      let p = o + 2;
      if (len === 126) {
        if (b.length - p < 2) break;
        len = b.readUInt16BE(p);
        p += 2;
      } else if (len === 127) {
        if (b.length - p < 8) break;
        len = Number(b.readBigUInt64BE(p));
        p += 8;
      }
      const masked = (b1 & 0x80) !== 0;
      let key = null;
      if (masked) {
        if (b.length - p < 4) break;
        key = b.subarray(p, p + 4);
        p += 4;
      }
      if (b.length - p < len) break;
      let payload = Buffer.from(b.subarray(p, p + len));
      if (key) for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
      frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
      o = p + len;
    }
    this.buf = o === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(o);
    return frames;
  }
}

/** {code, reason} of a close frame's payload; code null for an empty body. */
export function parseClose(payload) {
  if (payload.length < 2) return { code: null, reason: '', length: payload.length };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString(), length: payload.length };
}

// Every TcpClient (and so every RawWs) not yet closed; a test file's
// afterEach(destroyRawConnections) closes what a failed test left open (a
// paused socket would otherwise keep the test process alive).
const openTcpClients = new Set();

/** Destroys every raw TCP/WebSocket connection still open. */
export function destroyRawConnections() {
  for (const c of [...openTcpClients]) {
    openTcpClients.delete(c);
    c.sock.destroy();
  }
}

/**
 * Resolves once check() holds, re-checked whenever a listener in `listeners`
 * is called (on every arrival and at the end); rejects after ms.
 */
function waitUntil(listeners, check, ms, what) {
  if (check()) return Promise.resolve();
  let listener;
  const p = new Promise((resolve) => {
    listener = () => { if (check()) resolve(); };
    listeners.push(listener);
  });
  return withTimeout(p, ms, what).finally(() => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  });
}

/**
 * A plain TCP connection to the server keeping everything it receives:
 * `data` (Buffer), `text` (latin1, for status lines), `ended` (a promise
 * resolving {how: 'end'|'close'|'error', error} once the server closed or
 * reset the connection), `isEnded`.
 */
export class TcpClient {
  constructor(port, host = HOST) {
    openTcpClients.add(this);
    this.chunks = [];
    this.size = 0;
    this.isEnded = false;
    this.error = null;
    this.listeners = [];
    this.sock = net.connect({ host, port });
    this.connected = new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    this.connected.catch(() => {});
    this.ended = new Promise((resolve) => {
      const done = (how, error) => {
        if (how !== 'end') openTcpClients.delete(this);
        if (this.isEnded) return;
        this.isEnded = true;
        this.how = how;
        resolve({ how, error });
        this.notify();
      };
      this.sock.on('end', () => done('end'));
      this.sock.on('close', () => done('close'));
      this.sock.on('error', (e) => { this.error = e; done('error', e); });
    });
    this.sock.on('data', (c) => this.onData(c));
  }

  static async open(port, host = HOST) {
    const c = new TcpClient(port, host);
    await withTimeout(c.connected, WAIT, `TCP connect to ${host}:${port}`);
    return c;
  }

  onData(c) {
    this.chunks.push(c);
    this.size += c.length;
    this.notify();
  }

  notify() { for (const l of [...this.listeners]) l(); }

  get data() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get text() { return this.data.toString('latin1'); }

  /** Writes; resolves once the data is handed to the kernel (or the socket failed). */
  write(data) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve(false);
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  /** Resolves once check() holds (checked on every arrival and at the end); rejects after ms. */
  until(check, ms, what) { return waitUntil(this.listeners, check, ms, what); }

  /** Waits until the server closed the connection; rejects after ms. */
  waitEnd(ms = WAIT) { return withTimeout(this.ended, ms, 'the server to close the connection'); }

  destroy() { this.sock.destroy(); }
}

/** Every HTTP/1.x status line in `text` as [{version, status, index}]. */
export function statusLines(text) {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g)].map((m) => ({ status: Number(m[1]), index: m.index, line: m[0].trim() }));
}

/** Parses one HTTP response head at the start of `text`: {status, headers (lower-case keys), headEnd}. */
export function parseResponseHead(text) {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) {
      const k = l.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] === undefined ? l.slice(i + 1).trim() : `${headers[k]}, ${l.slice(i + 1).trim()}`;
    }
  }
  return { status: Number(m[1]), statusLine, headers, headEnd: end + 4 };
}

/**
 * Any HTTP request with full control over the headers (node's http adds
 * Host and Connection only). Resolves {status, headers, text, json}; with
 * `ca`, over HTTPS verifying against it, and `protocol` says the TLS version.
 */
export function httpRequest(port, { method = 'GET', path = '/', headers = {}, body, ms = WAIT, signal, ca } = {}) {
  const data = body === undefined ? undefined : (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  const h = { ...headers };
  if (data !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length'))
    h['content-length'] = Buffer.byteLength(data);
  return withTimeout(new Promise((resolve, reject) => {
    const get = ca ? https.request : http.request;
    const req = get({ host: HOST, port, path, method, headers: h, agent: false, signal, ca }, (res) => {
      let text = '';
      const protocol = ca ? res.socket.getProtocol() : undefined;
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('error', reject);
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, protocol });
      });
    });
    req.on('error', reject);
    req.end(data);
  }), ms, `${ca ? 'HTTPS ' : ''}${method} ${path}`);
}

/**
 * A WebSocket connection done by hand on a TCP socket: the upgrade request
 * is written as given, frames are encoded/decoded by the functions above.
 * `frames` keeps every frame received; text frames are also parsed as JSON
 * into `messages` ({raw, text} plus V2 fields when the frame is a 5-array).
 */
export class RawWs {
  constructor(tcp, head) {
    this.tcp = tcp;
    this.head = head;
    this.decoder = new FrameDecoder();
    this.frames = [];
    this.messages = [];
    this.closeFrame = null;
    this.listeners = [];
    this.fragments = null;
    const rest = tcp.data.subarray(head.headEnd);
    tcp.sock.removeAllListeners('data');
    tcp.sock.on('data', (c) => this.onData(c));
    tcp.listeners.push(() => this.notify()); // the end of the connection
    if (rest.length) this.onData(rest);
  }

  /**
   * Opens a connection and upgrades it; rejects unless the answer is 101.
   * `headers` are added to (or replace) the usual upgrade headers.
   */
  static async open(port, { path = '/socket/websocket', vsn = '2.0.0', headers = {} } = {}) {
    const tcp = await TcpClient.open(port);
    const key = crypto.randomBytes(16).toString('base64');
    const h = {
      Host: `${HOST}:${port}`, Upgrade: 'websocket', Connection: 'Upgrade',
      'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', ...headers,
    };
    const target = vsn === null ? path : `${path}?vsn=${vsn}`;
    tcp.sock.write(`GET ${target} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    try {
      await tcp.until(() => tcp.text.includes('\r\n\r\n') || tcp.isEnded, WAIT, 'the upgrade answer');
    } catch (err) {
      tcp.destroy();
      throw err;
    }
    const head = parseResponseHead(tcp.text);
    if (!head || head.status !== 101) {
      tcp.destroy();
      const err = new Error(`upgrade refused: ${head ? head.statusLine : JSON.stringify(tcp.text)}`);
      err.statusCode = head && head.status;
      throw err;
    }
    const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    assert.equal(head.headers['sec-websocket-accept'], accept, 'Sec-WebSocket-Accept');
    return new RawWs(tcp, head);
  }

  get sock() { return this.tcp.sock; }
  get isEnded() { return this.tcp.isEnded; }
  get ended() { return this.tcp.ended; }

  onData(c) {
    for (const f of this.decoder.push(c)) {
      this.frames.push(f);
      if (f.opcode === OP.close) {
        if (!this.closeFrame) this.closeFrame = parseClose(f.payload);
      } else if (f.opcode === OP.text || f.opcode === OP.continuation) {
        this.fragments = this.fragments ? [...this.fragments, f.payload] : [f.payload];
        if (f.fin) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = null;
          let m;
          try {
            const raw = JSON.parse(text);
            m = Array.isArray(raw) && raw.length === 5
              ? { join_ref: raw[0], ref: raw[1], topic: raw[2], event: raw[3], payload: raw[4], raw, text }
              : { raw, text };
          } catch (err) {
            m = { undecodable: err.message, text };
          }
          this.messages.push(m);
        }
      }
    }
    this.notify();
  }

  notify() { for (const l of [...this.listeners]) l(); }

  until(check, ms, what) { return waitUntil(this.listeners, check, ms, what); }

  /** Writes bytes as they are; resolves once handed to the kernel. */
  write(data) { return this.tcp.write(data); }

  /** Sends one masked frame. */
  sendFrame(opcode, payload, opts) { return this.write(encodeFrame(opcode, payload, opts)); }

  /** Sends a text frame (an object is JSON-encoded). */
  sendText(data) { return this.sendFrame(OP.text, typeof data === 'string' ? data : JSON.stringify(data)); }

  /** Waits for the server's close frame; returns {code, reason, length}. */
  async waitCloseFrame(ms = WAIT) {
    await this.until(() => this.closeFrame !== null || this.isEnded, ms, "the server's close frame");
    if (!this.closeFrame) throw new Error(`the connection ended without a close frame (${this.tcp.how})`);
    return this.closeFrame;
  }

  destroy() { this.tcp.destroy(); }
}

/**
 * Joins a "bystander" channel on a fresh connection before an attack;
 * `check()` afterwards asserts that the server process is alive and that
 * the bystander still gets a reply to `ping`. `transport: 'longpoll'`: the
 * bystander is a raw long-poll client (`windowMs` as LongPollClient).
 */
export async function joinBystander(ctx, topic = 'room:bystander', { transport = 'websocket', windowMs } = {}) {
  const c = transport === 'longpoll' ? await ctx.lp({ windowMs }) : await ctx.raw();
  const { joinRef, reply } = await c.join(topic);
  assert.equal(reply.payload.status, 'ok', `bystander join: ${JSON.stringify(reply.raw)}`);
  if (transport !== 'longpoll') {
    // Heartbeats as phoenix.js sends them, so that a long test (sanitizer
    // build) does not run into --idle-timeout-ms (60 s).
    const keepAlive = setInterval(() => {
      if (c.isOpen) c.send({ topic: 'phoenix', event: 'heartbeat', payload: {} });
    }, 20_000);
    keepAlive.unref();
    c.ws.once('close', () => clearInterval(keepAlive));
  }
  let n = 0;
  return {
    client: c,
    async check(ms = 10_000) {
      assert.equal(ctx.server.exited(), null, `phx-echo exited: ${JSON.stringify(ctx.server.exited())}`);
      assert.ok(c.isOpen, `the ${transport} bystander connection was closed`);
      const payload = { alive: ++n };
      const r = await c.call({ join_ref: joinRef, topic, event: 'ping', payload }, ms);
      assert.deepEqual(r.payload, { status: 'ok', response: payload }, `${transport} bystander ping reply`);
      assert.equal(ctx.server.exited(), null, 'phx-echo exited');
    },
  };
}

/** Number of lines of the server's output matching re. */
export function logLines(server, re) {
  return server.log().split('\n').filter((l) => re.test(l)).length;
}

// ---- operations tests: /metrics, processes started by hand ---------------------
// (Added for operations/drain/limits/config/token tests; nothing above changed.)
import { spawn } from 'node:child_process';

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)';
/** One sample line of the Prometheus text format: name{labels} value [timestamp]. */
export const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
/** One comment line: # HELP name text / # TYPE name type. */
export const COMMENT_LINE = new RegExp(`^# (?:HELP (${METRIC_NAME})(?: .*)?|TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped))$`);

/** A sample's key: the name plus its labels sorted, e.g. `a{x="1",y="2"}`. */
export function metricKey(name, labels = {}) {
  const ls = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return ls.length ? `${name}{${ls.map(([k, v]) => `${k}="${v}"`).join(',')}}` : name;
}

/**
 * Parses the Prometheus text exposition: {samples: Map(key → number),
 * types: Map(name → type), bad: [lines matching neither a comment nor a
 * sample]}. `get(name, labels)` is a sample's value (undefined if absent).
 */
export function parseMetrics(text) {
  const samples = new Map();
  const types = new Map();
  const bad = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline
  for (const line of lines) {
    const c = COMMENT_LINE.exec(line);
    if (c) {
      if (c[2]) types.set(c[2], c[3]);
      continue;
    }
    const s = SAMPLE_LINE.exec(line);
    if (!s) {
      bad.push(line);
      continue;
    }
    const labels = {};
    if (s[2]) for (const m of s[2].matchAll(new RegExp(`(${'[a-zA-Z_][a-zA-Z0-9_]*'})="((?:[^"\\\\\\n]|\\\\.)*)"`, 'g'))) labels[m[1]] = m[2];
    samples.set(metricKey(s[1], labels), Number(s[3]));
  }
  return { text, samples, types, bad, get: (name, labels) => samples.get(metricKey(name, labels)) };
}

/** GET /metrics (asserts 200 and a text/plain answer); returns parseMetrics of it. */
export async function fetchMetrics(port) {
  const res = await httpRequest(port, { path: '/metrics' });
  assert.equal(res.status, 200, `GET /metrics: ${res.status} ${res.text}`);
  assert.match(String(res.headers['content-type'] ?? ''), /^text\/plain/, 'Content-Type of /metrics');
  return parseMetrics(res.text);
}

/** Polls /metrics every 50 ms until check(metrics) holds; returns those metrics; throws after ms. */
export async function metricsUntil(port, check, ms, what) {
  const deadline = Date.now() + ms;
  let m;
  for (;;) {
    m = await fetchMetrics(port);
    if (check(m)) return m;
    if (Date.now() > deadline) {
      const lines = m.text.split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last /metrics samples:\n${lines}`);
    }
    await sleep(50);
  }
}

const launched = new Set();
process.once('exit', () => {
  for (const p of launched) if (!p.exited()) p.proc.kill('SIGKILL');
});

/**
 * Starts `command ...args` (default: phx-echo; nothing is added to `args`,
 * no --port) with `env` added to (or, for `null` values, removed from) this
 * process's environment; PHX_* variables of this process are dropped unless
 * `keepPhxEnv`. Returns a handle: proc, pid, stdout(), stderr(), log()
 * (both), exited() ({code, signal} or null), exit (a promise),
 * waitListening(ms) (the port of the "listening on http://HOST:PORT/" line),
 * waitExit(ms), kill(signal). Every handle is SIGKILLed when this process
 * exits; `killLaunched()` kills those still running.
 */
export function launch(args = [], { command = BIN, env = {}, keepPhxEnv = false } = {}) {
  const base = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => keepPhxEnv || !k.startsWith('PHX_')));
  for (const [k, v] of Object.entries(env)) {
    if (v === null || v === undefined) delete base[k];
    else base[k] = String(v);
  }
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: base });
  let out = '';
  let err = '';
  let both = '';
  const listeners = [];
  const notify = () => { for (const l of [...listeners]) l(); };
  proc.stdout.on('data', (c) => { out += c; both = (both + c).slice(-256_000); notify(); });
  proc.stderr.on('data', (c) => { err += c; both = (both + c).slice(-256_000); notify(); });
  let exited = null;
  const exit = new Promise((resolve) => {
    proc.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); });
    proc.once('error', (e) => { exited = { error: e.message }; resolve(exited); });
  });
  // 'exit' may come before the last output: 'close' waits for the pipes too.
  const closed = new Promise((resolve) => { proc.once('close', resolve); proc.once('error', resolve); });
  exit.then(notify);
  const h = {
    proc, pid: proc.pid, exit, closed,
    stdout: () => out, stderr: () => err, log: () => both, exited: () => exited,
    kill: (signal = 'SIGTERM') => { if (!exited) proc.kill(signal); },
    async waitListening(ms = 10_000) {
      const re = /listening on http:\/\/[^\s"/]+:(\d+)\//;
      await waitUntil(listeners, () => re.test(err) || exited, ms, `"listening on" from ${command}`)
        .catch((e) => { e.message += `\n--- output ---\n${both}`; throw e; });
      const m = re.exec(err);
      if (!m) throw new Error(`${command} exited (${JSON.stringify(exited)}) before listening:\n${both}`);
      h.port = Number(m[1]);
      return h.port;
    },
    async waitExit(ms = 10_000) {
      await withTimeout(exit, ms, `${command} to exit`);
      await withTimeout(closed, 2000, `${command}'s output to end`).catch(() => {});
      return exited;
    },
    until: (check, ms, what) => waitUntil(listeners, check, ms, what),
  };
  launched.add(h);
  return h;
}

/** SIGKILLs every process started by launch() that is still running; waits for them. */
export async function killLaunched() {
  for (const h of [...launched]) {
    launched.delete(h);
    if (!h.exited()) {
      h.proc.kill('SIGKILL');
      await withTimeout(h.exit, 3000, 'SIGKILL').catch(() => {});
    }
  }
}

/** CPU time (user + system) of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid, ticksPerSecond = 100) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces) in parentheses
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]); // field 14
  const stime = Number(rest[12]); // field 15
  return (utime + stime) / ticksPerSecond;
}
