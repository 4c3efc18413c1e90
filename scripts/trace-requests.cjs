/**
 * Where a webhook's time goes, for a benchmark: loaded into the server with
 * `NODE_OPTIONS="--require ./scripts/trace-requests.cjs"`, it notes for each request to the
 * incoming and Dial-action webhooks every PostgreSQL statement and Redis command it waited on
 * (started at, took), and writes them to TRACE_DIR/trace-<pid>.json when the process exits.
 * `npx tsx scripts/trace-compare.ts A.json B.json` sets two runs side by side (bench-scale's (a)
 * and (b): the earlier file is (a)). Never in production: it wraps the drivers' methods.
 *
 *   TRACE_DIR=/tmp/trace NODE_OPTIONS="--require ./scripts/trace-requests.cjs" \
 *     BENCH_DATABASE_URL=... BENCH_REDIS_URL=... npx tsx scripts/bench-scale.ts --history 100000 --pairs 300
 */
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const als = new AsyncLocalStorage();
const traces = [];
const WATCHED = /\/webhooks\/voice\/(incoming|dial-result)/;

const label = (text) => text.replace(/\s+/g, ' ').slice(0, 70);
function note(store, name, start) {
  if (store) store.ops.push([name, +(start - store.start).toFixed(2), +(performance.now() - start).toFixed(2)]);
}

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event !== 'request' || !WATCHED.test(req.url)) return emit.apply(this, arguments);
  const store = { url: req.url.split('?')[0], start: performance.now(), ops: [] };
  res.on('finish', () => {
    store.total = +(performance.now() - store.start).toFixed(2);
    traces.push(store);
  });
  return als.run(store, () => emit.apply(this, arguments));
};

const pg = require(require.resolve('pg', { paths: [root] }));
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config) {
  const text = typeof config === 'string' ? config : config && config.text;
  const store = als.getStore();
  if (!store || !text) return query.apply(this, arguments);
  const start = performance.now();
  const args = Array.from(arguments);
  const last = args.length - 1;
  // pg.Pool passes a callback; a client checked out for a transaction is asked for a promise.
  if (typeof args[last] === 'function') {
    const callback = args[last];
    args[last] = function () {
      note(store, `pg ${label(text)}`, start);
      return callback.apply(this, arguments);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result && typeof result.then === 'function') result.then(() => note(store, `pg ${label(text)}`, start), () => note(store, `pg! ${label(text)}`, start));
  return result;
};

const Redis = require(require.resolve('ioredis', { paths: [root] }));
const Client = Redis.default || Redis;
const send = Client.prototype.sendCommand;
Client.prototype.sendCommand = function (command) {
  const store = als.getStore();
  const start = performance.now();
  const result = send.apply(this, arguments);
  if (store && command && command.promise) command.promise.then(() => note(store, `redis ${command.name}`, start), () => note(store, `redis! ${command.name}`, start));
  return result;
};

process.on('exit', () => {
  if (traces.length > 0) fs.writeFileSync(path.join(process.env.TRACE_DIR || '.', `trace-${process.pid}.json`), JSON.stringify(traces));
});
