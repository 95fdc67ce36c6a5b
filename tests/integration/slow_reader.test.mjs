// Slow readers: a client that stops reading is closed once its queue passes
// --max-outbound-bytes (logged, memory stays bounded), and the clients that
// do read lose nothing.
import assert from 'node:assert/strict';
import { useServer, sleep, withTimeout, eventually } from './support.mjs';

const server = useServer(['--max-outbound-bytes', '1048576']);

server.test('a client that stops reading is closed (1008 logged); the reader gets every frame', async ({ raw, post }) => {
  const slow = await raw();
  await slow.join('room:slow');
  const reader = await raw();
  await reader.join('room:slow');
  slow.ws._socket.pause(); // kernel buffers fill first, then the server's bounded queue
  const N = 300;           // 300 x 60 KB: well past loopback's socket buffers
  const blob = 'x'.repeat(60_000);
  // Paced by the reader, so only the client that stopped reading falls behind.
  for (let i = 0; i < N; i++) {
    const res = await post({ topic: 'room:slow', event: 'big', payload: { i, blob } });
    assert.equal(res.status, 202, res.text);
    await reader.next((m) => m.event === 'big' && m.payload.i === i, `big #${i} on the reader`);
  }
  await eventually(() => /closing connection \(1008\).*does not read/.test(server.server.log()), 5000,
                   'the 1008 log line');
  // The close frame cannot leave while the client does not read: 5 s later
  // the server cuts the socket. Resumed only then, the client finds the
  // connection reset (1006) instead of a close frame (1008).
  await sleep(6000);
  slow.ws._socket.resume();
  const closed = await withTimeout(slow.closed, 10_000, 'the slow client to be closed');
  assert.equal(closed.code, 1006, `close code ${closed.code}`);
}, { timeout: 40_000 });

server.test('a client flooding frames gets every reply, in order (reads pause, nothing is dropped)', async ({ raw }) => {
  const flood = await raw();
  const { joinRef } = await flood.join('room:flood');
  const N = 20_000; // far more than the 256 frames the server lets wait in the actor's mailbox
  for (let i = 0; i < N; i++)
    flood.sendRaw(JSON.stringify([joinRef, `f${i}`, 'room:flood', 'ping', { i }]));
  await eventually(() => flood.all.filter((m) => m.event === 'phx_reply').length >= N + 1, 30_000,
                   `${N} ping replies`);
  const replies = flood.all.filter((m) => m.event === 'phx_reply' && m.topic === 'room:flood').slice(1);
  assert.equal(replies.length, N);
  replies.forEach((m, i) => {
    if (m.ref !== `f${i}` || m.payload.response.i !== i)
      assert.fail(`reply ${i} is ${JSON.stringify(m.raw)}`);
  });
  assert.ok(flood.isOpen);
}, { timeout: 60_000 });
