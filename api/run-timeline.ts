import type { Actor, StoredEvent } from '../common/events.ts';

/**
 * One step of a run's timeline (seed 003), built from its audit events. Every step has:
 *
 * - `kind`: `status` (run created, queued), `prepared`, `run_started`, `thinking`, `text`,
 *   `model_step` (a model step's usage), `tool_call`, `plan`, `permission`, `warning`,
 *   `stop_requested`, `output_rejected`, `done`, or `event` (a type this code does not know yet);
 * - `title`: a short line to show;
 * - `startedAt`, `endedAt`, `durationMs`: most steps are moments (duration 0). `thinking` and `text`
 *   start where the step before them ended (the model was called then) and end at their last delta;
 *   a `tool_call` spans its first `tool.call_started` to its `tool.call_completed`. An unfinished
 *   tool call ends with the run, or while the run goes on has `endedAt: null` and its duration so far;
 * - `attempt`: the run's attempt number (a retried run is a new run with attempt + 1);
 * - `activityAttempt`: which attempt of the activity wrote it when the activity was retried
 *   (null for events the workflow writes). A retried model step shows each attempt's output as its
 *   own steps; a retried tool call is one step, with the attempt it completed in.
 *
 * and the details of its kind, named as in the events' payloads.
 */
interface StepFields {
  kind: string;
  title: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  attempt: number | null;
  activityAttempt: number | null;
}
type Details = Record<string, unknown>;
export type TimelineStep = StepFields & Details;

export function runTimeline(events: readonly StoredEvent[], now = Date.now()): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const toolSteps = new Map<string, TimelineStep>();
  let previousAt: string | undefined;

  const add = (event: StoredEvent, kind: string, title: string, details: Details, startedAt = event.occurredAt) => {
    const step = span(
      { kind, title, startedAt, endedAt: event.occurredAt, attempt: event.attempt, activityAttempt: activityAttempt(event), ...details },
      now,
    );
    steps.push(step);
    return step;
  };

  for (const event of events) {
    const p = event.payload;
    const delta = DELTA_KINDS[event.type];
    const last = steps.at(-1);
    if (delta && last?.kind === delta.kind && last.step === p.step && last.activityAttempt === activityAttempt(event)) {
      // Consecutive deltas of one model step and activity attempt are one step with the whole text.
      Object.assign(last, span({ ...last, endedAt: event.occurredAt, text: `${last.text}${p.text ?? ''}` }, now));
    } else if (delta) {
      add(event, delta.kind, delta.title, { step: p.step, text: String(p.text ?? '') }, previousAt);
    } else if (event.type === 'tool.call_started' || event.type === 'tool.call_completed') {
      const callId = String(p.callId);
      const step =
        toolSteps.get(callId) ?? add(event, 'tool_call', `Tool: ${p.tool}`, { callId, tool: p.tool, step: p.step, request: null, response: null });
      toolSteps.set(callId, step);
      if (event.type === 'tool.call_started') {
        // A retried attempt starts the call again: the step keeps the first start and takes the newest attempt.
        Object.assign(step, { request: { input: p.input }, activityAttempt: activityAttempt(event), endedAt: null });
      } else {
        const { output, isError, truncated, outputChars, durationMs, change } = p;
        Object.assign(step, {
          response: { output, isError: isError === true, truncated, outputChars, durationMs, change },
          endedAt: event.occurredAt,
        });
      }
    } else {
      const [kind, title, details] = describe(event);
      add(event, kind, title, { ...details, ...(ACTOR_TYPES.includes(event.type) && { actor: event.actor as Actor | null }) });
    }
    previousAt = event.occurredAt;
  }

  // A tool call without a response ended with the run, or is still going on.
  const runEnd = events.find((e) => DONE_TYPES.includes(e.type))?.occurredAt ?? null;
  for (const step of toolSteps.values()) Object.assign(step, span({ ...step, endedAt: step.endedAt ?? runEnd }, now));
  return steps;
}

const DONE_TYPES = ['run.completed', 'run.failed', 'run.cancelled'];
/** Steps a person (or an operator) caused carry who it was. */
const ACTOR_TYPES = [
  'run.created',
  'plan.approved',
  'plan.revision_requested',
  'plan.rejected',
  'tool.approved',
  'tool.denied',
  'run.stop_requested',
];
const DELTA_KINDS: Record<string, { kind: string; title: string }> = {
  'model.reasoning_delta': { kind: 'thinking', title: 'Thinking' },
  'model.text_delta': { kind: 'text', title: 'Model text' },
};

/** The kind, title and details of a one-event step. */
function describe(event: StoredEvent): [string, string, Details] {
  const p = event.payload;
  switch (event.type) {
    case 'run.created':
      return ['status', 'Run created', { status: 'pending', index: p.index, trigger: p.trigger, message: p.message }];
    case 'run.queued':
      return ['status', `Queued (position ${p.position})`, { status: 'queued', position: p.position }];
    case 'run.prepared':
      return ['prepared', 'Workspace prepared', { model: p.model, workspace: p.workspace, planNeeded: p.planNeeded, budgets: p.budgets }];
    case 'run.started':
      return ['run_started', 'Run started', { index: p.index, trigger: p.trigger }];
    case 'model.step_completed':
      return [
        'model_step',
        `Model step ${p.step} done`,
        { step: p.step, phase: p.phase, finishReason: p.finishReason, usage: p.usage, toolCalls: p.toolCalls },
      ];
    case 'plan.proposed':
      return ['plan', `Plan v${p.version} proposed`, { decision: 'proposed', version: p.version, text: p.text }];
    case 'plan.approved':
      return ['plan', `Plan v${p.version} approved`, { decision: 'approved', version: p.version }];
    case 'plan.revision_requested':
      return ['plan', `Revision of plan v${p.version} requested`, { decision: 'revision_requested', version: p.version, feedback: p.feedback }];
    case 'plan.rejected':
      return ['plan', `Plan v${p.version} rejected`, { decision: 'rejected', version: p.version, reason: p.reason }];
    case 'tool.permission_requested':
      return ['permission', `Permission requested for ${p.tool}`, { decision: 'requested', callId: p.callId, tool: p.tool, input: p.input }];
    case 'tool.approved':
      return ['permission', `${p.tool} approved`, { decision: 'approved', callId: p.callId, tool: p.tool }];
    case 'tool.denied':
      return ['permission', `${p.tool} denied`, { decision: 'denied', callId: p.callId, tool: p.tool }];
    case 'run.warning':
      return ['warning', String(p.message ?? p.code), { code: p.code, message: p.message }];
    case 'run.stop_requested':
      return ['stop_requested', 'Stop requested', { reason: p.reason }];
    case 'run.output_rejected':
      return ['output_rejected', 'Answer rejected: not valid output', { step: p.step, problem: p.problem }];
    case 'run.completed':
    case 'run.failed':
    case 'run.cancelled': {
      const status = event.type.slice('run.'.length);
      return ['done', `Run ${status}`, { status, summary: p.summary ?? null, error: p.error ?? null, reason: p.reason ?? null }];
    }
    default:
      return ['event', event.type, { type: event.type, payload: p }];
  }
}

/** The step with `startedAt` never after `endedAt` and the duration between them (up to `now` while open), common fields first. */
function span(step: Omit<StepFields, 'durationMs'> & Details, now: number): TimelineStep {
  const { kind, title, startedAt, endedAt, attempt, activityAttempt, durationMs: _stale, ...details } = step;
  const end = endedAt === null ? now : Date.parse(endedAt);
  const start = Math.min(Date.parse(startedAt), end);
  return { kind, title, startedAt: new Date(start).toISOString(), endedAt, durationMs: end - start, attempt, activityAttempt, ...details };
}

function activityAttempt(event: StoredEvent): number | null {
  const value = event.payload.activityAttempt;
  return typeof value === 'number' ? value : null;
}
