// The graphile-worker baseline of the scheduler benchmark (SchedulerRun.cs starts it with node).
// One runner in this process; each round adds its no-op jobs in one addJobs call, all due at one instant T, then
// waits until the jobs table is empty (graphile-worker deletes a job once its completion is committed).
// Prints one JSON line per round: the start lags (task entered − T, ms) and T → jobs table empty (s).
"use strict";
const { run, makeWorkerUtils } = require("graphile-worker");
const { Pool } = require("pg");

const [rounds, concurrency, batch, leadMs] = [JSON.parse(process.argv[2]), +process.argv[3], +process.argv[4], +process.argv[5]];
// More connections than jobs in flight, as graphile-worker advises; a dropped idle connection is logged, not fatal.
const pool = new Pool({ connectionString: process.env.GW_CONNECTION, max: concurrency + 4 });
pool.on("error", (e) => console.error("pool:", e.message));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const utils = await makeWorkerUtils({ pgPool: pool });
  await utils.migrate();
  let due = 0;
  let lags = [];
  const runner = await run({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList: { noop: async () => { lags.push(Date.now() - due); } },
    preset: { worker: { localQueue: { size: batch }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
  for (const round of rounds) {
    lags = [];
    due = Date.now() + leadMs;
    const runAt = new Date(due);
    const specs = Array.from({ length: round.count }, (_, i) => ({ identifier: "noop", payload: { i }, runAt }));
    await utils.addJobs(specs);
    const written = Date.now();
    await sleep(Math.max(0, due - Date.now()));
    let left = round.count;
    let doneAt = null;
    const deadline = due + 600000;
    while (Date.now() < deadline) {
      const r = await pool.query("SELECT count(*)::int AS n FROM graphile_worker._private_jobs");
      left = r.rows[0].n;
      if (left === 0) { doneAt = Date.now(); break; }
      await sleep(20);
    }
    console.log(JSON.stringify({ label: round.label, count: round.count, left, writtenBeforeMs: due - written,
      lastDoneSeconds: doneAt === null ? null : (doneAt - due) / 1000, lags }));
  }
  await runner.stop();
  await utils.release();
  await pool.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
