import { type SQL, sql } from 'drizzle-orm';
import { storableValue } from '../common/storable-text.ts';
import type { Database } from './client.ts';
import type { Transaction } from './projections.ts';
import { events, runs } from './schema.ts';

/** The NOTIFY channel that announces each committed event; the payload is its cursor. */
export const EVENTS_CHANNEL = 'agent_runs_events';

export type EventRow = Omit<typeof events.$inferInsert, 'cursor'>;

/** An inserted event: its cursor and its run's global number, and its actor and payload as stored (made storable). */
export interface Inserted {
  cursor: string;
  runNumber: number | null;
  actor: unknown;
  payload: unknown;
}

/** The columns written, with their SQL types: the rows travel as one JSON parameter (see insertEventRows). */
const COLUMNS = {
  eventId: 'uuid',
  type: 'text',
  version: 'integer',
  executionId: 'uuid',
  runId: 'uuid',
  runNumber: 'bigint',
  turnNumber: 'integer',
  attempt: 'integer',
  actor: 'jsonb',
  occurredAt: 'timestamptz',
  payload: 'jsonb',
} as const satisfies Record<keyof EventRow, string>;
const KEYS = Object.keys(COLUMNS) as Array<keyof typeof COLUMNS>;
const NAMES = sql.raw(KEYS.map((key) => events[key].name).join(', '));
const RECORD = sql.raw(KEYS.map((key) => `${events[key].name} ${COLUMNS[key]}`).join(', '));

/**
 * Writes `rows` in one statement, one round trip:
 * - takes the events lock first, so cursors are handed out in commit order (a reader that has seen
 *   cursor N never later finds a committed event with a smaller one; streams rely on this);
 * - an event whose id is stored already is skipped (not returned) with `ifStored: 'skip'`, and fails
 *   the statement with `'fail'` (a unique violation: projections applied for it must roll back);
 * - adds the inserted events' model steps, tokens, cost and tool calls to their runs' counters, so a
 *   counter counts exactly the events stored;
 * - fills in a run number the caller did not know from the run's row;
 * - announces the newest cursor (NOTIFY, delivered at commit).
 *
 * Outside a transaction, the statement is its own: one commit.
 */
export async function insertEventRows(executor: Database | Transaction, rows: EventRow[], ifStored: 'skip' | 'fail'): Promise<Map<string, Inserted>> {
  // One JSON parameter holds every row: the statement's text is the same for any batch (prepared and
  // planned once), and building it costs the worker nothing per row (drizzle's template per value did).
  const encoded = rows.map(encodeRow);
  const json = `[${encoded.map((row) => row.json).join(',')}]`;
  const result = await executor.execute(sql`
    with inserted as (
      insert into ${events} (${NAMES})
      select v.event_id, v.type, coalesce(v.version, 1), v.execution_id, v.run_id,
        coalesce(v.run_number, (select ${runs.number} from ${runs} where ${runs.id} = v.run_id)),
        v.turn_number, v.attempt, v.actor, v.occurred_at, coalesce(v.payload, '{}'::jsonb)
      from jsonb_to_recordset(${json}::jsonb) as v (${RECORD})
      -- an uncorrelated condition: evaluated once, before the first row takes its cursor
      where exists (select from pg_advisory_xact_lock(hashtext('agent-runs:events')))
      ${ifStored === 'skip' ? sql`on conflict (event_id) do nothing` : sql``}
      returning cursor, event_id, type, run_id, run_number, payload
    ),
    counted as (${COUNTERS_UPDATE}),
    notified as (select pg_notify(${EVENTS_CHANNEL}, max(cursor)::text) from inserted having count(*) > 0)
    select inserted.event_id, inserted.cursor, inserted.run_number from inserted left join notified on true`);
  const returned = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{
    event_id: string;
    cursor: string | number | bigint;
    run_number: string | number | bigint | null;
  }>;
  // What was sent is what is stored: the JSON just encoded is the answer, not a second encoding.
  const sent = new Map(rows.map((row, i) => [row.eventId.toLowerCase(), encoded[i]!]));
  return new Map(
    returned.map((row) => {
      const { actor, payload } = sent.get(row.event_id)!;
      return [
        row.event_id,
        {
          cursor: String(row.cursor),
          runNumber: row.run_number === null ? null : Number(row.run_number),
          actor: actor === 'null' ? null : JSON.parse(actor),
          payload: JSON.parse(payload === 'null' ? '{}' : payload),
        },
      ];
    }),
  );
}

/**
 * A row as a JSON object, and its actor and payload as encoded: jsonb columns through their column
 * type, which makes them storable (db/storable-columns.ts).
 */
function encodeRow(row: EventRow): { json: string; actor: string; payload: string } {
  const encoded = Object.fromEntries(
    KEYS.map((key) => {
      const value = row[key] ?? null;
      if (value === null) return [key, 'null'];
      if (COLUMNS[key] === 'jsonb') return [key, events[key].mapToDriverValue(value) as string];
      return [key, JSON.stringify(storableValue(value instanceof Date ? value.toISOString() : value))];
    }),
  ) as Record<(typeof KEYS)[number], string>;
  const json = `{${KEYS.map((key) => `${JSON.stringify(events[key].name)}:${encoded[key]}`).join(',')}}`;
  return { json, actor: encoded.actor, payload: encoded.payload };
}

/**
 * The runs' counters, from the events just inserted: each model step adds its usage (a step without
 * a price makes the run's cost unknown: unpriced_steps), each completed tool call one.
 */
const COUNTERS_UPDATE = countersUpdate();
function countersUpdate(): SQL {
  const usage = (key: string) => sql.raw(`(payload -> 'usage' -> '${key}')`);
  const number = (key: string) => sql`case when jsonb_typeof(${usage(key)}) = 'number' then ${usage(key)}::numeric else 0 end`;
  const step = sql.raw(`type = 'model.step_completed'`);
  const unpriced = sql`(coalesce(jsonb_typeof(payload -> 'usage'), 'null') = 'null' or jsonb_typeof(${usage('costUsd')}) = 'null')`;
  const tokens = (key: string) => sql`coalesce(sum(${number(key)}) filter (where ${step}), 0)::bigint`;
  const deltas: Array<[keyof typeof runs.$inferSelect, SQL]> = [
    ['modelSteps', sql`count(*) filter (where ${step})`],
    ['toolCalls', sql`count(*) filter (where type = 'tool.call_completed')`],
    ['inputTokens', tokens('inputTokens')],
    ['outputTokens', tokens('outputTokens')],
    ['cachedInputTokens', tokens('cachedInputTokens')],
    ['reasoningTokens', tokens('reasoningTokens')],
    ['costUsd', sql`coalesce(sum(${number('costUsd')}) filter (where ${step} and not ${unpriced}), 0)::float8`],
    ['unpricedSteps', sql`count(*) filter (where ${step} and ${unpriced})`],
  ];
  const column = (key: keyof typeof runs.$inferSelect) => sql.identifier((runs as unknown as Record<string, { name: string }>)[key]!.name);
  return sql`
    update ${runs} set ${sql.join(
      deltas.map(([key]) => sql`${column(key)} = ${runs}.${column(key)} + d.${column(key)}`),
      sql`, `,
    )}
    from (
      select run_id, ${sql.join(
        deltas.map(([key, delta]) => sql`${delta} as ${column(key)}`),
        sql`, `,
      )}
      from inserted
      where run_id is not null and type in ('model.step_completed', 'tool.call_completed')
      group by run_id
    ) as d
    where ${runs.id} = d.run_id`;
}
