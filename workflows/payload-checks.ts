import type { SignalDefinition } from '@temporalio/common';
import { log, setHandler } from '@temporalio/workflow';
import type { Actor } from '../common/events.ts';

// Any Temporal client (an operator's CLI, a chat bot) may send any workflow any message: a malformed
// payload must be refused or ignored, never thrown on (a workflow task that throws is retried forever
// and wedges the workflow).

const ACTOR_KINDS = ['user', 'integration', 'operator', 'system'];

/** A field's expected shape: a JSON type (`?` when optional), an actor, an ISO time, or one of some strings. */
export type FieldType = 'string' | 'number' | 'string?' | 'number?' | 'actor' | 'time?' | readonly string[];
export type Fields = Record<string, FieldType>;

const isActor = (value: unknown): value is Actor => {
  const by = value as Record<string, unknown> | undefined;
  return !!by && typeof by === 'object' && typeof by.id === 'string' && ACTOR_KINDS.includes(by.kind as string);
};

/** What is wrong with a message's payload, or undefined when it is an object with the named fields. */
export function payloadProblem(arg: unknown, fields: Fields): string | undefined {
  if (!arg || typeof arg !== 'object') return 'the payload must be an object';
  const value = arg as Record<string, unknown>;
  for (const [field, type] of Object.entries(fields)) {
    const v = value[field];
    if (typeof type !== 'string') {
      if (!type.includes(v as string)) return `"${field}" must be one of ${type.join(', ')}`;
    } else if (type === 'actor') {
      if (!isActor(v)) return `"${field}" must be {"kind": ${ACTOR_KINDS.map((k) => `"${k}"`).join(' | ')}, "id": "..."}`;
    } else if (type === 'time?') {
      if (v !== undefined && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) return `"${field}" must be an ISO time`;
    } else if (type.endsWith('?') ? v !== undefined && typeof v !== type.slice(0, -1) : typeof v !== type) {
      return `"${field}" must be a ${type.replace('?', '')}`;
    }
  }
  return undefined;
}

/** Who sent a malformed message, as far as it says: recorded with its refusal. */
export function wellFormedActor(by: unknown): Actor {
  return isActor(by) ? { kind: by.kind, id: by.id } : { kind: 'integration', id: 'unknown' };
}

/**
 * Handles a signal between our own workflows; a malformed one (sent by hand) is logged and ignored:
 * no caller waits for an answer, and no audit row belongs to it.
 */
export function setInternalSignalHandler<Arg>(signal: SignalDefinition<[Arg]>, fields: Fields, handler: (arg: Arg) => void | Promise<void>) {
  setHandler(signal, (arg: Arg) => {
    const problem = payloadProblem(arg, fields);
    if (problem) return log.warn(`ignored a malformed ${signal.name} signal: ${problem}`);
    return handler(arg);
  });
}
