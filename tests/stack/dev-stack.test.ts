import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/free-port.ts';
import { openSse } from '../helpers/sse-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

// `npm run dev` as a newcomer runs it: embedded database, its own Temporal dev server, generated
// token. It must serve the slice, stop on SIGTERM or Ctrl-C within 10 s and leave nothing behind.
const root = path.resolve(import.meta.dirname, '..', '..');

interface DevStack {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  uiUrl: string;
  token: string;
  exited: Promise<number | null>;
}

async function startDevStack(env: Record<string, string>): Promise<DevStack> {
  const childEnv = { ...process.env, ...env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'AGENT_RUNS_TOKEN', 'HOST']) delete childEnv[name];
  // Its own process group, like a terminal's foreground job: the test can signal the group as Ctrl-C does.
  const child = spawn('npm', ['run', 'dev'], { cwd: root, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const banner = await waitFor(
    'the dev stack to print its banner',
    async () => {
      if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
      return /agent-runs is running/.test(output) ? output : undefined;
    },
    180_000,
  ).catch((err) => {
    process.kill(-child.pid!, 'SIGKILL');
    throw err;
  });
  const field = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(banner)?.[1] ?? '';
  return { child, output: () => output, apiUrl: field('API'), uiUrl: field('Temporal UI'), token: field('API token'), exited };
}

/** Resolves how long the stack took to exit after `signal` was sent. */
async function stop(stack: DevStack, send: () => void): Promise<number> {
  const started = Date.now();
  send();
  await stack.exited;
  // npm has exited; the stack's node process must be gone too (it exits after cleaning up).
  await waitFor('the process group to be empty', async () => (groupAlive(stack.child.pid!) ? undefined : true), 10_000);
  return Date.now() - started;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line mentions `needle` (the Temporal server names its database file). */
function processesMentioning(needle: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(needle) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

describe('npm run dev', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-dev-'));
  const ports: Record<string, number> = {};
  let env: Record<string, string>;
  let executionId: string;

  beforeAll(async () => {
    for (const name of ['PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT']) ports[name] = await freePort();
    env = { DATA_DIR: dataDir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const expectNothingLeft = async () => {
    for (const port of Object.values(ports)) expect(await listening(port), `port ${port} still listening`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  };

  it('starts, runs an execution to completed, and stops on SIGTERM within 10 s leaving nothing', async () => {
    const stack = await startDevStack(env);
    try {
      expect(stack.apiUrl).toBe(`http://127.0.0.1:${ports.PORT}`);
      expect(stack.uiUrl).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
      expect(stack.token).toMatch(/^ar_/);
      const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };

      expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
      const created = await fetch(`${stack.apiUrl}/v1/executions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ projectId: 'dev-test', prompt: 'Say hello', planMode: 'never' }),
      });
      expect(created.status).toBe(201);
      executionId = (await created.json()).id;
      // Streamed live from the embedded database (PGlite's LISTEN/NOTIFY) while the run goes on.
      const live = await openSse(`${stack.apiUrl}/v1/executions/${executionId}/stream`, { authorization: headers.authorization });
      // The default agent holds the demo's run_command for permission.
      const waiting = await waitFor('the command to wait for permission', async () => {
        const body = await (await fetch(`${stack.apiUrl}/v1/executions/${executionId}`, { headers })).json();
        return body.status === 'waiting_permission' ? body : undefined;
      });
      expect(waiting.pendingToolCall).toMatchObject({ tool: 'run_command', input: { command: 'wc -l NOTES.md' } });
      const approve = `${stack.apiUrl}/v1/executions/${executionId}/tools/${waiting.pendingToolCall.callId}/approve`;
      expect((await fetch(approve, { method: 'POST', headers })).status).toBe(200);
      await waitFor('the execution to complete', async () => {
        const body = await (await fetch(`${stack.apiUrl}/v1/executions/${executionId}`, { headers })).json();
        return body.status === 'completed' ? body : undefined;
      });
      const events = await (await fetch(`${stack.apiUrl}/v1/executions/${executionId}/events?limit=500`, { headers })).json();
      const types = events.items.map((e: any) => e.type);
      expect(types.filter((t: string) => /^(run|tool)\./.test(t))).toEqual([
        'run.created',
        'run.prepared',
        'run.started',
        ...Array(2).fill(['tool.call_started', 'tool.call_completed']).flat(),
        'tool.permission_requested',
        'tool.approved',
        'tool.call_started',
        'tool.call_completed',
        'run.completed',
      ]);
      await live.until((streamed) => streamed.length >= events.items.length);
      expect(live.events).toEqual(events.items);
      live.close();
      expect(fs.readFileSync(path.join(dataDir, 'workspaces', executionId, 'NOTES.md'), 'utf8')).toBe('# Notes\n\n- Say hello\n');

      // The Temporal UI serves the workflow (through its own HTTP API; visibility lags a moment).
      const query = encodeURIComponent(`WorkflowId="execution-${executionId}"`);
      await waitFor('the Temporal UI to list the workflow, its run completed', async () => {
        const ui: any = await (await fetch(`${stack.uiUrl}/api/v1/namespaces/default/workflows?query=${query}`)).json();
        return JSON.stringify(ui.executions?.[0]?.searchAttributes ?? {}).includes('AgentExecutionStatus') &&
          ui.executions[0].status === 'WORKFLOW_EXECUTION_STATUS_RUNNING'
          ? true
          : undefined;
      });
    } finally {
      const tookMs = await stop(stack, () => stack.child.kill('SIGTERM'));
      expect(tookMs).toBeLessThan(10_000);
    }
    expect(stack.output()).toContain('[dev] stopped');
    await expectNothingLeft();
  }, 120_000); // a whole stack starts (Temporal dev server, bundling) and a demo run completes

  it('restarts on the same data with nothing lost, and stops on Ctrl-C (SIGINT to the group)', async () => {
    const stack = await startDevStack(env);
    try {
      const headers = { authorization: `Bearer ${stack.token}` };
      const body = await (await fetch(`${stack.apiUrl}/v1/executions/${executionId}`, { headers })).json();
      expect(body.status).toBe('completed');
    } finally {
      const tookMs = await stop(stack, () => process.kill(-stack.child.pid!, 'SIGINT'));
      expect(tookMs).toBeLessThan(10_000);
    }
    await expectNothingLeft();
  }, 120_000); // a whole stack starts (Temporal dev server, bundling) and a demo run completes
});
