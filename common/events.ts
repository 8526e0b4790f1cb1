/** Who caused an event or sent a signal. `system` is the service itself. */
export interface Actor {
  kind: 'user' | 'integration' | 'operator' | 'system';
  id: string;
  name?: string;
}

/**
 * An audit event as written by workflows (through the recordEvent activity) and by the API.
 * `eventId` is chosen by the writer before the write, so a retried or replayed write is a no-op.
 */
export interface NewEvent {
  eventId: string;
  type: string;
  version?: number;
  executionId: string;
  runId?: string;
  turnNumber?: number;
  attempt?: number;
  actor?: Actor;
  /** ISO timestamp of when it happened (workflow time for workflow events). */
  occurredAt: string;
  payload?: Record<string, unknown>;
}

/** An event as stored and served: `cursor` is its position in the stream, as a string (it is a bigint). */
export interface StoredEvent {
  cursor: string;
  eventId: string;
  type: string;
  version: number;
  executionId: string;
  runId: string | null;
  runNumber: number | null;
  turnNumber: number | null;
  attempt: number | null;
  actor: Actor | null;
  occurredAt: string;
  payload: Record<string, unknown>;
}
