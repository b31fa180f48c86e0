'use strict';
// The loopback upstream of the HTTP benchmark: a plain node:http server answering every request
// with a small JSON document, keep-alive on. Runs in its own process (so the client's event loop
// is not shared with it) and prints its port on stdout.
const http = require('node:http');

const body = JSON.stringify({ city: 'Berlin', temperature: 21, unit: 'C', conditions: 'sunny' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('disconnect', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
