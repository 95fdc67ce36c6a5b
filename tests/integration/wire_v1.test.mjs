// V1-only wire behaviour (object frames): an explicit join_ref is stored but
// never echoed as a key; undecodable V1 frames close the connection.
import assert from 'node:assert/strict';
import { useServer } from './support.mjs';

const server = useServer();
const V1_KEYS = ['event', 'payload', 'ref', 'topic'];

for (const vsn of [null, '1.0.0']) {
  server.test(`vsn=${vsn ?? '(absent)'} speaks V1: ping replies with an object frame`, async ({ raw }) => {
    const c = await raw({ codec: 'v1', vsn });
    const { ref, reply } = await c.join('room:v1');
    assert.deepEqual(reply.raw, { topic: 'room:v1', event: 'phx_reply', ref, payload: { status: 'ok', response: { joined: 'room:v1', params: {} } } });
    const r = await c.call({ topic: 'room:v1', event: 'ping', payload: { p: 1 } });
    assert.deepEqual(Object.keys(r.raw).sort(), V1_KEYS);
    assert.deepEqual(r.payload, { status: 'ok', response: { p: 1 } });
  });
}

server.test('V1 client sending join_ref: phx_close ref carries it, no join_ref key anywhere', async ({ raw }) => {
  const c = await raw({ codec: 'v1' });
  const { joinRef, reply } = await c.join('room:v1jr', {}, { joinRef: 'JR-1' });
  assert.equal(joinRef, 'JR-1');
  assert.equal(reply.payload.status, 'ok');
  const p = await c.call({ join_ref: 'JR-1', topic: 'room:v1jr', event: 'ping', payload: {} });
  assert.equal(p.payload.status, 'ok');
  c.send({ join_ref: 'JR-1', topic: 'room:v1jr', event: 'stop_me', payload: {} });
  const close = await c.next((m) => m.event === 'phx_close', 'phx_close');
  assert.deepEqual(close.raw, { topic: 'room:v1jr', event: 'phx_close', payload: {}, ref: 'JR-1' });
  for (const m of c.all) assert.deepEqual(Object.keys(m.raw).sort(), V1_KEYS, m.text);
});

const undecodable = {
  'an array frame': JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]),
  'an object without ref': JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {} }),
  'not JSON': 'nope',
};
for (const [what, text] of Object.entries(undecodable)) {
  server.test(`V1: ${what} closes the connection with 1007 or 1003`, async ({ raw }) => {
    const c = await raw({ codec: 'v1' });
    c.sendRaw(text);
    const { code } = await c.waitClose();
    assert.ok(code === 1007 || code === 1003, `close code ${code}`);
  });
}
