import type { Actor } from '../common/events.ts';
import { uuidFromName } from '../common/ids.ts';
import type { Database } from '../db/client.ts';
import { saveNote, updateToolCall } from '../db/transcript.ts';
import { type RunIds, recordRunEvent } from './run-events.ts';

/** A person's approval or revision of a proposed plan, on its way to the model. */
export interface PlanAnswer {
  decision: 'approve' | 'revise';
  version: number;
  by: Actor;
  feedback?: string;
  /** The step that proposed the plan, and its propose_plan call (absent when the plan was the step's text). */
  step: number;
  callId?: string;
}

/**
 * Audits the decision (`plan.approved` or `plan.revision_requested`), then tells the model: as the
 * propose_plan call's result, or as a note after the step. Idempotent, so a retried step repeats it harmlessly.
 */
export async function deliverPlanAnswer(db: Database, ids: RunIds, answer: PlanAnswer): Promise<void> {
  const approved = answer.decision === 'approve';
  const type = approved ? 'plan.approved' : 'plan.revision_requested';
  const eventId = uuidFromName(`${ids.runId}:plan:${answer.version}:decision`);
  await recordRunEvent(db, ids, eventId, type, { version: answer.version, feedback: answer.feedback }, answer.by);
  const text = approved ? 'Plan approved. Carry it out now.' : `Revise the plan: ${answer.feedback}`;
  if (answer.callId) await updateToolCall(db, answer.callId, { status: 'completed', output: text, isError: false, completedAt: new Date() });
  else await saveNote(db, ids.runId, answer.step, text);
}
