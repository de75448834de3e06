// The API contract and the effects tests again, with the nodes talking over TCP on loopback:
// every call, reply and effect then crosses the wire codec and its checks, and what a hostile
// machine returns to a caller on another node is refused before it reaches the wire.
process.env.FLOTILLA_TEST_TRANSPORT = 'tcp';
await import('../api.test.js');
await import('../effects.test.js');
await import('../machine-output.test.js');
