// autocannon setupClient (runs in autocannon's worker thread): connection N uses session cookie N.
const { readFileSync } = require('node:fs');

const cookies = JSON.parse(readFileSync(process.env.EC_BENCH_COOKIES, 'utf8'));
let next = 0;

module.exports = function setupClient(client) {
  const cookie = cookies[next % cookies.length];
  next += 1;
  client.setHeaders({ cookie, accept: process.env.EC_BENCH_ACCEPT || 'text/html' });
};
