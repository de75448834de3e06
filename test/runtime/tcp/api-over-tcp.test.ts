// The API contract, effects, machine output, identity and group creation tests again, with the
// nodes talking over TCP on loopback: every call, reply and effect then crosses the wire codec
// and its checks, what a hostile machine returns to a caller on another node is refused before
// it reaches the wire, and a wiped node's messages meet its peers' over real connections.
process.env.FLOTILLA_TEST_TRANSPORT = 'tcp';
await import('../api.test.js');
await import('../effects.test.js');
await import('../machine-output.test.js');
await import('../identity.test.js');
await import('../group-creation.test.js');
