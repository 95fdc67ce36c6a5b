// A client that pauses reading while a burst piles up (well within the
// outbound bound) gets every frame once resumed: whole, once each, in order.
// The server meets full socket buffers here: partial gathered writes that
// must resume each frame exactly where the last write stopped.
import assert from 'node:assert/strict';
import { useServer, sleep, eventually } from './support.mjs';

const server = useServer(['--max-outbound-bytes', String(64 * 1024 * 1024)]);

server.test('a paused client gets every frame of a burst, whole and in order', async ({ raw, post }) => {
  const paused = await raw();
  await paused.join('room:burst');
  paused.ws._socket.pause();
  const N = 250; // 250 x 60 KB = 15 MB: more than loopback's socket buffers hold
  const blob = (i) => String.fromCharCode(97 + (i % 26)).repeat(60_000 + i);
  for (let i = 0; i < N; i++) {
    const res = await post({ topic: 'room:burst', event: 'big', payload: { i, blob: blob(i) } });
    assert.equal(res.status, 202, res.text);
  }
  await sleep(300);
  paused.ws._socket.resume();
  const big = () => paused.all.filter((m) => m.event === 'big');
  await eventually(() => big().length >= N, 20_000, `${N} frames`);
  const got = big();
  assert.equal(got.length, N);
  got.forEach((m, k) => {
    if (m.payload.i !== k) assert.fail(`frame ${k} is #${m.payload.i}`);
    if (m.payload.blob !== blob(k)) assert.fail(`frame ${k} arrived damaged`);
  });
  assert.ok(paused.isOpen);
}, { timeout: 40_000 });
