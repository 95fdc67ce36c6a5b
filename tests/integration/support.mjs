// Shared helpers for the phx-echo integration tests: server lifecycle, a raw
// WebSocket client speaking V1 or V2 frames, the stock phoenix client, HTTP.
import { test, before, after } from 'node:test';
import http from 'node:http';
import WebSocket from 'ws';
import { Socket } from 'phoenix';
import {
  HOST, buildPath, freePort, sleep, startServer as startProcess, stopServer, withTimeout,
} from '../support/server_process.mjs';

export { Socket, WebSocket };

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
 * bounded test; `fn(ctx)` gets a context with `port`, `raw()`, `phx()` and
 * `post()` bound to that server, and everything it opened is closed after
 * the test. A failing test gets the server's output appended.
 */
export function useServer(args = []) {
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
    const ctx = makeContext(h.server, t);
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

function makeContext(server, t) {
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
    phx: async (opts = {}) => {
      const s = await connectPhx(server.port, opts);
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

export function socketUrl(port, { vsn = '2.0.0', params = {}, path = '/socket/websocket' } = {}) {
  const q = new URLSearchParams(params);
  if (vsn !== null) q.set('vsn', vsn);
  const qs = q.toString();
  return `ws://${HOST}:${port}${path}${qs ? `?${qs}` : ''}`;
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
 * A WebSocket client that keeps every received frame in a queue. `next(pred)`
 * takes (removes) the first queued or future message matching `pred`, bounded
 * by a timeout. Messages are decoded with the chosen codec ('v1' | 'v2');
 * `msg.raw` is the parsed JSON as it arrived, `msg.text` the frame text.
 */
export class RawClient {
  constructor(port, { codec = 'v2', vsn, params = {}, protocols, path } = {}) {
    this.codec = codecs[codec];
    const v = vsn === undefined ? this.codec.vsn : vsn;
    this.url = socketUrl(port, { vsn: v, params, path });
    this.queue = [];
    this.waiters = [];
    this.all = [];          // every message ever received, in order
    this.refCounter = 0;
    this.ws = new WebSocket(this.url, protocols);
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
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  static async open(port, opts = {}) {
    const c = new RawClient(port, opts);
    await withTimeout(c.opened, WAIT, `WebSocket open ${c.url}`);
    return c;
  }

  onMessage(data, isBinary) {
    const text = data.toString();
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

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  nextRef() { return `r${++this.refCounter}`; }

  sendRaw(data) { this.ws.send(data); }

  /** Sends a message {join_ref, ref, topic, event, payload}; returns its ref. */
  send(m) {
    const msg = { ...m };
    if (!('ref' in msg)) msg.ref = this.nextRef();
    this.ws.send(this.codec.encode(msg));
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

/** A connected phoenix Socket (real npm client over ws). */
export async function connectPhx(port, { params = {}, ...opts } = {}) {
  const socket = new Socket(`ws://${HOST}:${port}/socket`, {
    transport: WebSocket,
    params,
    timeout: WAIT,
    reconnectAfterMs: () => 200,
    rejoinAfterMs: () => 200,
    ...opts,
  });
  const opened = new Promise((resolve, reject) => {
    socket.onOpen(resolve);
    socket.onError((e) => reject(new Error(`phoenix socket error: ${e && e.message}`)));
  });
  socket.connect();
  try {
    await withTimeout(opened, WAIT, 'phoenix socket open');
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  return socket;
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
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.request({
      host: HOST, port, path, method,
      headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  }), WAIT, `${method} ${path}`);
}
