// Helpers of the multi-process cluster tests: phx-echo nodes on fixed
// loopback ports (an HTTP port and a cluster node port each, kept across a
// restart), a full mesh of `--peers`, bounded waits on their logs, SIGKILL /
// SIGSTOP / SIGCONT, stock phoenix clients per node, and a `withCluster`
// wrapper that stops every process whatever happens to the test.
import { test, before, after } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  BIN, connectPhx, phxJoin, outcome, postBroadcast, rssBytes, RawClient, WAIT,
} from '../integration/support.mjs';
import { HOST, canConnect, freePort, sleep, withTimeout } from '../support/server_process.mjs';

export { BIN, HOST, WAIT, sleep, withTimeout, outcome, rssBytes, RawClient };

/** Bound of the wait until every node logs `peer ... up` for every other node. */
export const PEER_UP_MS = 10_000;
/** How long to watch for a duplicate (or any unwanted) delivery. */
export const QUIET_MS = 500;

const LOG_CAP = 8 * 1024 * 1024;   // log bytes kept per node (the head is dropped past it)

export const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Polls `check` every 50 ms until it returns a truthy value (returned); throws after `ms`. */
export async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

const handedOut = new Set();   // every port freePorts gave in this process: never given twice

/**
 * Distinct free loopback ports, none given before by this process (a port
 * reserved for a node started later must not go to another node meanwhile).
 */
export async function freePorts(n) {
  const ports = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 100 * n) throw new Error(`no ${n} free ports found`);
    const p = await freePort();
    if (handedOut.has(p)) continue;
    handedOut.add(p);
    ports.push(p);
  }
  return ports;
}

const live = new Set();   // every child process not yet exited: killed if this process exits
process.once('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/**
 * One phx-echo node: `--port httpPort --node-port nodePort --peers ...`
 * plus `args`. Its output (stderr and stdout) of every incarnation is kept
 * in one log; `mark()` is the current end of it, for waits on what is
 * logged from then on.
 */
export class EchoNode {
  constructor({ label, httpPort, nodePort, peerPorts = [], args = [] }) {
    this.label = label;             // A, B, C, ...
    this.httpPort = httpPort;
    this.nodePort = nodePort;
    this.peerPorts = peerPorts;     // node ports this node dials
    this.args = args;
    this.text = '';
    this.dropped = 0;               // bytes dropped from the head of `text`
    this.proc = null;
    this.exitInfo = null;           // {code, signal} of the current incarnation once exited
    this.exitPromise = null;
    this.paused = false;
    this.incarnation = 0;
    this.incarnationMark = 0;       // mark() when the current incarnation was started
  }

  /** The name peers use for this node: its node host:port. */
  get name() { return `${HOST}:${this.nodePort}`; }

  get pid() { return this.proc && this.proc.pid; }

  argv() {
    // A short drain on SIGTERM (the default 10 s would outlast stop()'s wait).
    const a = ['--port', String(this.httpPort), '--node-port', String(this.nodePort), '--drain-ms', '100'];
    if (this.peerPorts.length) a.push('--peers', this.peerPorts.map((p) => `${HOST}:${p}`).join(','));
    return [...a, ...this.args];
  }

  append(s) {
    this.text += s;
    if (this.text.length > LOG_CAP) {
      const cut = this.text.length - LOG_CAP / 2;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
  }

  /** Absolute offset of the end of the log. */
  mark() { return this.dropped + this.text.length; }

  /** The log from absolute offset `from` (what is left of it). */
  log(from = 0) { return this.text.slice(Math.max(0, from - this.dropped)); }

  /** Log lines (from `from`) matching re. */
  lines(re, from = 0) { return this.log(from).split('\n').filter((l) => re.test(l)); }

  tail(n = 40) {
    const lines = this.text.split('\n');
    return lines.slice(-n).join('\n');
  }

  get running() { return this.proc !== null && this.exitInfo === null; }

  async startOnce(waitMs) {
    this.incarnation++;
    this.incarnationMark = this.mark();
    this.append(`---- [test] ${this.label} incarnation ${this.incarnation}: ${BIN} ${this.argv().join(' ')}\n`);
    this.exitInfo = null;
    this.paused = false;
    const proc = spawn(BIN, this.argv(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(proc);
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => this.append(c));
    proc.stderr.on('data', (c) => this.append(c));
    this.exitPromise = new Promise((resolve) => {
      const done = (info) => {
        live.delete(proc);
        if (this.proc === proc) this.exitInfo = info;
        resolve(info);
      };
      proc.once('exit', (code, signal) => done({ code, signal }));
      proc.once('error', (err) => done({ error: err.message }));
    });
    const deadline = Date.now() + waitMs;
    while (!(await canConnect(this.httpPort))) {
      if (this.exitInfo) throw new Error(`node ${this.label} exited early (${JSON.stringify(this.exitInfo)}):\n${this.tail()}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`node ${this.label} did not accept connections on ${HOST}:${this.httpPort} within ${waitMs} ms:\n${this.tail()}`);
      }
      await sleep(50);
    }
    if (this.exitInfo) throw new Error(`node ${this.label} exited right after start (${JSON.stringify(this.exitInfo)}):\n${this.tail()}`);
  }

  /**
   * Starts the node (again: the same ports). A failed start is retried after
   * 1 s: once (a binary being relinked), or until `retryForMs` passed. Returns
   * {attempts, ms, firstError} (firstError: the message of the first failure).
   */
  async start({ waitMs = 10_000, retryForMs = 0 } = {}) {
    const t0 = Date.now();
    let firstError = null;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(waitMs);
        return { attempts: attempt, ms: Date.now() - t0, firstError };
      } catch (err) {
        firstError ??= err.message;
        if (attempt >= 2 && Date.now() - t0 >= retryForMs) {
          err.message += `\n(${attempt} attempts in ${Date.now() - t0} ms; the first: ${firstError})`;
          throw err;
        }
        await sleep(1000);
      }
    }
  }

  signal(sig) {
    if (!this.running) return;
    this.proc.kill(sig);
    if (sig === 'SIGSTOP') this.paused = true;
    if (sig === 'SIGCONT') this.paused = false;
  }

  pause() { this.signal('SIGSTOP'); }
  resume() { this.signal('SIGCONT'); }

  /** SIGKILL; resolves once the process is gone. */
  async kill() {
    if (!this.running) return this.exitInfo;
    this.proc.kill('SIGKILL');
    return withTimeout(this.exitPromise, 5000, `node ${this.label} to die of SIGKILL`);
  }

  /** SIGCONT (if stopped), SIGTERM, SIGKILL after 3 s; resolves {code, signal} (null if not running). */
  async stop() {
    if (!this.proc) return null;
    if (this.exitInfo) return this.exitInfo;
    if (this.paused) this.resume();
    this.proc.kill('SIGTERM');
    const info = await withTimeout(this.exitPromise, 3000, 'SIGTERM').catch(() => null);
    if (info) return info;
    this.append(`---- [test] ${this.label} did not exit within 3 s of SIGTERM: SIGKILL\n`);
    if (process.env.CLUSTER_STACKS_ON_HANG) this.append(threadStacks(this.proc.pid));
    this.proc.kill('SIGKILL');
    await withTimeout(this.exitPromise, 3000, 'SIGKILL').catch(() => {});
    return { ...(this.exitInfo || {}), sigkilled: true };
  }
}

/** Every thread's stack of pid (gdb -batch), for a node that hangs; '' without gdb. */
function threadStacks(pid) {
  const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 30'],
                      { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `---- [test] no stacks: ${r.error.message}\n`;
  return `---- [test] stacks of ${pid} (gdb):\n${r.stdout.split('\n').filter((l) => /^Thread|^#/.test(l)).join('\n')}\n`;
}

/** `cluster: peer <name> up` */
export const peerUpRe = (name) => new RegExp(`cluster: peer ${escapeRe(name)} up\\b`);
/** `cluster: peer <name> down (...)` (any reason unless given: a regexp source) */
export const peerDownRe = (name, reason = '') => new RegExp(`cluster: peer ${escapeRe(name)} down \\(${reason}`);

/**
 * Waits until node's log from `from` has a line matching re; returns that
 * line. (The logs are appended to a failure by withCluster / useCluster.)
 */
export async function waitLog(node, re, ms, { from = 0, what } = {}) {
  return eventually(() => node.lines(re, from)[0], ms, what || `${re} in the log of node ${node.label}`);
}

/**
 * A set of nodes started together. `nodes[i]` is labelled A, B, C, ...;
 * clients opened through `client()` are disconnected by `stop()`.
 */
export class Cluster {
  constructor(nodes) {
    this.nodes = nodes;
    this.sockets = [];
    this.raws = [];
  }

  get A() { return this.nodes[0]; }
  get B() { return this.nodes[1]; }
  get C() { return this.nodes[2]; }

  /** Waits until `node` logged `peer X up` (from `from`) for every node in `others`. */
  async waitPeersUp(node, others, ms = PEER_UP_MS, from = 0) {
    const deadline = Date.now() + ms;
    for (const o of others) await waitLog(node, peerUpRe(o.name), Math.max(0, deadline - Date.now()), { from });
  }

  /** Waits until every node logged `peer ... up` for every other (bounded). */
  async waitMesh(ms = PEER_UP_MS, nodes = this.nodes, from = new Map()) {
    const deadline = Date.now() + ms;
    for (const n of nodes) {
      await this.waitPeersUp(n, nodes.filter((o) => o !== n), Math.max(0, deadline - Date.now()), from.get(n) || 0);
    }
  }

  /** A connected stock phoenix Socket on node `node` (an EchoNode or an index). */
  async client(node, opts = {}) {
    const n = typeof node === 'number' ? this.nodes[node] : node;
    const s = await connectPhx(n.httpPort, opts);
    this.sockets.push(s);
    return s;
  }

  /** A connected raw V2 WebSocket client (see tests/integration/support.mjs) on node. */
  async raw(node, opts = {}) {
    const n = typeof node === 'number' ? this.nodes[node] : node;
    const c = await RawClient.open(n.httpPort, opts);
    this.raws.push(c);
    return c;
  }

  /** POST /api/broadcast on node. */
  post(node, body) {
    const n = typeof node === 'number' ? this.nodes[node] : node;
    return postBroadcast(n.httpPort, body);
  }

  /**
   * Restarts nodes[i] on the same ports (SIGKILL if `kill`, else SIGTERM
   * when still running; a failed start retried for `retryForMs`) and, unless
   * `wait` is false, waits (`ms`) until it and every other running node
   * logged the peering again. Returns {attempts, ms, firstError} of the start.
   */
  async restartNode(i, { kill = false, wait = true, ms = 15_000, retryForMs = 0 } = {}) {
    const node = this.nodes[i];
    if (node.running) {
      if (kill) await node.kill();
      else await node.stop();
    }
    const others = this.nodes.filter((o) => o !== node && o.running);
    const marks = new Map(others.map((o) => [o, o.mark()]));
    const start = await node.start({ retryForMs });
    if (wait) {
      const deadline = Date.now() + ms;
      await this.waitPeersUp(node, others, ms, node.incarnationMark);   // this incarnation's lines
      for (const o of others) await this.waitPeersUp(o, [node], Math.max(0, deadline - Date.now()), marks.get(o));
    }
    return start;
  }

  /** Disconnects every client, SIGCONT/SIGTERM/SIGKILL every node; returns nodes that did not exit 0. */
  async stop() {
    for (const s of this.sockets) {
      try { s.disconnect(); } catch { /* gone */ }
    }
    for (const c of this.raws) {
      try { c.terminate(); } catch { /* gone */ }
    }
    for (const n of this.nodes) {
      try { n.resume(); } catch { /* gone */ }
    }
    const results = await Promise.all(this.nodes.map(async (n) => [n, await n.stop()]));
    return results.filter(([, info]) => info && !(info.code === 0 && !info.sigkilled))
      .map(([n, info]) => ({ label: n.label, info }));
  }

  /** Tails of every node's log, for a failure message. */
  logs(lines = 40) {
    return this.nodes.map((n) => `--- node ${n.label} (http ${n.httpPort}, node ${n.name}, pid ${n.pid}${n.exitInfo ? `, EXITED ${JSON.stringify(n.exitInfo)}` : ''}) log (tail) ---\n${n.tail(lines)}`).join('\n');
  }

  /** Adds another node (not part of the mesh waits) with its own ports; started. */
  async addNode({ label, peerPorts = [], args = [] }) {
    const [httpPort, nodePort] = await freePorts(2);
    const n = new EchoNode({ label, httpPort, nodePort, peerPorts, args });
    this.nodes.push(n);
    await n.start();
    return n;
  }
}

/**
 * Starts n nodes (A, B, C, ...) on free ports, each with `--peers` the node
 * ports of all others (full mesh) plus `extraArgs`; `perNode[i]` adds args
 * to node i, `extraPeers[i]` more node ports for node i to dial. All start
 * at once, or one after the other (each accepting connections before the
 * next starts) in `order` (indices): then the first ones are dialed by the
 * later ones and accept their connections on the node port. Waits
 * (PEER_UP_MS) until every node logged `peer ... up` for every other.
 */
export async function startCluster(n, extraArgs = [], { perNode = {}, extraPeers = {}, order = null, waitMs = PEER_UP_MS } = {}) {
  const ports = await freePorts(2 * n);
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const peerPorts = [];
    for (let j = 0; j < n; j++) if (j !== i) peerPorts.push(ports[2 * j + 1]);
    nodes.push(new EchoNode({
      label: String.fromCharCode(65 + i),
      httpPort: ports[2 * i],
      nodePort: ports[2 * i + 1],
      peerPorts: [...peerPorts, ...(extraPeers[i] || [])],
      args: [...extraArgs, ...(perNode[i] || [])],
    }));
  }
  const cluster = new Cluster(nodes);
  try {
    if (order) {
      for (const i of order) await nodes[i].start();
    } else {
      const started = await Promise.allSettled(nodes.map((node) => node.start()));
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await cluster.waitMesh(waitMs);
  } catch (err) {
    err.message += `\n${cluster.logs()}`;
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/**
 * Runs fn(cluster) on a fresh cluster of n nodes; whatever happens, stops
 * every node (SIGCONT first). A failure gets every node's log tail appended;
 * if fn passed, every node must have exited 0 on SIGTERM.
 */
export async function withCluster(n, extraArgs, fn, opts = {}) {
  const cluster = await startCluster(n, extraArgs, opts);
  let failed = false;
  try {
    await fn(cluster);
  } catch (err) {
    failed = true;
    if (err && typeof err === 'object') {
      try { err.message = `${err.message}\n${cluster.logs()}`; } catch { /* read-only */ }
    }
    throw err;
  } finally {
    const unclean = await cluster.stop();
    if (!failed && unclean.length) {
      throw new Error(`nodes did not exit 0 on SIGTERM: ${JSON.stringify(unclean)}\n${cluster.logs()}`);
    }
  }
}

// ---- clients ----------------------------------------------------------------------

/** Joins topic on a phoenix socket; asserts ok; returns the channel. */
export async function join(socket, topic, params = {}) {
  const r = await phxJoin(socket, topic, params);
  assert.equal(r.status, 'ok', `join ${topic}: ${r.status} ${JSON.stringify(r.response)}`);
  return r.channel;
}

/** Records every `event` of channel: [{payload, at}]. */
export function record(channel, event = 'shout') {
  const got = [];
  channel.on(event, (payload) => got.push({ payload, at: Date.now() }));
  return got;
}

/**
 * One stock client on each of A, B and C joined to `topic`, recording its
 * shouts; returns once a probe from A reached all three (reported on `t`).
 * { chA, chB, chC, recs: {A, B, C} }.
 */
export async function joinOnEveryNode(cluster, topic, t) {
  const { A, B, C } = cluster;
  const chA = await join(await cluster.client(A), topic);
  const chB = await join(await cluster.client(B), topic);
  const chC = await join(await cluster.client(C), topic);
  const recs = { A: record(chA), B: record(chB), C: record(chC) };
  t.diagnostic(`room seen across the cluster after ${await settle(chA, recs)} ms`);
  return { chA, chB, chC, recs };
}

/**
 * Pushes event (shout and shout_from get no reply) and then a `ping` on the
 * same channel: once the ping is answered the event was handled (a channel
 * handles its pushes in order). Asserts no error reply came for the event.
 */
export async function pushSynced(channel, event, payload, what = event) {
  const errors = [];
  channel.push(event, payload).receive('error', (e) => errors.push(e));
  const r = await outcome(channel.push('ping', {}), `the ping after ${what}`);
  assert.equal(r.status, 'ok', `ping after ${what}: ${JSON.stringify(r)}`);
  assert.deepEqual(errors, [], `error reply to ${what}`);
}

/** How many records have payload.id === id. */
export const countId = (rec, id) => rec.filter((r) => r.payload && r.payload.id === id).length;

let uniq = 0;
/** A unique id for a payload. */
export const uid = (prefix = 'm') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++uniq}`;

/**
 * Waits until each recorder in `recs` (a {name: rec} map) has a record with
 * payload.id === id (bounded `ms`), then QUIET_MS more, then asserts each
 * has exactly one, and each of `absent` none.
 */
export async function expectExactlyOnce(recs, id, { absent = {}, ms = WAIT, what = id } = {}) {
  const names = Object.keys(recs);
  try {
    await eventually(() => names.every((k) => countId(recs[k], id) >= 1), ms, `${what} on every subscriber`);
  } catch (err) {
    err.message += `; missing on: ${names.filter((k) => countId(recs[k], id) === 0).join(', ')}`;
    throw err;
  }
  await sleep(QUIET_MS);
  for (const k of names) assert.equal(countId(recs[k], id), 1, `${what}: deliveries to ${k}`);
  for (const k of Object.keys(absent)) assert.equal(countId(absent[k], id), 0, `${what}: deliveries to ${k} (must get none)`);
}

/**
 * Shouts `{id, probe: true}` from `channel` every `everyMs` until every
 * recorder in recs got at least one of them (bounded `ms`); returns the ms
 * it took. For the propagation of fresh subscriptions across nodes.
 */
export async function settle(channel, recs, { ms = 10_000, everyMs = 300, prefix = 'probe' } = {}) {
  const t0 = Date.now();
  const ids = new Set();
  const seen = (rec) => rec.some((r) => r.payload && ids.has(r.payload.id));
  let last = 0;
  try {
    await eventually(() => {
      if (Object.values(recs).every(seen)) return true;
      if (Date.now() - last >= everyMs) {
        const id = uid(prefix);
        ids.add(id);
        channel.push('shout', { id, probe: true });
        last = Date.now();
      }
      return false;
    }, ms, 'a probe shout on every subscriber');
  } catch (err) {
    err.message += ` (${ids.size} probes sent; none arrived on: ${Object.keys(recs).filter((k) => !seen(recs[k])).join(', ')})`;
    throw err;
  }
  return Date.now() - t0;
}

/** VmRSS in MB. */
export const rssMB = (pid) => rssBytes(pid) / (1024 * 1024);

/**
 * Registers before/after hooks running one cluster of n nodes for the
 * file (or suite). Returns {cluster (once started), test(name, fn, opts)}:
 * fn(cluster, t) runs bounded; a failure gets every node's log tail; the
 * clients it opened are disconnected afterwards. The after hook asserts
 * every node exits 0 on SIGTERM.
 */
export function useCluster(n, extraArgs = [], opts = {}) {
  const h = { cluster: null };
  before(async () => { h.cluster = await startCluster(n, extraArgs, opts); });
  after(async () => {
    if (!h.cluster) return;
    const unclean = await h.cluster.stop();
    if (unclean.length) throw new Error(`nodes did not exit 0 on SIGTERM: ${JSON.stringify(unclean)}\n${h.cluster.logs()}`);
  });
  h.test = (name, fn, testOpts = {}) => test(name, { timeout: 60_000, ...testOpts }, async (t) => {
    const c = h.cluster;
    const s0 = c.sockets.length;
    const r0 = c.raws.length;
    try {
      await fn(c, t);
    } catch (err) {
      if (err && typeof err === 'object') {
        try { err.message = `${err.message}\n${c.logs()}`; } catch { /* read-only */ }
      }
      throw err;
    } finally {
      for (const s of c.sockets.splice(s0)) {
        try { s.disconnect(); } catch { /* gone */ }
      }
      for (const r of c.raws.splice(r0)) {
        try { r.terminate(); } catch { /* gone */ }
      }
    }
  });
  return h;
}
