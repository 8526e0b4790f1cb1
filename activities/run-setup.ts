import { ApplicationFailure } from '@temporalio/activity';
import { and, asc, eq } from 'drizzle-orm';
import { type Budgets, effectiveBudgets } from '../common/budgets.ts';
import { uuidFromName } from '../common/ids.ts';
import { modelProblem } from '../common/models.ts';
import type { PlanMode } from '../common/statuses.ts';
import { MASK, splitCredentials } from '../common/template-credentials.ts';
import { agentDisabled } from '../db/agent-policy.ts';
import { agentBudgets, findAgent } from '../db/agents.ts';
import type { Database } from '../db/client.ts';
import { findExecutionRow } from '../db/executions.ts';
import { findProject, type ProjectSecrets } from '../db/projects.ts';
import { messages, progressEntries, runs } from '../db/schema.ts';
import { withHeartbeats } from './heartbeat.ts';
import { type AgentCall, recordRunEvent, runEventWriter } from './run-events.ts';
import { composeSystemPrompt } from './system-prompt.ts';
import type { WorkspaceDriver, WorkspaceTemplate } from './workspace/driver.ts';
import { type TemplatePlaces, templateProblemOnDisk, tenantPlaces } from './workspace/template-places.ts';

export interface PrepareRunCall extends AgentCall {
  projectId: string;
  planMode: PlanMode;
  budgets?: Partial<Budgets>;
  /** For run.started: the run's index in its execution, and what started it. */
  index: number;
  trigger: string;
}

export interface RunSetup {
  planNeeded: boolean;
  /** Tools whose calls wait for a person's decision. */
  needsApproval: string[];
  budgets: Budgets;
}

/**
 * A run's first activity: checks its agent and model, prepares the workspace (from the project's
 * template, the first time) and its baseline, writes the system prompt its model steps use, and
 * marks the run started.
 */
export function createRunSetupActivities({
  db,
  workspaces,
  env,
  templatePlaces,
}: {
  db: Database;
  workspaces: WorkspaceDriver;
  env: NodeJS.ProcessEnv;
  templatePlaces: TemplatePlaces;
}) {
  return {
    async prepareRun(call: PrepareRunCall): Promise<RunSetup> {
      return withHeartbeats(() => prepare(call));
    },
  };

  /**
   * Prepares the workspace from the template, a git URL with the credentials the API keeps out of
   * sight; a failure's message (git's, which may quote the URL) never carries them.
   */
  async function prepareWorkspace(executionId: string, template: WorkspaceTemplate, secrets: ProjectSecrets | null | undefined) {
    // Credentials kept apart, or still in the template (a project saved before they were kept apart).
    const secretUrl = template.type === 'git' ? (secrets?.gitUrl ?? splitCredentials(template).secrets?.gitUrl) : undefined;
    if (template.type !== 'git' || !secretUrl) return workspaces.prepare(executionId, template);
    try {
      return await workspaces.prepare(executionId, { ...template, url: secretUrl });
    } catch (err) {
      const { password, username } = new URL(secretUrl);
      // The token is the password, or the user name when there is none (`https://<token>@host/…`).
      const secret = password || username;
      const hide = (text: string) =>
        [secretUrl, secret, decoded(secret)].filter((t) => t.length >= 3).reduce((out, t) => out.replaceAll(t, MASK), text);
      throw new Error(hide(err instanceof Error ? err.message : String(err)));
    }
  }

  // Cloning or copying a template, and recording its baseline, may take a while: it heartbeats meanwhile.
  async function prepare(call: PrepareRunCall): Promise<RunSetup> {
    // The execution's tenant names its agent and project (each tenant has its own).
    const execution = await findExecutionRow(db, call.executionId);
    if (!execution) throw new Error(`execution ${call.executionId} is not recorded yet`);
    const agent = await findAgent(db, execution.tenantId, call.agentId);
    if (!agent) throw ApplicationFailure.nonRetryable(`agent "${call.agentId}" does not exist`, 'agent_unavailable');
    // Disabled since the execution was created: this run does not start (one under way finishes).
    const disabled = await agentDisabled(db, agent, call.projectId);
    if (disabled) throw ApplicationFailure.nonRetryable(disabled.message, 'agent_disabled', { scope: disabled.scope, scopeId: disabled.scopeId });
    const problem = modelProblem(call.model, env);
    if (problem) throw ApplicationFailure.nonRetryable(`the worker cannot use this model: ${problem}`, 'model_not_configured');

    const project = await findProject(db, execution.tenantId, call.projectId);
    const template = (project?.workspaceTemplate ?? { type: 'empty' }) as WorkspaceTemplate;
    const refused = await templateProblemOnDisk(template, tenantPlaces(templatePlaces, execution.tenantId)!);
    if (refused) throw ApplicationFailure.nonRetryable(`the project's workspace template cannot be used: ${refused}`, 'template_refused');
    const workspace = await prepareWorkspace(call.executionId, template, project?.secrets as ProjectSecrets | null | undefined);
    const baseline = await workspace.snapshot();
    const agentsMd = await workspace.readFile('AGENTS.md').catch(() => undefined);
    const progress = await db
      .select({ text: progressEntries.text })
      .from(progressEntries)
      .where(eq(progressEntries.executionId, call.executionId))
      .orderBy(asc(progressEntries.createdAt));
    const systemPrompt = composeSystemPrompt({
      agentPrompt: agent.systemPrompt,
      agentsMd,
      progress: progress.map((p) => p.text),
      outputSchema: agent.outputSchema ?? undefined,
    });
    await db.update(runs).set({ systemPrompt, baseline, tools: agent.allowedTools, outputSchema: agent.outputSchema }).where(eq(runs.id, call.runId));

    const budgets = effectiveBudgets(agentBudgets(agent), call.budgets);
    const needsApproval = agent.toolsNeedingApproval.filter((tool) => agent.allowedTools.includes(tool));
    const planNeeded = call.planMode === 'always' || (call.planMode === 'auto' && needsPlan(await latestRequest(db, call)));
    await runEventWriter(
      db,
      call,
      call.eventId,
    )('run.prepared', {
      agentId: agent.id,
      model: call.model,
      workspace: template.type,
      agentsMd: agentsMd !== undefined,
      progressEntries: progress.length,
      tools: agent.allowedTools,
      needsApproval,
      budgets,
      planNeeded,
    });
    // The agent can start: the run is `running` (one id per run, so a retried attempt writes it once).
    await recordRunEvent(db, call, uuidFromName(`${call.runId}:run.started`), 'run.started', { index: call.index, trigger: call.trigger });
    return { planNeeded, needsApproval, budgets };
  }
}

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** planMode `auto`: a request that mentions a plan, or a long one, is planned first. */
const needsPlan = (request: string) => /\bplan\b/i.test(request) || request.length > 200;

async function latestRequest(db: Database, call: AgentCall): Promise<string> {
  const rows = await db
    .select({ content: messages.content })
    .from(messages)
    .where(and(eq(messages.executionId, call.executionId), eq(messages.role, 'user')))
    .orderBy(asc(messages.createdAt));
  return rows.at(-1)?.content ?? '';
}
