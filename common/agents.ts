/** The agent seeded by the migrations, used when an execution names none. */
export const DEFAULT_AGENT_ID = 'default';
