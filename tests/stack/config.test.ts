import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireDatabaseUrl } from '../../common/config.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('configuration from the environment', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: path.resolve('.data'),
      databaseUrl: undefined,
      temporalAddress: undefined,
      temporalNamespace: 'default',
      taskQueue: 'agent-runs',
      temporalPort: 7233,
      temporalUiPort: 8233,
      apiToken: undefined,
      executionIdleTimeoutMs: 7 * 86_400_000,
      workerCachedWorkflows: 500,
    });
  });

  it('reads each variable, treating blank as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      DATA_DIR: '/tmp/x',
      DATABASE_URL: 'postgres://db/app',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: ' ',
      TEMPORAL_UI_PORT: '9000',
      AGENT_RUNS_TOKEN: 'secret',
      WORKER_CACHED_WORKFLOWS: '2000',
    });
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/tmp/x',
      databaseUrl: 'postgres://db/app',
      temporalAddress: 'temporal:7233',
      temporalNamespace: 'default',
      temporalUiPort: 9000,
      apiToken: 'secret',
      workerCachedWorkflows: 2000,
    });
  });

  it.each(['abc', '-1', '70000', '3.5'])('refuses PORT=%s with a clear error', (value) => {
    expect(() => loadConfig({ PORT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: value })).toThrow(/PORT must be a port number/);
  });

  it.each(['0', '-5', '1.5', 'many'])('refuses WORKER_CACHED_WORKFLOWS=%s with a clear error', (value) => {
    expect(() => loadConfig({ WORKER_CACHED_WORKFLOWS: value })).toThrow(/WORKER_CACHED_WORKFLOWS must be a whole number of at least 1/);
  });

  it('requires DATABASE_URL for the separate api and worker processes', () => {
    expect(() => requireDatabaseUrl(loadConfig({}), 'worker')).toThrow(/DATABASE_URL is required.*npm run dev/);
    expect(requireDatabaseUrl(loadConfig({ DATABASE_URL: 'postgres://x/y' }), 'worker')).toBe('postgres://x/y');
  });

  it.each(['api/main.ts', 'worker/main.ts'])('%s exits with that message when DATABASE_URL is missing', (entry) => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DATABASE_URL is required');
  });
});
