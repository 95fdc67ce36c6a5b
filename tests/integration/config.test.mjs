// Configuration sources (--config file < PHX_* environment < command line),
// bad values (exit 2 naming the option, where it came from and what is
// accepted), and --log-format json (every stderr line one JSON object).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  launch, killLaunched, freePort, httpRequest, RawClient, withTimeout,
} from './support.mjs';

after(killLaunched);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phx-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeConfig(name, text) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

// Distinct free ports.
async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

// Starts phx-echo, waits for its "listening on" line, checks that port
// answers /healthz, stops it (SIGTERM → exit 0); returns the port.
async function listensOn(args, env) {
  const srv = launch(args, { env });
  try {
    const port = await srv.waitListening();
    const res = await httpRequest(port, { path: '/healthz' });
    assert.equal(res.status, 200, `GET /healthz on ${port}`);
    srv.kill('SIGTERM');
    const exited = await srv.waitExit(5000);
    assert.deepEqual(exited, { code: 0, signal: null }, `exit: ${srv.log()}`);
    return port;
  } catch (err) {
    err.message += `\n--- phx-echo ${JSON.stringify(srv.exited())} output ---\n${srv.log()}`;
    throw err;
  } finally {
    srv.kill('SIGKILL');
  }
}

// Starts phx-echo expecting it to refuse its configuration: {code, stderr}.
async function refused(args, env) {
  const srv = launch(args, { env });
  try {
    const exited = await srv.waitExit(5000);
    return { ...exited, stderr: srv.stderr() };
  } finally {
    srv.kill('SIGKILL');
  }
}

test('--config FILE (no --port on the command line): listens on the file\'s port', { timeout: 20_000 }, async () => {
  const [p1] = await freePorts(1);
  const file = writeConfig('a.conf', `[global]\nport = ${p1}\nidle-timeout-ms = 60000\n`);
  assert.equal(await listensOn(['--config', file]), p1);
  // PHX_CONFIG names the file as well
  assert.equal(await listensOn([], { PHX_CONFIG: file }), p1);
});

test('the environment wins over the file: PHX_PORT', { timeout: 20_000 }, async () => {
  const [p1, p2] = await freePorts(2);
  const file = writeConfig('b.conf', `[global]\nport = ${p1}\nidle-timeout-ms = 60000\n`);
  assert.equal(await listensOn(['--config', file], { PHX_PORT: p2 }), p2);
});

test('the command line wins over the environment and the file: --port', { timeout: 20_000 }, async () => {
  const [p1, p2, p3] = await freePorts(3);
  const file = writeConfig('c.conf', `[global]\nport = ${p1}\nidle-timeout-ms = 60000\n`);
  assert.equal(await listensOn(['--config', file, '--port', String(p3)], { PHX_PORT: p2 }), p3);
  assert.equal(await listensOn(['--port', String(p3)], { PHX_PORT: p2 }), p3);
});

test('bad values: exit 2, stderr names the option, its source and the accepted values', { timeout: 20_000 }, async () => {
  const port = await refused(['--port', '70000']);
  assert.equal(port.code, 2, `--port 70000: ${JSON.stringify(port)}`);
  assert.match(port.stderr, /--port\b/);
  assert.ok(port.stderr.includes('accepted: an integer from 0 to 65535'), port.stderr);
  assert.ok(port.stderr.includes('70000'), port.stderr);

  const level = await refused(['--port', '0'], { PHX_LOG_LEVEL: 'loud' });
  assert.equal(level.code, 2, `PHX_LOG_LEVEL=loud: ${JSON.stringify(level)}`);
  assert.ok(level.stderr.includes('environment PHX_LOG_LEVEL'), level.stderr);
  assert.ok(level.stderr.includes('debug, info, warning or error'), level.stderr);
  assert.match(level.stderr, /--log-level\b/);

  const file = writeConfig('bad.conf', '[global]\nport = abc\n');
  const fromFile = await refused(['--config', file]);
  assert.equal(fromFile.code, 2, `port = abc in a file: ${JSON.stringify(fromFile)}`);
  assert.ok(fromFile.stderr.includes(`${file}, line 2`), fromFile.stderr);
  assert.match(fromFile.stderr, /--port\b/);
  assert.ok(fromFile.stderr.includes('accepted: an integer from 0 to 65535'), fromFile.stderr);
});

test('--log-format json: every stderr line is an object with string level, time (ISO 8601) and msg', { timeout: 20_000 }, async (t) => {
  const srv = launch(['--port', '0', '--log-format', 'json', '--drain-ms', '500']);
  try {
    const port = await srv.waitListening();
    const c = await RawClient.open(port);
    const { joinRef } = await c.join('room:json');
    // a crash logs an error line of its own
    c.send({ join_ref: joinRef, topic: 'room:json', event: 'boom', payload: {} });
    await c.next((m) => m.event === 'phx_error', 'phx_error');
    c.ws.close(1000);
    await c.waitClose();
    srv.kill('SIGTERM');
    const exited = await srv.waitExit(5000);
    assert.deepEqual(exited, { code: 0, signal: null });
    const lines = srv.stderr().split('\n');
    assert.equal(lines.pop(), '', 'stderr ends with a newline');
    assert.ok(lines.length >= 4, `${lines.length} lines:\n${srv.stderr()}`);
    const levels = new Set();
    for (const line of lines) {
      let o;
      try { o = JSON.parse(line); } catch (err) { assert.fail(`not JSON: ${line}`); }
      assert.ok(o !== null && typeof o === 'object' && !Array.isArray(o), `not an object: ${line}`);
      for (const k of ['level', 'time', 'msg']) assert.equal(typeof o[k], 'string', `"${k}" in ${line}`);
      assert.match(o.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, line);
      assert.ok(Number.isFinite(Date.parse(o.time)), line);
      assert.ok(['debug', 'info', 'warning', 'error'].includes(o.level), line);
      levels.add(o.level);
    }
    const msgs = lines.map((l) => JSON.parse(l).msg);
    assert.ok(msgs.some((m) => /^listening on http:\/\/127\.0\.0\.1:\d+\/$/.test(m)), 'the listening line');
    assert.ok(msgs.some((m) => /boom/.test(m)), 'the crash line');
    assert.ok(msgs.some((m) => /signal/.test(m)), 'the signal line');
    t.diagnostic(`${lines.length} JSON lines, levels ${[...levels].join(', ')}; e.g. ${lines[0]}`);
  } catch (err) {
    err.message += `\n--- phx-echo ${JSON.stringify(srv.exited())} stderr ---\n${srv.stderr()}`;
    throw err;
  } finally {
    srv.kill('SIGKILL');
  }
});
