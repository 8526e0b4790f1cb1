import path from 'node:path';
import { parseDuration } from './duration.ts';

/**
 * Every setting of the service, read only from the environment. `CONFIG_VARS` is the single list of
 * variable names: the README's table, docker-compose.yml and a test all agree with it.
 */
export const CONFIG_VARS = {
  PORT: 'HTTP port of the API (default 3000)',
  HOST: 'interface the API listens on (default 0.0.0.0; the dev stack uses 127.0.0.1)',
  DATA_DIR: 'folder for local state: execution workspaces, embedded database, dev Temporal database (default .data)',
  DATABASE_URL: 'Postgres URL; unset means embedded PGlite under DATA_DIR (single process only)',
  TEMPORAL_ADDRESS: 'Temporal frontend host:port; unset in the dev stack means start a dev server',
  TEMPORAL_NAMESPACE: 'Temporal namespace (default "default")',
  TEMPORAL_TASK_QUEUE: 'task queue of the workflows and activities (default "agent-runs")',
  TEMPORAL_PORT: 'dev stack only: gRPC port of the Temporal dev server it starts (default 7233)',
  TEMPORAL_UI_PORT: 'dev stack only: port of the Temporal UI (default 8233)',
  AGENT_RUNS_TOKEN: 'API bearer token to accept (stored hashed); the dev stack generates one when unset',
  EXECUTION_IDLE_TIMEOUT: 'how long an idle execution workflow stays open before closing, e.g. 7d or 30m (default 7d)',
  OPENAI_API_KEY: 'enables the `openai` provider',
  OPENAI_BASE_URL: 'optional: another base URL for the `openai` provider (a proxy)',
  ANTHROPIC_API_KEY: 'enables the `anthropic` provider',
  ANTHROPIC_BASE_URL: 'optional: another base URL for the `anthropic` provider',
  OPENAI_COMPATIBLE_BASE_URL: 'enables the `openai-compatible` provider: Ollama, vLLM, LM Studio, a gateway (e.g. http://localhost:11434/v1)',
  OPENAI_COMPATIBLE_API_KEY: 'optional: API key for the `openai-compatible` endpoint',
  PRICING_FILE: 'optional: a JSON pricing file merged over the shipped data/pricing.json',
  WORKSPACE_TEMPLATE_ROOT:
    'optional: the folder under which projects may use `path` templates and local git repositories (never DATA_DIR); unset: they may not',
  WORKER_CACHED_WORKFLOWS:
    'worker: workflows kept in memory between their tasks (default 500); one evicted is rebuilt from its history when it next has work',
} as const;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  temporalPort: number;
  temporalUiPort: number;
  apiToken: string | undefined;
  executionIdleTimeoutMs: number;
  pricingFile: string | undefined;
  workspaceTemplateRoot: string | undefined;
  workerCachedWorkflows: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: readPort(env, 'PORT', 3000),
    host: read(env, 'HOST') ?? '0.0.0.0',
    dataDir: path.resolve(read(env, 'DATA_DIR') ?? '.data'),
    databaseUrl: read(env, 'DATABASE_URL'),
    temporalAddress: read(env, 'TEMPORAL_ADDRESS'),
    temporalNamespace: read(env, 'TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue: read(env, 'TEMPORAL_TASK_QUEUE') ?? 'agent-runs',
    temporalPort: readPort(env, 'TEMPORAL_PORT', 7233),
    temporalUiPort: readPort(env, 'TEMPORAL_UI_PORT', 8233),
    apiToken: read(env, 'AGENT_RUNS_TOKEN'),
    executionIdleTimeoutMs: readDuration(env, 'EXECUTION_IDLE_TIMEOUT', '7d'),
    pricingFile: read(env, 'PRICING_FILE'),
    workspaceTemplateRoot: optionalPath(read(env, 'WORKSPACE_TEMPLATE_ROOT')),
    workerCachedWorkflows: readCount(env, 'WORKER_CACHED_WORKFLOWS', 500),
  };
}

const optionalPath = (value: string | undefined) => (value === undefined ? undefined : path.resolve(value));

function read(env: NodeJS.ProcessEnv, name: keyof typeof CONFIG_VARS): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readDuration(env: NodeJS.ProcessEnv, name: keyof typeof CONFIG_VARS, fallback: string): number {
  const raw = read(env, name) ?? fallback;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000) throw new ConfigError(`${name} must be a duration of at least 1s (like 30s, 5m, 7d), got "${raw}"`);
  return ms;
}

function readCount(env: NodeJS.ProcessEnv, name: keyof typeof CONFIG_VARS, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`${name} must be a whole number of at least 1, got "${raw}"`);
  return count;
}

function readPort(env: NodeJS.ProcessEnv, name: keyof typeof CONFIG_VARS, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

/**
 * The API and worker processes must share one database. The embedded PGlite database belongs to a
 * single process, so running them apart needs DATABASE_URL; `npm run dev` runs both in one process.
 */
export function requireDatabaseUrl(config: Config, processName: string): string {
  if (config.databaseUrl) return config.databaseUrl;
  throw new ConfigError(
    `DATABASE_URL is required: the ${processName} runs as its own process and must share a Postgres database ` +
      'with the others. For a single-process stack on the embedded database, use `npm run dev`.',
  );
}
