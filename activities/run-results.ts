import { CancelledFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { runEndingSentence } from '../common/run-ending.ts';
import type { Database } from '../db/client.ts';
import { progressEntries, runFiles, runs } from '../db/schema.ts';
import type { RunError } from '../workflows/definitions.ts';
import { withHeartbeats } from './heartbeat.ts';
import type { RunIds } from './run-events.ts';
import type { FileChange, WorkspaceDriver } from './workspace/driver.ts';

/** A run stores at most this many changed files (the first by path); `files_changed` counts them all. */
export const MAX_RUN_FILES = 1000;
/** And at most this many characters of diffs in all (each file's diff is also capped on its own). */
export const MAX_RUN_DIFF_CHARS = 5_000_000;
/** Rows per INSERT: 5 parameters a row stays far below Postgres's 65,534 parameters per statement. */
const INSERT_BATCH = 500;
/** How many file names a summary or a progress entry lists before saying how many more. */
const LISTED_FILES = 20;

export interface RunEnding extends RunIds {
  status: 'completed' | 'failed' | 'cancelled';
  /** The agent's own summary, when it wrote one. */
  summary?: string;
  error?: RunError;
  reason?: string;
}

/**
 * A run's last activity, whatever its outcome: stores the files it changed (the workspace against
 * the run's baseline; the first MAX_RUN_FILES, with the total), settles its summary (the agent's, or
 * one written here when the agent could not) and appends it to the execution's progress log, which
 * later runs read. It heartbeats, so a stop reaches it while a large workspace is compared.
 */
export function createRunResultActivities({ db, workspaces }: { db: Database; workspaces: WorkspaceDriver }) {
  return {
    finishRun: (ending: RunEnding) => withHeartbeats(() => finishRun(ending, Context.current().cancellationSignal)),
  };

  /** A stop cuts it short (`signal`): git is stopped, and nothing is written after it. */
  async function finishRun(ending: RunEnding, signal: AbortSignal): Promise<{ summary: string }> {
    const stopped = () => new CancelledFailure("the recording of the run's results was stopped");
    const [run] = await db.select().from(runs).where(eq(runs.id, ending.runId));
    const limits = { maxFiles: MAX_RUN_FILES, maxTotalDiffChars: MAX_RUN_DIFF_CHARS, signal };
    const { files: changes, total } = run?.baseline
      ? await (await workspaces.open(ending.executionId)).changesSince(run.baseline, limits).catch((err) => {
          throw signal.aborted ? stopped() : err;
        })
      : { files: [], total: 0 };
    if (signal.aborted) throw stopped();
    const summary = ending.summary?.trim() || systemSummary(ending, changes, total, run?.modelSteps ?? 0, run?.toolCalls ?? 0);
    const files = listFiles(
      changes.map((c) => `${c.path} (+${c.added}/-${c.removed})`),
      total,
    );
    const entry = `Run ${run?.index ?? '?'} (turn ${ending.turnNumber}, attempt ${ending.attempt}) ${ending.status}: ${oneLine(summary)}${files ? ` Files changed: ${files}.` : ''}`;
    await db.transaction(async (tx) => {
      await tx.delete(runFiles).where(eq(runFiles.runId, ending.runId));
      for (let i = 0; i < changes.length; i += INSERT_BATCH) {
        await tx.insert(runFiles).values(changes.slice(i, i + INSERT_BATCH).map((c) => ({ runId: ending.runId, ...c })));
      }
      await tx
        .update(runs)
        .set({ filesChanged: total, filesTruncated: total > changes.length })
        .where(eq(runs.id, ending.runId));
      await tx
        .insert(progressEntries)
        .values({ runId: ending.runId, executionId: ending.executionId, text: entry })
        .onConflictDoUpdate({ target: progressEntries.runId, set: { text: entry } });
    });
    return { summary };
  }
}

/** What the system says of a run the agent did not sum up (it failed, was stopped, or said nothing). */
function systemSummary(ending: RunEnding, changes: FileChange[], total: number, modelSteps: number, toolCalls: number): string {
  const how = runEndingSentence(ending);
  const work = `${modelSteps} model step(s), ${toolCalls} tool call(s)`;
  const files = total
    ? `${total} file(s) changed: ${listFiles(
        changes.map((c) => c.path),
        total,
      )}`
    : 'no file changed';
  return `${how} Before that: ${work}; ${files}. (Summary written by the system.)`;
}

/** The first names, and how many more there are. */
function listFiles(names: string[], total: number): string {
  const listed = names.slice(0, LISTED_FILES).join(', ');
  return total > LISTED_FILES ? `${listed} and ${total - LISTED_FILES} more` : listed;
}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
};
