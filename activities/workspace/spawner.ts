import { type ChildProcess, fork, type Serializable } from 'node:child_process';
import path from 'node:path';

/**
 * The worker starts its commands through one small helper process (spawner-process.ts): a spawn from
 * a process of 300 to 750 MiB costs 8 to 16 ms of CPU on its event loop, from the helper about 1.5 ms.
 * The helper starts on first use; if it dies, the commands it had under way fail (their activities
 * retry) and the next command starts a new one.
 */

export interface SpawnOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** In a process group (and session) of its own, so that all it starts can be signalled at once. */
  detached?: boolean;
  /** Each chunk of output, as it arrives: stream 1 is stdout, 2 stderr. */
  onData: (stream: 1 | 2, chunk: Buffer) => void;
}

export interface SpawnedProcess {
  pid: number;
  /** Resolves when the process has exited, or when the helper was lost (`helperLost` says so: the process may still run). */
  exited: Promise<Exit>;
  /** Resolves when its output pipes have closed too (all output has been passed to onData), or the helper was lost. */
  closed: Promise<void>;
  /** Why the helper was lost while this process ran (its output may be incomplete), if it was. */
  helperLost(): string | undefined;
  kill(signal?: NodeJS.Signals): void;
  /** Stops reading its output (a process it left behind may hold the pipes open). */
  destroyPipes(): void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  helperLost?: string;
}

interface Pending {
  started: (pid: number) => void;
  failed: (err: Error) => void;
  onData: SpawnOptions['onData'];
  exit: (result: Exit) => void;
  close: () => void;
  lost?: string;
}

type Message =
  | { type: 'spawned'; id: number; pid: number }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'data'; id: number; stream: 1 | 2; chunk: Uint8Array }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'close'; id: number };

const HELPER_PATH = path.join(import.meta.dirname, 'spawner-process.ts');

/** One helper process and the commands it has under way: a lost helper fails only its own. */
interface Helper {
  child: ChildProcess;
  pending: Map<number, Pending>;
  lost?: string;
}

let current: Helper | undefined;
let nextId = 1;

/** Starts `file args` through the helper; rejects as spawn's 'error' event would (ENOENT...). */
export function spawnThroughHelper(file: string, args: string[], options: SpawnOptions): Promise<SpawnedProcess> {
  const id = nextId++;
  const helper = currentHelper();
  return new Promise<SpawnedProcess>((resolve, reject) => {
    let exit!: Pending['exit'];
    let close!: Pending['close'];
    const exited = new Promise<Exit>((r) => {
      exit = r;
    });
    const closed = new Promise<void>((r) => {
      close = r;
    });
    const entry: Pending = {
      started: (pid) =>
        resolve({
          pid,
          exited,
          closed,
          helperLost: () => entry.lost,
          kill: (signal = 'SIGTERM') => tell(helper, { type: 'kill', id, signal }),
          destroyPipes: () => tell(helper, { type: 'destroy-pipes', id }),
        }),
      failed: reject,
      onData: options.onData,
      exit,
      close,
    };
    helper.pending.set(id, entry);
    // The helper keeps the event loop alive only while it has work: an idle worker or script may exit.
    refWhileBusy(helper);
    tell(helper, {
      type: 'spawn',
      id,
      file,
      args,
      cwd: options.cwd ?? process.cwd(),
      env: definedOnly(options.env),
      detached: options.detached ?? false,
    });
  });
}

/** Sends a request; one that cannot be sent (the helper is going) fails with the helper, not here. */
function tell(helper: Helper, message: Serializable) {
  if (!helper.child.connected) return;
  helper.child.send(message, (err) => err && lose(helper, `could not be reached (${err.message})`));
}

function currentHelper(): Helper {
  if (current && !current.lost && current.child.connected) return current;
  const child = fork(HELPER_PATH, [], {
    execArgv: [],
    // Its own session: a Ctrl-C meant for the worker must not take the helper down before the worker has drained.
    detached: true,
    // Nothing of the worker's environment: each command is given its own.
    env: { PATH: process.env.PATH ?? '' },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const helper: Helper = { child, pending: new Map() };
  child.on('message', (message: Message) => onMessage(helper, message));
  child.on('exit', (code, signal) => lose(helper, `exited (${signal ?? code})`));
  // Not `once`: a failed send is an 'error' too, and one with no listener would crash the worker.
  child.on('error', (err) => lose(helper, `failed: ${err.message}`));
  child.unref();
  current = helper;
  return helper;
}

/** The helper is gone (or going): each command it had under way fails, once; the next command starts another helper. */
function lose(helper: Helper, why: string) {
  if (helper.lost) return;
  helper.lost = `the worker's process helper ${why}; the command's outcome is unknown`;
  if (current === helper) current = undefined;
  for (const entry of helper.pending.values()) {
    entry.lost = helper.lost;
    entry.failed(new Error(helper.lost));
    entry.exit({ code: null, signal: null, helperLost: helper.lost });
    entry.close();
  }
  helper.pending.clear();
  unrefWhenIdle(helper);
  helper.child.kill('SIGKILL');
}

function onMessage(helper: Helper, message: Message) {
  const entry = helper.pending.get(message.id);
  if (!entry) return;
  switch (message.type) {
    case 'spawned':
      entry.started(message.pid);
      return;
    case 'error': {
      helper.pending.delete(message.id);
      const err: NodeJS.ErrnoException = new Error(message.message);
      if (message.code) err.code = message.code;
      entry.failed(err);
      break;
    }
    case 'data':
      entry.onData(message.stream, Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
      return;
    case 'exit':
      entry.exit({ code: message.code, signal: message.signal });
      return;
    case 'close':
      helper.pending.delete(message.id);
      entry.close();
      break;
  }
  if (helper.pending.size === 0) unrefWhenIdle(helper);
}

function refWhileBusy(helper: Helper) {
  helper.child.ref();
  (helper.child.channel as { ref?: () => void } | undefined)?.ref?.();
}

function unrefWhenIdle(helper: Helper) {
  helper.child.unref();
  (helper.child.channel as { unref?: () => void } | undefined)?.unref?.();
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export interface ExecOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** More stdout or stderr than this many bytes stops the command and fails. */
  maxBuffer: number;
  /** Aborting stops the command (SIGTERM) and rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Like `execFile`: runs the command to its end and resolves with its stdout (UTF-8); a non-zero exit
 * rejects with `Command failed: <command>` and its stderr, as execFile's error says it.
 */
export async function execFileThroughHelper(file: string, args: string[], options: ExecOptions): Promise<string> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const output: Record<1 | 2, Buffer[]> = { 1: [], 2: [] };
  const size = { 1: 0, 2: 0 };
  let tooLarge = false;
  // Output may arrive before the spawn's promise has resolved: `started` is set once it has.
  let started: SpawnedProcess | undefined;
  const child = await spawnThroughHelper(file, args, {
    cwd: options.cwd,
    env: options.env,
    onData: (stream, chunk) => {
      size[stream] += chunk.length;
      if (size[stream] <= options.maxBuffer) output[stream].push(chunk);
      else if (!tooLarge) {
        tooLarge = true;
        started?.kill('SIGTERM');
      }
    },
  });
  started = child;
  if (tooLarge) child.kill('SIGTERM');
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while it was being started: the listener came too late to hear it.
  if (signal?.aborted) onAbort();
  try {
    const [{ code, signal: exitSignal }] = await Promise.all([child.exited, child.closed]);
    if (signal?.aborted) throw abortError(signal);
    // Lost after the exit, the output may be cut short: never a success.
    const lost = child.helperLost();
    if (lost) throw new Error(lost);
    const text = (stream: 1 | 2) => Buffer.concat(output[stream]).toString('utf8');
    const command = [file, ...args].join(' ');
    if (tooLarge)
      throw Object.assign(new Error(`${command}: output passed ${options.maxBuffer} bytes`), { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    if (code !== 0) {
      throw Object.assign(new Error(`Command failed: ${command}\n${text(2)}`), {
        code: code ?? undefined,
        signal: exitSignal,
        stdout: text(1),
        stderr: text(2),
      });
    }
    return text(1);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export function abortError(signal: AbortSignal): Error {
  const error = new Error('the command was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
