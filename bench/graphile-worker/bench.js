#!/usr/bin/env node
// The peer of `ucsd-bench peer`: graphile-worker's no-op jobs/s and pickup latency, measured the way
// `ucsd-bench engine` (crates/server/src/bin/ucsd_bench/engine.rs) measures ucsd's job engine:
//
// - pickup latency: one no-op job at a time is enqueued (`addJob`, committed) while the workers are
//   idle; the time from just before the enqueue until the job is done (its row deleted, polled every
//   0.2 ms, which Node's timers round up to 1 ms, as tokio's do) and, from the job row the worker
//   claimed, from its `created_at` to its `locked_at` (enqueue -> claim); 5 ms pause between jobs;
// - throughput: a backlog of no-op jobs (`addJobs`, whole statements of 500) is drained; the clock
//   starts as the worker pool is started on the already-connected pool (as ucsd's engine is spawned
//   on its store's), and stops when the last row is gone (polled every 50 ms); jobs per second.
//
// One `pg` pool of 16 connections (the size of ucsd's store pool) serves the enqueues, the polling and
// the workers. graphile-worker runs with its defaults (no local queue, no batched completion) but
// `concurrency` = the ucsd workers and `pollInterval` 1000 ms = ucsd's bench poll interval; both are
// woken at once through LISTEN/NOTIFY, so the poll interval only matters for lost notifications.
//
//   node bench.js --database-url postgres://... --schema gw_bench --workers 4 \
//     --latency-jobs 300 --throughput-jobs 5000
//
// Prints one JSON object of figures on stdout (latencies in ms). The schema must not exist yet; it is
// created by graphile-worker's migrations and dropped at the end.

"use strict";

const { parseArgs } = require("node:util");
const { performance } = require("node:perf_hooks");
const { setTimeout: sleep } = require("node:timers/promises");
const { Pool } = require("pg");
const { run, makeWorkerUtils, Logger } = require("graphile-worker");

const BATCH = 500;

const { values: args } = parseArgs({
  options: {
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    schema: { type: "string" },
    workers: { type: "string", default: "4" },
    "latency-jobs": { type: "string", default: "300" },
    "throughput-jobs": { type: "string", default: "5000" },
    // Not used by ucsd-bench (its figures are graphile-worker's defaults): graphile-worker's batching,
    // to see what fetching and completing jobs in batches is worth (docs/performance.md).
    "local-queue-size": { type: "string", default: "-1" },
    "complete-job-batch-delay": { type: "string", default: "-1" },
  },
});
const schema = args.schema;
if (!schema || !/^[a-z_][a-z0-9_]*$/.test(schema)) {
  throw new Error("--schema NAME (lower case, digits, underscores) is required");
}
const workers = positive("workers");
const latencyJobs = positive("latency-jobs");
const throughputJobs = positive("throughput-jobs");

function positive(name) {
  const n = Number.parseInt(args[name], 10);
  if (!(n > 0)) throw new Error(`--${name} must be a positive integer`);
  return n;
}

// Warnings and errors to stderr; graphile-worker's info lines (one per job) would be measured too.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

/** The value at quantile `p` of sorted samples, nearest rank (as crate::report::percentile). */
function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.round((sorted.length - 1) * Math.min(Math.max(p, 0), 1))];
}

async function main() {
  const pool = new Pool({ connectionString: args["database-url"], max: 16 });
  pool.on("error", (e) => console.error(`idle Postgres connection: ${e.message}`));
  pool.on("connect", (client) => client.on("error", (e) => console.error(`Postgres connection: ${e.message}`)));
  const utils = await makeWorkerUtils({ pgPool: pool, schema, logger });
  await utils.migrate();
  const jobsTable = `"${schema}"._private_jobs`;
  const pending = async () => Number((await pool.query(`SELECT COUNT(*) AS n FROM ${jobsTable}`)).rows[0].n);
  const untilDrained = async (every, timeoutMs) => {
    const deadline = performance.now() + timeoutMs;
    while ((await pending()) > 0) {
      if (performance.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms`);
      await sleep(every);
    }
  };

  const claims = [];
  const taskList = {
    noop: async (_payload, helpers) => {
      claims.push(helpers.job.locked_at.getTime() - helpers.job.created_at.getTime());
    },
  };
  const start = () =>
    run({
      pgPool: pool,
      schema,
      concurrency: workers,
      pollInterval: 1000,
      noHandleSignals: true,
      logger,
      taskList,
      preset: {
        worker: {
          localQueue: { size: Number.parseInt(args["local-queue-size"], 10) },
          completeJobBatchDelay: Number.parseInt(args["complete-job-batch-delay"], 10),
        },
      },
    });

  // Pickup latency: commit -> done, one job at a time, workers idle in between.
  let runner = await start();
  await sleep(200);
  const latencies = [];
  for (let i = 0; i < latencyJobs; i++) {
    const enqueued = performance.now();
    await utils.addJob("noop", { i });
    await untilDrained(0.2, 30_000);
    latencies.push(performance.now() - enqueued);
    await sleep(5);
  }
  await runner.stop();
  latencies.sort((a, b) => a - b);
  const pickups = claims.slice().sort((a, b) => a - b);

  // Throughput: drain a backlog.
  // Whole batches, as ucsd-bench enqueues its backlog.
  for (let done = 0; done < throughputJobs; done += BATCH) {
    await utils.addJobs(Array.from({ length: BATCH }, (_, i) => ({ identifier: "noop", payload: { i: done + i } })));
  }
  const backlog = await pending();
  const started = performance.now();
  runner = await start();
  // Polled rarely, so the measurement takes little from the cores the workers need.
  await untilDrained(50, 600_000);
  const elapsed = (performance.now() - started) / 1000;
  await runner.stop();

  await utils.release();
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();

  const figures = {
    peer: "graphile-worker",
    version: require("graphile-worker/package.json").version,
    node: process.version,
    backend: "postgres",
    workers,
    local_queue_size: Number.parseInt(args["local-queue-size"], 10),
    complete_job_batch_delay: Number.parseInt(args["complete-job-batch-delay"], 10),
    samples: latencies.length,
    done_p50: percentile(latencies, 0.5),
    done_p99: percentile(latencies, 0.99),
    done_max: latencies.at(-1) ?? 0,
    claim_p50: percentile(pickups, 0.5),
    claim_p99: percentile(pickups, 0.99),
    jobs: backlog,
    secs: elapsed,
    jobs_per_sec: backlog / elapsed,
  };
  console.log(JSON.stringify(figures));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
