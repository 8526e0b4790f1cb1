/** The agent every tenant starts with, used when an execution names none. */
export const DEFAULT_AGENT_ID = 'default';

/** What a new tenant's default agent is (the migrations seeded the same for the tenant from before tenants). */
export const DEFAULT_AGENT = {
  id: DEFAULT_AGENT_ID,
  name: 'Default agent',
  provider: 'demo',
  model: 'demo',
  systemPrompt: 'You are a careful software agent. Work in small, checked steps and keep changes minimal.',
  allowedTools: ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command'],
  toolsNeedingApproval: ['run_command'],
  enabled: true,
  outputSchema: null,
  maxSteps: 50,
  maxCostUsd: 5,
  maxDurationMs: 3_600_000,
};
