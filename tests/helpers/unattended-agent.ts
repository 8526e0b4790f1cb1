// Its own file (no vitest import), so the benchmark and the soak script can use it too.

/** The demo model with every tool and no permission gate: runs finish without a person. */
export const UNATTENDED_AGENT = {
  id: 'unattended',
  name: 'Unattended test agent',
  provider: 'demo',
  model: 'demo',
  systemPrompt: 'You are a test agent.',
  allowedTools: ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command'],
  toolsNeedingApproval: [],
  enabled: true,
  outputSchema: null,
  maxSteps: 50,
  maxCostUsd: null,
  maxDurationMs: 3_600_000,
};
