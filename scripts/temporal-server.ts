import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes.ts';
import { findTemporalCli, installTemporalCliWithGo } from './temporal-cli.ts';
import { toolsDir } from './tools-dir.ts';

export interface DevServerOptions {
  port: number;
  /** Serve the Temporal UI on this port; headless when absent. */
  uiPort?: number;
  /** SQLite file that keeps the server's state across restarts; in memory when absent. */
  dbFile?: string;
  /** Where the server's own output goes; kept in memory (for error messages) when absent. */
  logFile?: string;
  namespace?: string;
  /** Server dynamic config values, e.g. a low continue-as-new threshold for a test. */
  dynamicConfig?: Record<string, unknown>;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  /** The server's process id, when it is our child process. */
  pid: number | undefined;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Starts the real Temporal dev server (`temporal server start-dev`) with agent-runs' search
 * attributes registered. The CLI comes from PATH or the tools cache, else is built with Go, else
 * (online machines) is downloaded by @temporalio/testing.
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const cli = findTemporalCli() ?? installTemporalCliWithGo();
  if (!cli) return startDownloadedServer(options, namespace);

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', namespace];
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const key of SEARCH_ATTRIBUTE_KEYS) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  args.push('--log-level', 'warn');

  // Its own process group: a Ctrl-C in the terminal reaches our process, which stops the worker
  // first and the server last, instead of the server dying under a draining worker.
  const child = spawn(cli, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child, options.logFile);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const address = `127.0.0.1:${options.port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
  };
  try {
    await waitUntilServing(address, namespace, child);
  } catch (err) {
    await stop();
    throw new Error(`the Temporal dev server did not start: ${(err as Error).message}\n${output.tail()}`);
  }
  const uiUrl = options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined;
  return { address, uiUrl, pid: child.pid, stop };
}

async function startDownloadedServer(options: DevServerOptions, namespace: string): Promise<DevServer> {
  console.error('[temporal] no Temporal CLI and no Go: downloading the dev server through @temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', downloadDir: toolsDir() },
      ip: '127.0.0.1',
      port: options.port,
      ui: Boolean(options.uiPort),
      uiPort: options.uiPort,
      dbFilename: options.dbFile,
      namespace,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
    },
  });
  const uiUrl = options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined;
  return { address: env.address, uiUrl, pid: undefined, stop: () => env.teardown() };
}

/** Polls until the frontend answers for the namespace; fails fast if the process exits. */
async function waitUntilServing(address: string, namespace: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited with ${child.exitCode ?? child.signalCode}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`no answer on ${address} within ${STARTUP_TIMEOUT_MS / 1000} s: ${(lastError as Error)?.message}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Sends the server's output to a log file, or keeps its last lines for error messages. */
function captureOutput(child: ChildProcess, logFile: string | undefined) {
  const lines: string[] = [];
  const file = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  const onData = (chunk: Buffer) => {
    file?.write(chunk);
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => file?.end());
  return { tail: () => lines.join('\n') };
}
