import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARS, loadConfig } from '../../common/config.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../common/search-attributes.ts';

// No Docker engine runs here, so docker-compose.yml is checked against the code's configuration.
const root = path.resolve(import.meta.dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const services = compose.services as Record<string, any>;

describe('docker-compose.yml', () => {
  it('has Postgres, Temporal, its UI, the search-attribute job, and our api and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'worker'].sort());
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services.temporal.environment.DB).toBe('postgres12');
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
  });

  it.each(['api', 'worker'])('configures %s only with variables the code reads', (name) => {
    const environment = services[name].environment as Record<string, string>;
    for (const key of Object.keys(environment)) expect(Object.keys(CONFIG_VARS)).toContain(key);
    expect(() => loadConfig(environment)).not.toThrow();
    const config = loadConfig(environment);

    const databaseUrl = new URL(config.databaseUrl!);
    expect(databaseUrl.hostname).toBe('postgres');
    expect(databaseUrl.pathname).toBe(`/${services.postgres.environment.POSTGRES_DB}`);
    expect(databaseUrl.password).toBe(services.postgres.environment.POSTGRES_PASSWORD);
    expect(config.temporalAddress).toBe('temporal:7233');
    expect(services.temporal.ports).toContain('7233:7233');
  });

  it('builds api and worker from the Dockerfile and runs the same entry points as npm run api / worker', () => {
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    for (const name of ['api', 'worker']) {
      expect(services[name].build).toBe('.');
      const entry = services[name].command.at(-1);
      expect(fs.existsSync(path.join(root, entry))).toBe(true);
      expect(packageJson.scripts[name]).toContain(entry);
    }
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/CMD \["node", "--import", "tsx", "api\/main.ts"\]/);
  });

  it('publishes the API on the port it listens on, and requires a token', () => {
    const { environment, ports } = services.api;
    expect(ports).toContain(`${environment.PORT}:${environment.PORT}`);
    expect(environment.HOST).toBe('0.0.0.0');
    expect(environment.AGENT_RUNS_TOKEN).toMatch(/^\$\{AGENT_RUNS_TOKEN:\?/);
  });

  it('registers every search attribute the workflows set', () => {
    const job = JSON.stringify(services['temporal-admin-tools'].command);
    for (const key of SEARCH_ATTRIBUTE_KEYS) expect(job).toContain(key.name);
    expect(job).toContain('--type Keyword');
  });
});
