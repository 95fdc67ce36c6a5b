// Starting and stopping a phoenix-caf server binary for the Node tests
// (integration and e2e): a free loopback port, a bounded wait until it
// accepts connections, SIGTERM then SIGKILL, and the tail of its output.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A binary of the default build tree, e.g. buildPath('apps/echo/phx-echo'). */
export const buildPath = (rel) => fileURLToPath(new URL(`../../build/${rel}`, import.meta.url));

/** Rejects after `ms` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on HOST:port (1 s at most). */
export function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

async function startOnce(bin, args, waitMs, env) {
  const port = await freePort();
  let output = '';
  // A short drain: SIGTERM closes what a test left open within 0.1 s, not
  // the default 10 s (a test of the drain passes its own, which wins).
  // `env` (optional) is added to this process's environment.
  const proc = spawn(bin, ['--port', String(port), '--drain-ms', '100', ...args],
                     { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  const keep = (chunk) => { output = (output + chunk).slice(-64_000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => {
    proc.once('exit', (code, signal) => { exited = { code, signal }; resolve(); });
    proc.once('error', (err) => { exited = { error: err.message }; resolve(); });
  });
  const server = { bin, proc, port, args, exit, log: () => output, exited: () => exited };
  const deadline = Date.now() + waitMs;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${bin} exited early (${JSON.stringify(exited)}):\n${output}`);
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(`${bin} did not accept connections on ${HOST}:${port} within ${waitMs} ms:\n${output}`);
    }
    await sleep(50);
  }
  // Whatever happens to the test, do not leave the server behind.
  process.once('exit', () => { if (!server.exited()) proc.kill('SIGKILL'); });
  return server;
}

/**
 * Starts `bin --port <free port> ...args` (with `env` added to the
 * environment, if given); retries once (a binary being relinked).
 */
export async function startServer(bin, args = [], { waitMs = 10_000, env } = {}) {
  try {
    return await startOnce(bin, args, waitMs, env);
  } catch (err) {
    await sleep(1000);
    try {
      return await startOnce(bin, args, waitMs, env);
    } catch (err2) {
      err2.message += `\n(first attempt: ${err.message})`;
      throw err2;
    }
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
export async function stopServer(server) {
  if (!server || server.exited()) return;
  server.proc.kill('SIGTERM');
  const done = await withTimeout(server.exit, 3000, 'SIGTERM').then(() => true, () => false);
  if (!done) {
    server.proc.kill('SIGKILL');
    await withTimeout(server.exit, 3000, 'SIGKILL').catch(() => {});
  }
}
