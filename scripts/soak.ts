// `npm run soak`: the chaos test for longer. A Temporal dev server, a fresh Postgres database, the
// API, and workers in processes of their own that are killed with SIGKILL at random moments while
// runs make side effects (each run_command appends to the run's effects.log). Then every run is
// checked: ended once, no event stored twice, no effect twice. Prints the figures; exits 1 on a breach.
//
// SOAK_SECONDS (default 300), SOAK_RUNS (runs at a time, default 6), SOAK_COMMANDS (per run, default 5),
// SOAK_SEED. Needs Postgres at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startApiServer } from '../api/server.ts';
import { saveAgent } from '../db/agents.ts';
import { openDatabase } from '../db/client.ts';
import { listExecutionEvents } from '../db/events.ts';
import { findExecution } from '../db/executions.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { DEFAULT_TENANT_ID } from '../db/tenants.ts';
import { issueUserToken } from '../db/tokens.ts';
import { type FakeResponse, startFakeOpenAIServer } from '../tests/helpers/fake-openai-server.ts';
import { mulberry32 } from '../tests/helpers/seeded-random.ts';
import { spawnWorkerProcess } from '../tests/helpers/spawn-worker.ts';
import { UNATTENDED_AGENT } from '../tests/helpers/unattended-agent.ts';
import { createTestDatabase } from '../tests/setup/test-database.ts';
import { workflowsPath } from '../worker/create-worker.ts';
import { freePort } from './free-port.ts';
import { startTemporalDevServer } from './temporal-server.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const concurrent = Number(process.env.SOAK_RUNS ?? 6);
const commands = Number(process.env.SOAK_COMMANDS ?? 5);
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100_000);
const random = mulberry32(seed);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-soak-'));
const taskQueue = `soak-${randomUUID()}`;
console.log(`[soak] ${seconds} s, ${concurrent} runs at a time, ${commands} commands each, seed ${seed}`);

const temporal = await startTemporalDevServer({ port: await freePort() });
const database = await createTestDatabase();
const handle = await openDatabase({ databaseUrl: database.url });
await migrateDatabase(handle);
await saveAgent(handle.db, DEFAULT_TENANT_ID, UNATTENDED_AGENT);
const bundlePath = path.join(dataDir, 'workflows.js');
fs.writeFileSync(
  bundlePath,
  (await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } })).code,
);
// The model decides from the conversation alone, so a retried step asks for the same command.
const fake = await startFakeOpenAIServer((body): FakeResponse => {
  const done = (body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
  if (done >= commands) return { text: `Ran ${commands} commands.` };
  return { toolCall: { name: 'run_command', arguments: { command: `echo ${done + 1} >> effects.log; sleep ${(0.2 + random()).toFixed(2)}` } } };
});
process.env.OPENAI_COMPATIBLE_BASE_URL = `${fake.baseURL}/v1`;
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });
const api = await startApiServer(
  { database: handle, client, connection, taskQueue, executionIdleTimeoutMs: 3_600_000 },
  { host: '127.0.0.1', port: 0 },
);
const { token } = await issueUserToken(handle.db, { tenantId: DEFAULT_TENANT_ID, user: 'soak' });

let worker: ChildProcess | undefined;
const spawnWorker = () => {
  worker = spawnWorkerProcess({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue, dataDir, workflowBundlePath: bundlePath });
};
const create = async () => {
  const response = await fetch(`${api.url}/v1/executions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      projectId: `soak-${randomUUID()}`,
      prompt: 'run the commands',
      planMode: 'never',
      agentId: 'unattended',
      model: { provider: 'openai-compatible', model: 'soak' },
    }),
  });
  if (response.status !== 201) throw new Error(`create: ${response.status} ${await response.text()}`);
  return (await response.json()).id as string;
};

const ids: string[] = [];
const open = new Set<string>();
let kills = 0;
const until = Date.now() + seconds * 1000;
spawnWorker();
while (Date.now() < until) {
  for (const id of [...open])
    if (['completed', 'failed', 'cancelled'].includes((await findExecution(handle.db, id))?.execution.status ?? '')) open.delete(id);
  while (open.size < concurrent) {
    const id = await create();
    ids.push(id);
    open.add(id);
  }
  await sleep(2000 + random() * 6000);
  worker?.kill('SIGKILL');
  kills++;
  spawnWorker();
}
// The last worker finishes what is left.
const deadline = Date.now() + 300_000;
while (open.size > 0 && Date.now() < deadline) {
  for (const id of [...open])
    if (['completed', 'failed', 'cancelled'].includes((await findExecution(handle.db, id))?.execution.status ?? '')) open.delete(id);
  await sleep(1000);
}

let events = 0;
let duplicated = 0;
let twice = 0;
let interrupted = 0;
const problems: string[] = [];
for (const id of ids) {
  const stored = await listExecutionEvents(handle.db, id, { limit: 10_000 });
  events += stored.length;
  duplicated += stored.length - new Set(stored.map((e) => e.eventId)).size;
  const terminal = stored.filter((e) => ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type));
  if (terminal.length !== 1 || terminal[0]!.type !== 'run.completed')
    problems.push(`${id}: terminal events ${terminal.map((e) => e.type).join(', ') || 'none'}`);
  const completed = stored.filter((e) => e.type === 'tool.call_completed');
  interrupted += completed.filter((e) => e.payload.interrupted).length;
  if (completed.length !== commands) problems.push(`${id}: ${completed.length} tool calls completed of ${commands}`);
  const file = path.join(dataDir, 'workspaces', id, 'effects.log');
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  twice += lines.length - new Set(lines).size;
}
if (open.size) problems.push(`${open.size} runs did not end: ${[...open].join(', ')}`);
console.log(
  `[soak] ${ids.length} runs, ${kills} worker kills, ${events} events: ${duplicated} stored twice, ${problems.length} runs not ended exactly once; ` +
    `${ids.length * commands} side effects: ${twice} happened twice, ${interrupted} interrupted and reported to the model`,
);
for (const problem of problems) console.log(`[soak] ${problem}`);

worker?.kill('SIGKILL');
await api.close();
await fake.close();
await connection.close();
await handle.close();
await database.drop();
await temporal.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(problems.length || duplicated || twice ? 1 : 0);
