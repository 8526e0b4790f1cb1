import type { Client } from '@temporalio/client';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { createDemoAgent } from './demo-agent.ts';
import { createClosedExecutionActivities } from './closed-executions.ts';
import { createSlotActivities } from './project-slots.ts';

export interface ActivityDeps {
  db: Database;
  /** For activities that talk to Temporal (signal-with-start, describe). */
  client: Client;
}

/** Every activity, built from its dependencies; workflows import only the type. */
export function createActivities({ db, client }: ActivityDeps) {
  return {
    async recordEvent(event: NewEvent): Promise<{ cursor: string; runNumber: number | null }> {
      const stored = await appendEvent(db, event);
      return { cursor: stored.cursor, runNumber: stored.runNumber };
    },
    ...createDemoAgent(db),
    ...createSlotActivities(client),
    ...createClosedExecutionActivities(db, client),
  };
}

export type Activities = ReturnType<typeof createActivities>;
