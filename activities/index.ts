import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { LanguageModel } from 'ai';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import type { ModelChoice } from '../workflows/definitions.ts';
import { createClosedExecutionActivities } from './closed-executions.ts';
import { createModelStepActivity } from './model-step.ts';
import { loadPricing } from './models/pricing.ts';
import { resolveModel } from './models/providers.ts';
import { createDecisionActivities } from './pass-decision-on.ts';
import { createSlotActivities } from './project-slots.ts';
import { createReopenActivities } from './reopen-execution.ts';
import { createRunResultActivities } from './run-results.ts';
import { createRunSetupActivities } from './run-setup.ts';
import { createToolCallActivities } from './tool-calls.ts';
import { createLocalWorkspaceDriver } from './workspace/local-driver.ts';

export interface ActivityDeps {
  db: Database;
  /** For activities that talk to Temporal (signal-with-start, describe). */
  client: Client;
  /** Workspaces live in `<dataDir>/workspaces`, their run baselines in `<dataDir>/baselines`. */
  dataDir: string;
  /** Model keys and base URLs are read from here (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Which model object serves a `{provider, model}` (tests substitute scripted models). */
  models?: (choice: ModelChoice) => LanguageModel;
  /** An operator's pricing file over the shipped one (PRICING_FILE). */
  pricingFile?: string;
  /** WORKSPACE_TEMPLATE_ROOT: where projects' templates may read this machine's folders (unset: nowhere). */
  templateRoot?: string;
}

/** Every activity, built from its dependencies; workflows import only the type. */
export function createActivities({ db, client, dataDir, env = process.env, models, pricingFile, templateRoot }: ActivityDeps) {
  const workspaces = createLocalWorkspaceDriver({ workspacesDir: path.join(dataDir, 'workspaces'), baselinesDir: path.join(dataDir, 'baselines') });
  return {
    async recordEvent(event: NewEvent): Promise<{ cursor: string; runNumber: number | null }> {
      const stored = await appendEvent(db, event);
      return { cursor: stored.cursor, runNumber: stored.runNumber };
    },
    ...createRunSetupActivities({ db, workspaces, env, templatePlaces: { root: templateRoot, dataDir } }),
    modelStep: createModelStepActivity({ db, resolveModel: models ?? ((choice) => resolveModel(choice, env)), pricing: loadPricing(pricingFile) }),
    ...createToolCallActivities({ db, workspaces }),
    ...createRunResultActivities({ db, workspaces }),
    ...createSlotActivities(db, client),
    ...createDecisionActivities(client),
    ...createClosedExecutionActivities(db, client),
    ...createReopenActivities(db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
