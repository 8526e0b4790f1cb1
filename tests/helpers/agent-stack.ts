import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MockLanguageModelV4 } from 'ai/test';
import { startTestStack, type TestStack } from './test-stack.ts';
import { waitFor } from './wait-for.ts';

/** Prices the scripted models use, per million tokens. */
export const SCRIPTED_PRICES = { input: 2.5, output: 10, cachedInput: 1.25 };

export interface AgentStack extends TestStack {
  /** Creates (or replaces) an agent through the API. */
  putAgent(id: string, agent: Record<string, unknown>): Promise<void>;
  /** Sets a project's workspace template through the API. */
  putProject(id: string, workspaceTemplate: Record<string, unknown>): Promise<void>;
  /** Creates an execution of `agentId` whose runs use the scripted model `model`. */
  run(agentId: string, model: string, body?: Record<string, unknown>): Promise<string>;
  /** Waits for an event of this type (and matching `where`), returns it. */
  waitForEvent(executionId: string, type: string, where?: (event: any) => boolean): Promise<any>;
  /** The workspace folder of an execution. */
  workspace(executionId: string): string;
}

/**
 * A test stack whose worker serves `openai-compatible/<name>` with the scripted model of that name,
 * priced by SCRIPTED_PRICES for models whose name starts with `priced`.
 */
export async function startAgentStack(models: Record<string, MockLanguageModelV4>, options: { temporalAddress?: string } = {}): Promise<AgentStack> {
  // The API only checks that the provider is configured; the worker uses the scripted models.
  process.env.OPENAI_COMPATIBLE_BASE_URL ??= 'http://127.0.0.1:9/v1';
  const pricingFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pricing-')), 'pricing.json');
  const priced = Object.keys(models).filter((name) => name.startsWith('priced'));
  fs.writeFileSync(pricingFile, JSON.stringify(Object.fromEntries(priced.map((name) => [`openai-compatible/${name}`, SCRIPTED_PRICES]))));
  const stack = await startTestStack({
    ...options,
    pricingFile,
    models: (choice) => {
      const model = models[choice.model];
      if (!model) throw new Error(`no scripted model ${choice.model}`);
      return model;
    },
  });
  const put = async (url: string, body: unknown) => {
    const response = await stack.api(url, { method: 'PUT', body: JSON.stringify(body) });
    if (response.status >= 300) throw new Error(`PUT ${url}: ${response.status} ${await response.text()}`);
  };
  return {
    ...stack,
    putAgent: (id, agent) => put(`/v1/agents/${id}`, { name: id, provider: 'openai-compatible', model: 'unused', ...agent }),
    putProject: (id, workspaceTemplate) => put(`/v1/projects/${id}`, { workspaceTemplate }),
    run: (agentId, model, body = {}) =>
      stack.createExecution({
        projectId: `p-${model}`,
        prompt: `work with ${model}`,
        planMode: 'never',
        agentId,
        model: { provider: 'openai-compatible', model },
        ...body,
      }),
    waitForEvent: (executionId, type, where = () => true) =>
      waitFor(`a ${type} event`, async () => (await stack.events(executionId)).find((e) => e.type === type && where(e))),
    workspace: (executionId) => path.join(stack.dataDir, 'workspaces', executionId),
  };
}
