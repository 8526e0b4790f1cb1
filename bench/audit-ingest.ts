import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { inPool } from './stats.ts';

/** Writers appending at once (activities of many runs on a worker). */
const WRITERS = 32;
const RUNS = 100;
const RAW_BATCH = 500;

/**
 * Events per second into the audit log through `appendEvent` (its projections, cursor order and
 * NOTIFY included), from WRITERS concurrent writers, against a raw batched INSERT of the same rows;
 * and Postgres commits per appended event.
 */
export async function benchAuditIngest(db: Database, sql: postgres.Sql, count: number) {
  const at = () => new Date().toISOString();
  const runs = Array.from({ length: RUNS }, () => ({ executionId: randomUUID(), runId: randomUUID() }));
  for (const { executionId, runId } of runs) {
    await appendEvent(db, {
      eventId: randomUUID(),
      type: 'execution.created',
      executionId,
      occurredAt: at(),
      payload: { projectId: 'ingest', ownerId: 'bench', prompt: 'ingest', planMode: 'never' },
    });
    await appendEvent(db, {
      eventId: randomUUID(),
      type: 'run.created',
      executionId,
      runId,
      turnNumber: 1,
      attempt: 1,
      occurredAt: at(),
      payload: { index: 1, trigger: 'initial' },
    });
  }
  // A run's usual stream: text as it comes, now and then a step or a tool call.
  const kinds = ['model.text_delta', 'model.text_delta', 'model.reasoning_delta', 'tool.call_started', 'tool.call_completed', 'model.step_completed'];
  const makeEvents = (): NewEvent[] =>
    Array.from({ length: count }, (_, i) => ({
      eventId: randomUUID(),
      type: kinds[i % kinds.length]!,
      ...runs[i % RUNS]!,
      turnNumber: 1,
      attempt: 1,
      actor: { kind: 'system', id: 'agent-runs' },
      occurredAt: at(),
      payload: { step: 1, text: 'some streamed text of a model step '.repeat(3), callId: randomUUID(), tool: 'list_files' },
    }));

  const commits = async () => {
    await sleep(1500); // Postgres publishes its statistics about once a second
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select xact_commit::int as n from pg_stat_database where datname = current_database()`;
    return n;
  };

  const appended = makeEvents();
  const before = await commits();
  const t0 = performance.now();
  await inPool(appended, WRITERS, (event) => appendEvent(db, event));
  const appendSeconds = (performance.now() - t0) / 1000;
  const commitsPerEvent = ((await commits()) - before - 1) / count;

  const raw = makeEvents().map((e) => ({
    event_id: e.eventId,
    type: e.type,
    version: 1,
    execution_id: e.executionId,
    run_id: e.runId!,
    turn_number: 1,
    attempt: 1,
    actor: sql.json(e.actor as unknown as postgres.JSONValue),
    occurred_at: e.occurredAt,
    payload: sql.json(e.payload as postgres.JSONValue),
  }));
  const t1 = performance.now();
  for (let i = 0; i < raw.length; i += RAW_BATCH) await sql`insert into events ${sql(raw.slice(i, i + RAW_BATCH))}`;
  const rawSeconds = (performance.now() - t1) / 1000;
  return { events: count, appendPerSecond: count / appendSeconds, rawPerSecond: count / rawSeconds, commitsPerEvent };
}
