import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeOpenAIServer, type FakeResponse, startFakeOpenAIServer } from '../helpers/fake-openai-server.ts';
import { mulberry32 } from '../helpers/seeded-random.ts';
import { spawnWorkerProcess } from '../helpers/spawn-worker.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Side-effecting commands each run makes: each appends its number to effects.log, then takes a moment. */
const COMMANDS = 3;

// The model decides from the conversation alone (how many tool results it has seen), so a retried
// step asks for the same command: each run makes COMMANDS run_command calls, then answers.
function chaosModel(body: Record<string, any>): FakeResponse {
  const done = (body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
  if (done >= COMMANDS) return { text: `Ran ${COMMANDS} commands.` };
  return { toolCall: { name: 'run_command', arguments: { command: `echo ${done + 1} >> effects.log; sleep 1.5` } } };
}

// Workers killed with SIGKILL while runs call tools with side effects. Nothing is lost or doubled:
// every run ends with exactly one terminal event, no event is stored twice, and no command's effect
// happens twice (a command whose worker died while it ran is not run again; the model is told).
describe('worker crashes during side effects', () => {
  let stack: TestStack;
  let fake: FakeOpenAIServer;
  let worker: ChildProcess | undefined;
  const spawnWorker = () => {
    killWorker(); // one worker at a time: none is left behind
    worker = spawnWorkerProcess({
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
      taskQueue: stack.taskQueue,
      dataDir: stack.dataDir,
      workflowBundlePath: inject('workflowBundlePath'),
      env: { OPENAI_COMPATIBLE_BASE_URL: `${fake.baseURL}/v1` },
    });
  };
  const killWorker = () => {
    worker?.kill('SIGKILL');
    worker = undefined;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAIServer(chaosModel);
    process.env.OPENAI_COMPATIBLE_BASE_URL = `${fake.baseURL}/v1`;
    stack = await startTestStack({ startWorker: false });
  });
  afterAll(async () => {
    killWorker();
    await stack?.close();
    await fake?.close();
  });

  const start = (projectId: string) =>
    stack.createExecution({ projectId, prompt: 'run the commands', planMode: 'never', model: { provider: 'openai-compatible', model: 'chaos' } });
  const effects = (id: string) => {
    const file = path.join(stack.dataDir, 'workspaces', id, 'effects.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  /** The run's invariants; returns its tool outputs. */
  const checkRun = async (id: string) => {
    const events = await stack.events(id);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.filter((e) => ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type)).map((e) => e.type)).toEqual(['run.completed']);
    const completed = events.filter((e) => e.type === 'tool.call_completed');
    expect(new Set(completed.map((e) => e.payload.callId)).size).toBe(COMMANDS);
    const lines = effects(id);
    expect(new Set(lines).size).toBe(lines.length); // no effect twice
    // A command missing from the log is one whose worker died before it ran; the model was told.
    for (const call of completed) {
      if (call.payload.interrupted) expect(call.payload.output).toContain('may have run');
    }
    expect(lines.length + completed.filter((e) => e.payload.interrupted).length).toBeGreaterThanOrEqual(COMMANDS);
    return completed;
  };

  it('a command whose worker is killed while it runs is not run again, and the model hears it may have run', async () => {
    spawnWorker();
    const id = await start('chaos-one');
    await waitFor(
      'the first command to start',
      async () => ((await stack.events(id)).some((e) => e.type === 'tool.call_started') ? true : undefined),
      60_000,
    );
    await waitFor('its effect', async () => (effects(id).length === 1 ? true : undefined));
    killWorker();
    spawnWorker();
    const done = await stack.waitForExecution(id, 'to complete after the crash', (body) => body.status === 'completed', 90_000);
    expect(done.runs).toHaveLength(1);
    const completed = await checkRun(id);
    expect(effects(id)).toEqual(['1', '2', '3']);
    expect(completed[0].payload).toMatchObject({ interrupted: true, isError: true });
    killWorker();
  }, 120_000);

  it('survives repeated kills with no event lost or doubled and no effect twice', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? 20261202);
    const next = mulberry32(seed);
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((name) => start(`chaos-${name}`)));
    let kills = 0;
    const started = async () => {
      let count = 0;
      for (const id of ids) count += (await stack.events(id)).filter((e) => e.type === 'tool.call_started').length;
      return count;
    };
    const allDone = async () => {
      for (const id of ids) if ((await (await stack.api(`/v1/executions/${id}`)).json()).status !== 'completed') return false;
      return true;
    };
    for (let i = 0; i < 4; i++) {
      const before = await started();
      spawnWorker();
      // Let the new worker pick work up, then kill it at a random moment while commands run.
      await waitFor('a command to start on this worker', async () => ((await started()) > before || (await allDone()) ? true : undefined), 60_000);
      if (await allDone()) break;
      await sleep(500 + next() * 3000);
      killWorker();
      kills++;
    }
    spawnWorker();
    for (const id of ids) await stack.waitForExecution(id, 'to complete', (body) => body.status === 'completed', 120_000);
    let interrupted = 0;
    for (const id of ids) interrupted += (await checkRun(id)).filter((e) => e.payload.interrupted).length;
    console.log(
      `[chaos] seed ${seed}: ${kills} kills survived, ${ids.length} runs, ${interrupted} interrupted commands reported, 0 events lost or doubled`,
    );
    killWorker();
  }, 300_000);
});
