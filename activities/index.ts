import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { createDemoRun } from './demo-run.ts';

export interface ActivityDeps {
  db: Database;
}

/** Every activity, built from its dependencies; workflows import only the type. */
export function createActivities({ db }: ActivityDeps) {
  return {
    async recordEvent(event: NewEvent): Promise<{ cursor: string; runNumber: number | null }> {
      const stored = await appendEvent(db, event);
      return { cursor: stored.cursor, runNumber: stored.runNumber };
    },
    performDemoRun: createDemoRun(db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
