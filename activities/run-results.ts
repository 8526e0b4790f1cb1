import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { progressEntries, runFiles, runs } from '../db/schema.ts';
import type { RunError } from '../workflows/definitions.ts';
import type { RunIds } from './run-events.ts';
import type { FileChange, WorkspaceDriver } from './workspace/driver.ts';

export interface RunEnding extends RunIds {
  status: 'completed' | 'failed' | 'cancelled';
  /** The agent's own summary, when it wrote one. */
  summary?: string;
  error?: RunError;
  reason?: string;
}

/**
 * A run's last activity, whatever its outcome: stores the files it changed (the workspace against
 * the run's baseline), settles its summary (the agent's, or one written here when the agent could
 * not) and appends it to the execution's progress log, which later runs read.
 */
export function createRunResultActivities({ db, workspaces }: { db: Database; workspaces: WorkspaceDriver }) {
  return {
    async finishRun(ending: RunEnding): Promise<{ summary: string }> {
      const [run] = await db.select().from(runs).where(eq(runs.id, ending.runId));
      const changes = run?.baseline ? await (await workspaces.open(ending.executionId)).changesSince(run.baseline) : [];
      const summary = ending.summary?.trim() || systemSummary(ending, changes, run?.modelSteps ?? 0, run?.toolCalls ?? 0);
      const files = changes.map((c) => `${c.path} (+${c.added}/-${c.removed})`).join(', ');
      const entry = `Run ${run?.index ?? '?'} (turn ${ending.turnNumber}, attempt ${ending.attempt}) ${ending.status}: ${oneLine(summary)}${files ? ` Files changed: ${files}.` : ''}`;
      await db.transaction(async (tx) => {
        await tx.delete(runFiles).where(eq(runFiles.runId, ending.runId));
        if (changes.length) await tx.insert(runFiles).values(changes.map((c) => ({ runId: ending.runId, ...c })));
        await tx
          .insert(progressEntries)
          .values({ runId: ending.runId, executionId: ending.executionId, text: entry })
          .onConflictDoUpdate({ target: progressEntries.runId, set: { text: entry } });
      });
      return { summary };
    },
  };
}

/** What the system says of a run the agent did not sum up (it failed, was stopped, or said nothing). */
function systemSummary(ending: RunEnding, changes: FileChange[], modelSteps: number, toolCalls: number): string {
  const how =
    ending.status === 'failed'
      ? `The run failed (${ending.error?.type ?? 'error'}: ${ending.error?.message ?? 'no details'}).`
      : ending.status === 'cancelled'
        ? `The run was cancelled (${ending.reason ?? 'stopped'}).`
        : 'The agent finished without a summary.';
  const work = `${modelSteps} model step(s), ${toolCalls} tool call(s)`;
  const files = changes.length ? `${changes.length} file(s) changed: ${changes.map((c) => c.path).join(', ')}` : 'no file changed';
  return `${how} Before that: ${work}; ${files}. (Summary written by the system.)`;
}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
};
