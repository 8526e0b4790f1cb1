// `npm run bench`: agent-runs against a bare Temporal baseline of the same shape, on one Temporal dev
// server and this machine's Postgres, interleaved, with min / median / max over repetitions. Prints a
// report; nothing here is asserted (speed claims live in benchmarks, never in timed tests).
//
// agent-runs runs as in production: the API and the worker in processes of their own (the demo
// model), the maintenance workflow on. The baseline (bench/baseline/) is a parent workflow starting
// one child that runs one activity per model step and per tool call of the same demo run, each one
// INSERT, on a worker of its own.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import postgres from 'postgres';
import { saveAgent } from '../db/agents.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { DEFAULT_TENANT_ID } from '../db/tenants.ts';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-server.ts';
import { UNATTENDED_AGENT } from '../tests/helpers/unattended-agent.ts';
import { createTestDatabase } from '../tests/setup/test-database.ts';
import { workflowsPath } from '../worker/create-worker.ts';
import { startMaintenance } from '../worker/start-maintenance.ts';
import { executionWorkflowId, runWorkflowId } from '../workflows/definitions.ts';
import { benchAuditIngest } from './audit-ingest.ts';
import { BASELINE_TABLE } from './baseline/activities.ts';
import { approveSignal, type BaselineInput } from './baseline/workflows.ts';
import { activityStartedAfter, countHistories, type HistoryCounts } from './histories.ts';
import { benchLongRun } from './long-run.ts';
import { workflowTasksPolled } from './metrics.ts';
import { type BenchProcess, cpuSeconds, postgresCpuSeconds, rssMiB, startNodeProcess } from './processes.ts';
import { inPool, median, percentile, spread } from './stats.ts';

const numbers = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const THROUGHPUT = numbers('BENCH_THROUGHPUT', '50,200');
const SHARED_THROUGHPUT = numbers('BENCH_SHARED_THROUGHPUT', '50');
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 20);
const WAITING = Number(process.env.BENCH_WAITING ?? 300);
const WAITING_REPS = Number(process.env.BENCH_WAITING_REPS ?? 1);
/** `0`: the waiting measure runs agent-runs only (for a large BENCH_WAITING: the baseline's figures from a smaller run). */
const WAITING_BARE = process.env.BENCH_WAITING_BARE !== '0';
/**
 * The waiting executions are created in batches of this many, each batch waiting before the next is
 * created: as an application would, and so each execution's workflows stay in the worker's cache
 * (500 workflows: an execution and its run are two) from its creation until it waits.
 */
const WAITING_BATCH = Number(process.env.BENCH_WAITING_BATCH ?? 200);
const INGEST_EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 20_000);
const LONG_STEPS = Number(process.env.BENCH_LONG_STEPS ?? 2000);
/** How many requests the benchmark's client has in flight at once. */
const CLIENTS = 20;

const AGENT = UNATTENDED_AGENT;

// The long run's worker runs in this process: only its warnings are printed.
Runtime.install({ logger: new DefaultLogger('WARN') });
const startedAt = Date.now();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-bench-'));
const temporalPort = await freePort();
const temporal = await startTemporalDevServer({ port: temporalPort });
const database = await createTestDatabase();
const handle = await openDatabase({ databaseUrl: database.url });
const sql = postgres(database.url, { max: 4, onnotice: () => {} });
const processes: BenchProcess[] = [];
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });
try {
  await migrateDatabase(handle);
  await sql.unsafe(BASELINE_TABLE);
  await saveAgent(handle.db, DEFAULT_TENANT_ID, AGENT);
  // Thousands wait at once: the tenant's concurrency caps are out of the way (the benchmark measures the engine).
  await sql`update tenants set max_running = 1000000, max_running_per_user = 1000000 where id = ${DEFAULT_TENANT_ID}`;
  const bundles = await bundleAll();
  const token = `ar_bench_${randomUUID()}`;
  const apiPort = await freePort();
  const common = { DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address };
  const [workerMetrics, baselineMetrics] = [await freePort(), await freePort()];
  const worker = await startNodeProcess(
    'agent-runs worker',
    'bench/agent-runs-worker.ts',
    {
      ...common,
      TEMPORAL_TASK_QUEUE: 'bench-agent-runs',
      DATA_DIR: path.join(workDir, 'data'),
      WORKFLOW_BUNDLE: bundles.agentRuns,
      BENCH_METRICS_PORT: String(workerMetrics),
    },
    'polling',
  );
  const api = await startNodeProcess(
    'agent-runs API',
    'api/main.ts',
    { ...common, TEMPORAL_TASK_QUEUE: 'bench-agent-runs', PORT: String(apiPort), HOST: '127.0.0.1', AGENT_RUNS_TOKEN: token },
    'listening',
  );
  const baseline = await startNodeProcess(
    'baseline worker',
    'bench/baseline/worker.ts',
    { ...common, TEMPORAL_TASK_QUEUE: 'bench-baseline', WORKFLOW_BUNDLE: bundles.baseline, BENCH_METRICS_PORT: String(baselineMetrics) },
    'polling',
  );
  processes.push(worker, api, baseline);
  await startMaintenance(client, 'bench-agent-runs');

  const bench = benchmark({
    url: `http://127.0.0.1:${apiPort}`,
    bundlePath: bundles.agentRuns,
    token,
    worker,
    api,
    baseline,
    workerMetrics,
    baselineMetrics,
  });
  console.log(`agent-runs vs bare Temporal (${new Date().toISOString()}, ${os.cpus().length} cores, reps ${REPS})\n`);
  await bench.run();
} catch (err) {
  // Printed before the cleanup below: closing the connection fails the calls still pending, and those
  // errors ("Channel has been shut down") would otherwise be all that is seen.
  console.error('the benchmark failed:', err);
  process.exitCode = 1;
  process.on('unhandledRejection', () => undefined);
} finally {
  for (const process of processes) await process.stop();
  await sql.end();
  await handle.close();
  await connection.close();
  await temporal.stop();
  await database.drop();
  fs.rmSync(workDir, { recursive: true, force: true });
  console.log(`\nbenchmark took ${((Date.now() - startedAt) / 60_000).toFixed(1)} min`);
}

async function bundleAll() {
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };
  const write = async (name: string, workflows: string) => {
    const file = path.join(workDir, `${name}.js`);
    fs.writeFileSync(file, (await bundleWorkflowCode({ workflowsPath: workflows, logger: quiet })).code);
    return file;
  };
  return {
    agentRuns: await write('agent-runs', workflowsPath),
    baseline: await write('baseline', path.join(import.meta.dirname, 'baseline', 'workflows.ts')),
  };
}

interface Deps {
  url: string;
  /** agent-runs' workflow bundle, for the long run's worker. */
  bundlePath: string;
  token: string;
  worker: BenchProcess;
  api: BenchProcess;
  baseline: BenchProcess;
  workerMetrics: number;
  baselineMetrics: number;
}

function benchmark(deps: Deps) {
  const headers = { authorization: `Bearer ${deps.token}`, 'content-type': 'application/json' };
  /** The benchmark's own queries on the database, subtracted when commits are counted. */
  let ownQueries = 0;
  const rows: Array<{ measure: string; agentRuns: number[]; bare: number[]; unit: string; digits?: number; ratio?: 'higher' | 'lower' }> = [];
  const row = (measure: string, unit: string, digits = 2, ratio?: 'higher' | 'lower') => {
    const entry = { measure, unit, digits, ratio, agentRuns: [] as number[], bare: [] as number[] };
    rows.push(entry);
    return entry;
  };
  const notes: string[] = [];
  /** The demo run's shape (model steps + tool calls), measured from agent-runs' own first run. */
  let steps = 0;
  const perRun: { agentRuns?: HistoryCounts; bare?: HistoryCounts; commitsPerEvent?: number; eventsPerRun?: number } = {};
  /**
   * Where a run's CPU goes: CPU milliseconds per execution of each process, over the first throughput
   * measure with projects of their own (the two sides run one after the other, so each has the server to itself).
   */
  const cpuPerExecution: { agentRuns?: string; bare?: string } = {};
  const agentRunsProcesses = { worker: deps.worker, API: deps.api };
  const bareProcesses = { worker: deps.baseline };
  const cpuNow = (own: Record<string, BenchProcess>): Record<string, number> => ({
    temporal: temporal.pid ? cpuSeconds(temporal.pid) : 0,
    postgres: postgresCpuSeconds(),
    ...Object.fromEntries(Object.entries(own).map(([name, p]) => [name, cpuSeconds(p.child.pid!, 'own')])),
    ...Object.fromEntries(Object.entries(own).map(([name, p]) => [`${name}'s children`, cpuSeconds(p.child.pid!, 'children')])),
    benchmark: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const cpuSince = (before: Record<string, number>, own: Record<string, BenchProcess>, n: number) => {
    const after = cpuNow(own);
    const per = Object.entries(before).map(([name, was]) => [name, (after[name]! - was) * (1000 / n)] as const);
    const total = per.filter(([name]) => name !== 'benchmark').reduce((sum, [, ms]) => sum + ms, 0);
    return `${total.toFixed(0)} ms: ${per.map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')}`;
  };

  async function post(pathname: string, body: unknown): Promise<Record<string, any>> {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${deps.url}${pathname}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.ok) return (await response.json()) as Record<string, any>;
      const answer = `POST ${pathname}: ${response.status} ${await response.text()}`;
      // A 503 changed nothing (a decision no worker judged in time, on a worker busy replaying): asked again, later each time.
      if (attempt >= 10 || response.status < 500) throw new Error(answer);
      console.error(`  retrying ${answer}`);
      await sleep(Math.min(500 * 2 ** attempt, 8000));
    }
  }
  const create = async (planMode: 'never' | 'always', projectId: string) =>
    (await post('/v1/executions', { prompt: 'Note the benchmark in NOTES.md', agentId: AGENT.id, planMode, projectId })).id as string;

  /** Polls Postgres until every execution in `ids` has `status`; a failed one fails the benchmark. */
  async function untilAll(ids: string[], status: string, timeoutMs = 3_600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      ownQueries++;
      const counts = await sql<{ status: string; n: number }[]>`
        select status, count(*)::int as n from executions where id = any(${ids}) group by status`;
      const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
      if ((by[status] ?? 0) === ids.length) return;
      if (by.failed) throw new Error(`${by.failed} executions failed`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${status}: ${JSON.stringify(by)}`);
      await sleep(250);
    }
  }
  async function untilBaselineSteps(ids: string[], index: number): Promise<void> {
    for (;;) {
      ownQueries++;
      const [{ n } = { n: 0 }] = await sql<
        { n: number }[]
      >`select count(*)::int as n from bench_baseline_steps where workflow_id = any(${ids}) and index = ${index}`;
      if (n === ids.length) return;
      await sleep(250);
    }
  }
  const startBaseline = (input: BaselineInput) =>
    client.workflow.start('baselineParent', { taskQueue: 'bench-baseline', workflowId: input.id, args: [input] });

  const commits = async () => {
    await sleep(1500); // Postgres publishes its statistics about once a second
    ownQueries++;
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select xact_commit::int as n from pg_stat_database where datname = current_database()`;
    return n;
  };
  const eventCount = async () => {
    ownQueries++;
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from events`;
    return n;
  };

  /** The demo run's shape, from a first agent-runs execution: model steps plus tool calls. */
  async function measureShape() {
    const id = await create('never', `shape-${randomUUID()}`);
    await untilAll([id], 'completed', 120_000);
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from events where execution_id = ${id} and type in ('model.step_completed', 'tool.call_completed')`;
    steps = n;
    notes.push(`demo run shape: ${steps} activities in the baseline child (model steps + tool calls of one demo run)`);
  }

  async function throughput(n: number, shared: boolean, agentRuns: number[], bare: number[], order: boolean) {
    const project = `bench-${randomUUID()}`;
    const runAgentRuns = async () => {
      // Commits per event are counted over the first throughput measure with projects of their own.
      const countCommits = !shared && perRun.commitsPerEvent === undefined;
      const before = countCommits ? { commits: await commits(), events: await eventCount(), own: ownQueries } : undefined;
      const cpu = !shared && !cpuPerExecution.agentRuns ? cpuNow(agentRunsProcesses) : undefined;
      const t0 = Date.now();
      const ids = await inPool(Array.from({ length: n }), CLIENTS, (_, i) => create('never', shared ? project : `${project}-${i}`));
      await untilAll(ids, 'completed');
      agentRuns.push(n / ((Date.now() - t0) / 1000));
      if (cpu) cpuPerExecution.agentRuns = cpuSince(cpu, agentRunsProcesses, n);
      if (before) {
        const events = (await eventCount()) - before.events;
        const own = ownQueries - before.own;
        perRun.commitsPerEvent = ((await commits()) - before.commits - own) / events;
        perRun.eventsPerRun = events / n;
      }
      if (!perRun.agentRuns && !shared) {
        perRun.agentRuns = await countHistories(client, [executionWorkflowId(ids[0]!), runWorkflowId(ids[0]!, 1)]);
      }
    };
    const runBare = async () => {
      const inputs = Array.from({ length: n }, (_, i) => ({ id: `bare-${project}-${i}`, steps, approval: false }));
      const cpu = !shared && !cpuPerExecution.bare ? cpuNow(bareProcesses) : undefined;
      const t0 = Date.now();
      if (shared) {
        // One project holds one slot: the baseline runs its executions one after another.
        for (const input of inputs) await (await startBaseline(input)).result();
      } else {
        const handles = await inPool(inputs, CLIENTS, startBaseline);
        await Promise.all(handles.map((h) => h.result()));
      }
      bare.push(n / ((Date.now() - t0) / 1000));
      if (cpu) cpuPerExecution.bare = cpuSince(cpu, bareProcesses, n);
      if (!perRun.bare) perRun.bare = await countHistories(client, [inputs[0]!.id, `${inputs[0]!.id}-child`]);
    };
    for (const run of order ? [runAgentRuns, runBare] : [runBare, runAgentRuns]) await run();
  }

  async function approvals(agentRuns: number[], bare: number[], order: boolean) {
    const runAgentRuns = async () => {
      const ids = await inPool(Array.from({ length: APPROVALS }), CLIENTS, () => create('always', `approve-${randomUUID()}`));
      await untilAll(ids, 'awaiting_approval');
      const sent: number[] = [];
      for (const id of ids) {
        sent.push(Date.now());
        await post(`/v1/executions/${id}/plan/approve`, { planVersion: 1 });
        await sleep(200);
      }
      await untilAll(ids, 'completed');
      for (const [i, id] of ids.entries()) {
        const started = await activityStartedAfter(client, runWorkflowId(id, 1), sent[i]!, 'modelStep');
        if (started !== undefined) agentRuns.push(started - sent[i]!);
      }
    };
    const runBare = async () => {
      const inputs = Array.from({ length: APPROVALS }, () => ({ id: `bare-approve-${randomUUID()}`, steps, approval: true }));
      const handles = await inPool(inputs, CLIENTS, startBaseline);
      await untilBaselineSteps(
        inputs.map((i) => i.id),
        0,
      );
      await sleep(500);
      const sent: number[] = [];
      for (const input of inputs) {
        sent.push(Date.now());
        await client.workflow.getHandle(`${input.id}-child`).signal(approveSignal);
        await sleep(200);
      }
      await Promise.all(handles.map((h) => h.result()));
      for (const [i, input] of inputs.entries()) {
        const started = await activityStartedAfter(client, `${input.id}-child`, sent[i]!);
        if (started !== undefined) bare.push(started - sent[i]!);
      }
    };
    for (const run of order ? [runAgentRuns, runBare] : [runBare, runAgentRuns]) await run();
  }

  const makeWaitingRows = () => ({
    accept: row(`${WAITING} waiting (created in batches of ${WAITING_BATCH}): create requests accepted`, 's', 1),
    allWaiting: row(`${WAITING} waiting: created → all waiting`, 's', 1),
    acceptRatio: row(`${WAITING} waiting: all waiting ÷ accepted (goal ≤ 2)`, '×', 2),
    tasks: row(`${WAITING} waiting: workflow tasks per second while waiting`, '/s', 2),
    memoryBefore: row(`${WAITING} waiting: worker memory before`, 'MiB', 0),
    memory: row(`${WAITING} waiting: worker memory while waiting`, 'MiB', 0),
    apiMemory: row(`${WAITING} waiting: API memory while waiting (bare: none)`, 'MiB', 0),
    temporalMemory: row(`${WAITING} waiting: Temporal server memory while waiting`, 'MiB', 0),
    complete: row(`${WAITING} waiting: approve all → all completed`, 's', 1),
  });
  let waitingRows: ReturnType<typeof makeWaitingRows>;

  /** The sizes of the batches the waiting executions are created in. */
  const batches = () => Array.from({ length: Math.ceil(WAITING / WAITING_BATCH) }, (_, i) => Math.min(WAITING_BATCH, WAITING - i * WAITING_BATCH));

  async function waiting(order: boolean) {
    const w = waitingRows;
    const settle = async (metricsPort: number, workerProcess: BenchProcess, into: 'agentRuns' | 'bare') => {
      await sleep(10_000);
      const t0 = Date.now();
      const before = await workflowTasksPolled(metricsPort);
      await sleep(30_000);
      w.tasks[into].push(((await workflowTasksPolled(metricsPort)) - before) / ((Date.now() - t0) / 1000));
      w.memory[into].push(workerProcess.rssMiB());
      if (temporal.pid) w.temporalMemory[into].push(rssMiB(temporal.pid));
    };
    const runAgentRuns = async () => {
      w.memoryBefore.agentRuns.push(deps.worker.rssMiB());
      const t0 = Date.now();
      const ids: string[] = [];
      let accepted = 0;
      for (const size of batches()) {
        const t = Date.now();
        const batch = await inPool(Array.from({ length: size }), CLIENTS, () => create('always', `wait-${randomUUID()}`));
        accepted += (Date.now() - t) / 1000;
        await untilAll(batch, 'awaiting_approval');
        ids.push(...batch);
      }
      const waited = (Date.now() - t0) / 1000;
      w.accept.agentRuns.push(accepted);
      w.allWaiting.agentRuns.push(waited);
      w.acceptRatio.agentRuns.push(waited / accepted);
      await settle(deps.workerMetrics, deps.worker, 'agentRuns');
      w.apiMemory.agentRuns.push(deps.api.rssMiB());
      // Printed now as well: a measure this long should not be lost to a later failure.
      for (const r of Object.values(w)) if (r.agentRuns.length) console.log(`  ${r.measure}: ${r.agentRuns.at(-1)!.toFixed(r.digits)} ${r.unit}`);
      const t1 = Date.now();
      await inPool(ids, CLIENTS, (id) => post(`/v1/executions/${id}/plan/approve`, { planVersion: 1 }));
      await untilAll(ids, 'completed');
      w.complete.agentRuns.push((Date.now() - t1) / 1000);
    };
    const runBare = async () => {
      w.memoryBefore.bare.push(deps.baseline.rssMiB());
      const inputs: BaselineInput[] = [];
      const handles: Awaited<ReturnType<typeof startBaseline>>[] = [];
      let accepted = 0;
      const t0 = Date.now();
      for (const size of batches()) {
        const batch = Array.from({ length: size }, () => ({ id: `bare-wait-${randomUUID()}`, steps, approval: true }));
        const t = Date.now();
        handles.push(...(await inPool(batch, CLIENTS, startBaseline)));
        accepted += (Date.now() - t) / 1000;
        await untilBaselineSteps(
          batch.map((i) => i.id),
          0,
        );
        inputs.push(...batch);
      }
      const waited = (Date.now() - t0) / 1000;
      w.accept.bare.push(accepted);
      w.allWaiting.bare.push(waited);
      w.acceptRatio.bare.push(waited / accepted);
      await settle(deps.baselineMetrics, deps.baseline, 'bare');
      const t1 = Date.now();
      await inPool(inputs, CLIENTS, (input) => client.workflow.getHandle(`${input.id}-child`).signal(approveSignal));
      // A bounded pool: 1,500 result long-polls at once exceed Temporal's concurrent poller limit (RESOURCE_EXHAUSTED).
      await inPool(handles, CLIENTS, (h) => h.result());
      w.complete.bare.push((Date.now() - t1) / 1000);
    };
    const runs = WAITING_BARE ? (order ? [runAgentRuns, runBare] : [runBare, runAgentRuns]) : [runAgentRuns];
    for (const run of runs) await run();
  }

  async function run() {
    await measureShape();
    const throughputRows = [
      ...THROUGHPUT.map((n) => ({ n, shared: false, row: row(`throughput, ${n} at once, own projects`, '/s', 2, 'higher') })),
      ...SHARED_THROUGHPUT.map((n) => ({ n, shared: true, row: row(`throughput, ${n} at once, one project`, '/s', 2, 'higher') })),
    ];
    const approve = { agentRuns: [] as number[], bare: [] as number[] };
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0;
      for (const t of throughputRows) await throughput(t.n, t.shared, t.row.agentRuns, t.row.bare, order);
      await approvals(approve.agentRuns, approve.bare, order);
      console.log(`  repetition ${rep + 1} of ${REPS} done (${((Date.now() - startedAt) / 60_000).toFixed(1)} min)`);
    }
    const p50 = row(`approve → next model step starts, p50 (bare: signal → activity)`, 'ms', 0, 'lower');
    p50.agentRuns.push(percentile(approve.agentRuns, 50));
    p50.bare.push(percentile(approve.bare, 50));
    const p99 = row(`approve → next model step starts, p99`, 'ms', 0, 'lower');
    p99.agentRuns.push(percentile(approve.agentRuns, 99));
    p99.bare.push(percentile(approve.bare, 99));

    waitingRows = makeWaitingRows();
    for (let rep = 0; rep < WAITING_REPS; rep++) await waiting(rep % 2 === 0);

    const ingest = await benchAuditIngest(handle.db, sql, INGEST_EVENTS);
    const long = await benchLongRun({
      temporalAddress: temporal.address,
      client,
      connection,
      database: handle,
      bundlePath: deps.bundlePath,
      steps: LONG_STEPS,
      dataDir: workDir,
    });
    print(ingest, long);
  }

  function print(ingest: Awaited<ReturnType<typeof benchAuditIngest>>, long: Awaited<ReturnType<typeof benchLongRun>>) {
    console.log('\n| measure | agent-runs (min / median / max) | bare Temporal | ratio of medians |');
    console.log('|---|---|---|---|');
    for (const r of rows) {
      const ratio = r.agentRuns.length && r.bare.length && median(r.bare) > 0 ? (median(r.agentRuns) / median(r.bare)).toFixed(2) : '';
      const value = (samples: number[]) => (samples.length ? `${spread(samples, r.digits)} ${r.unit}` : 'n/a');
      console.log(`| ${r.measure} | ${value(r.agentRuns)} | ${value(r.bare)} | ${ratio} |`);
    }
    const counts = (c: HistoryCounts | undefined) =>
      c ? `${c.events} / ${c.workflowTasks} / ${c.activities} (+${c.localActivities} local) / ${c.timers} timers / ${c.signals} signals` : 'n/a';
    console.log(`| one demo run: history events / workflow tasks / activities | ${counts(perRun.agentRuns)} | ${counts(perRun.bare)} | |`);
    console.log(
      `| CPU per execution, ${THROUGHPUT[0]} at once (all but the benchmark's own) | ${cpuPerExecution.agentRuns ?? 'n/a'} | ${cpuPerExecution.bare ?? 'n/a'} | |`,
    );
    console.log(
      `| Postgres commits per audit event, whole runs | ${perRun.commitsPerEvent?.toFixed(2)} (${perRun.eventsPerRun?.toFixed(0)} events per run) | | |`,
    );
    console.log(
      `| audit ingest, ${ingest.events} events | ${ingest.appendPerSecond.toFixed(0)} /s, ${ingest.commitsPerEvent.toFixed(2)} commits per event | raw batched INSERT ${ingest.rawPerSecond.toFixed(0)} /s | ${(ingest.appendPerSecond / ingest.rawPerSecond).toFixed(2)} |`,
    );
    console.log(`| a run of ${LONG_STEPS} model steps | ${long.summary} | | |`);
    for (const note of notes) console.log(`\n${note}`);
  }

  return { run };
}
