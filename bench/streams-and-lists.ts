// `npm run bench`: SSE delivery latency with 200 subscribers, and list / search latency over
// 100,000 executions, against this machine's Postgres (a database made for the run, then dropped).
// Temporal is not needed: streams and lists read Postgres only.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { startApiServer } from '../api/server.ts';
import { openDatabase } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { executions } from '../db/schema.ts';
import { DEFAULT_TENANT_ID } from '../db/tenants.ts';
import { issueUserToken } from '../db/tokens.ts';
import { openSse } from '../tests/helpers/sse-client.ts';
import { createTestDatabase } from '../tests/setup/test-database.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 200);
const STREAM_EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 100_000);
const LIST_REQUESTS = Number(process.env.BENCH_LIST_REQUESTS ?? 100);

const WORDS = [
  'billing',
  'invoice',
  'rounding',
  'deploy',
  'release',
  'notes',
  'refactor',
  'module',
  'tests',
  'flaky',
  'docs',
  'api',
  'cache',
  'timeout',
  'migration',
  'search',
  'index',
  'login',
  'report',
  'export',
];
const STATUSES = ['completed', 'completed', 'completed', 'failed', 'cancelled', 'running', 'queued', 'awaiting_approval'];

const database = await createTestDatabase();
const handle = await openDatabase({ databaseUrl: database.url });
// Nothing listens there: only the routes that never touch Temporal are measured.
const connection = Connection.lazy({ address: '127.0.0.1:1' });
try {
  await migrateDatabase(handle);
  const { token, user } = await issueUserToken(handle.db, { tenantId: DEFAULT_TENANT_ID, user: `bench-${randomUUID()}` });
  const ownerId = user.id;
  const server = await startApiServer(
    { database: handle, client: new Client({ connection }), connection, taskQueue: 'bench', executionIdleTimeoutMs: 60_000 },
    { host: '127.0.0.1', port: 0 },
  );
  const headers = { authorization: `Bearer ${token}` };
  try {
    console.log(`agent-runs benchmark (${new Date().toISOString()})\n`);
    await benchStreams(server.url, headers, ownerId);
    await benchLists(server.url, headers, ownerId);
  } finally {
    await server.close();
  }
} finally {
  await handle.close();
  await connection.close().catch(() => {});
  await database.drop();
}

/** Latency from an event's append (its commit and NOTIFY included) to its arrival at each of N SSE clients. */
async function benchStreams(url: string, headers: Record<string, string>, ownerId: string) {
  const executionId = randomUUID();
  await appendEvent(handle.db, executionCreated(executionId, ownerId, 'stream bench', new Date()));
  const clients = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => openSse(`${url}/v1/executions/${executionId}/stream`, headers)));
  await Promise.all(clients.map((client) => client.until((events) => events.length === 1)));

  const sentAt = new Map<number, number>();
  for (let i = 0; i < STREAM_EVENTS; i++) {
    sentAt.set(i, performance.now());
    await appendEvent(handle.db, { eventId: randomUUID(), type: 'bench.tick', executionId, occurredAt: new Date().toISOString(), payload: { i } });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await Promise.all(clients.map((client) => client.until((events) => events.length === 1 + STREAM_EVENTS, 120_000)));
  const latencies = clients.flatMap((client) =>
    client.frames.flatMap((frame) => ('data' in frame && frame.data.type === 'bench.tick' ? [frame.at - sentAt.get(frame.data.payload.i)!] : [])),
  );
  for (const client of clients) client.close();
  report(`SSE delivery, ${SUBSCRIBERS} subscribers × ${STREAM_EVENTS} events`, latencies);
}

/** List and search request latency (HTTP round trip) over EXECUTIONS rows of one owner. */
async function benchLists(url: string, headers: Record<string, string>, ownerId: string) {
  const started = performance.now();
  await seedExecutions(ownerId, EXECUTIONS);
  console.log(`seeded ${EXECUTIONS} executions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const queries: Record<string, string> = {
    'list, newest 50': '',
    'list, project + 2 statuses': 'projectId=project-7&status=completed,failed',
    'list, range=week': 'range=week',
    'search q=billing': 'q=billing',
    'search q="invoice rounding"': 'q=invoice%20rounding',
    'search q=deploy, project': 'q=deploy&projectId=project-3',
  };
  for (const [name, query] of Object.entries(queries)) {
    const latencies: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < LIST_REQUESTS; i++) {
      // Every other request reads the next page, so keyset pagination is measured too.
      const page = i % 2 && cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const t0 = performance.now();
      const response = await fetch(`${url}/v1/executions?limit=50&${query}${page}`, { headers });
      const body = (await response.json()) as { items?: unknown[]; nextCursor?: string | null; error?: unknown };
      latencies.push(performance.now() - t0);
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${JSON.stringify(body)}`);
      cursor = body.nextCursor ?? null;
    }
    report(`GET /v1/executions ${name}`, latencies);
  }
}

/** Inserts executions straight into the projection (the list reads nothing else), in batches. */
async function seedExecutions(ownerId: string, count: number) {
  const batch = 5000;
  for (let offset = 0; offset < count; offset += batch) {
    const values = Array.from({ length: Math.min(batch, count - offset) }, (_, k) => {
      const n = offset + k;
      const words = Array.from({ length: 6 }, (_, j) => WORDS[(n * 7 + j * 13 + ((n >> 3) % 11)) % WORDS.length]).join(' ');
      return {
        id: randomUUID(),
        tenantId: DEFAULT_TENANT_ID,
        projectId: `project-${n % 50}`,
        ownerId,
        agentId: `agent-${n % 5}`,
        prompt: `Task ${n}: ${words}`,
        planMode: 'never',
        status: STATUSES[n % STATUSES.length]!,
        createdAt: new Date(Date.now() - (n / count) * 90 * 86_400_000),
        updatedAt: new Date(),
      };
    });
    await handle.db.insert(executions).values(values);
  }
  await handle.db.execute(sql`analyze executions`);
}

function executionCreated(executionId: string, ownerId: string, prompt: string, at: Date) {
  return {
    eventId: randomUUID(),
    type: 'execution.created',
    executionId,
    occurredAt: at.toISOString(),
    payload: { projectId: 'bench', ownerId, prompt, planMode: 'never', approvalTimeoutMs: 60_000 },
  };
}

function report(name: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  console.log(`${name}\n  n=${sorted.length}  p50=${at(50).toFixed(1)} ms  p99=${at(99).toFixed(1)} ms  max=${sorted.at(-1)!.toFixed(1)} ms\n`);
}
