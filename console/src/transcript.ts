// Builds what the Messages tab shows from an execution's audit events: per run, the person's message,
// then per model step its thinking, its text (as it streams) and its tool calls with their results.

export interface ToolCallView {
  callId: string;
  tool: string;
  input: unknown;
  status: 'running' | 'waiting' | 'completed' | 'denied' | 'stopped';
  output?: string;
  isError?: boolean;
  truncated?: boolean;
  change?: { path: string; added: number; removed: number };
}

export interface StepView {
  step: number;
  /** The activity attempt whose output this is: a retried model step shows its newest attempt. */
  attempt: number;
  reasoning: string;
  text: string;
  toolCalls: ToolCallView[];
}

export interface RunTranscript {
  runId: string;
  runNumber: number | null;
  turnNumber: number | null;
  message?: string;
  steps: StepView[];
  plan?: { version: number; text: string };
  summary?: string;
  status?: string;
  /** Why the run failed or was stopped. */
  error?: string;
}

export function buildTranscript(events: any[], prompt: string): RunTranscript[] {
  const runs = new Map<string, RunTranscript>();
  const calls = new Map<string, ToolCallView>();
  for (const event of events) {
    if (!event.runId) continue;
    let run = runs.get(event.runId);
    if (!run) {
      run = { runId: event.runId, runNumber: event.runNumber, turnNumber: event.turnNumber, steps: [] };
      runs.set(event.runId, run);
    }
    const payload = event.payload ?? {};
    const attempt = Number(payload.activityAttempt ?? 1);
    const stepOf = (number: number) => {
      let step = run!.steps.find((s) => s.step === number);
      if (!step) {
        step = { step: number, attempt, reasoning: '', text: '', toolCalls: [] };
        run!.steps.push(step);
      } else if (attempt > step.attempt) {
        // Temporal retried the model step: its new attempt replaces what the earlier one streamed.
        Object.assign(step, { attempt, reasoning: '', text: '' });
      }
      return step;
    };
    /** A tool call's view, made by whichever of its events comes first (a held call's request comes before its start). */
    const callOf = (callId: string, step: number): ToolCallView => {
      let call = calls.get(callId);
      if (!call) {
        call = { callId, tool: String(payload.tool ?? ''), input: payload.input, status: 'running' };
        calls.set(callId, call);
        stepOf(step).toolCalls.push(call);
      }
      return call;
    };
    const stepNumber = Number(payload.step ?? run.steps.at(-1)?.step ?? 1);
    switch (event.type) {
      case 'run.created':
        run.message = typeof payload.message === 'string' ? payload.message : payload.index === 1 ? prompt : undefined;
        break;
      case 'model.text_delta':
        stepOf(Number(payload.step)).text += String(payload.text ?? '');
        break;
      case 'model.reasoning_delta':
        stepOf(Number(payload.step)).reasoning += String(payload.text ?? '');
        break;
      case 'tool.call_started':
        // A retried tool activity starts the same call again: one view, its newest input.
        Object.assign(callOf(payload.callId, stepNumber), { status: 'running', ...(payload.input !== undefined && { input: payload.input }) });
        break;
      case 'tool.permission_requested':
        callOf(payload.callId, stepNumber).status = 'waiting';
        break;
      case 'tool.approved':
        callOf(payload.callId, stepNumber).status = 'running';
        break;
      case 'tool.denied':
        callOf(payload.callId, stepNumber).status = 'denied';
        break;
      case 'tool.call_completed': {
        const call = calls.get(payload.callId);
        if (call)
          Object.assign(call, {
            status: 'completed',
            output: payload.output,
            isError: payload.isError,
            truncated: payload.truncated,
            change: payload.change,
          });
        break;
      }
      case 'plan.proposed':
        run.plan = { version: payload.version, text: payload.text };
        break;
      case 'run.completed':
        run.summary = payload.summary;
        run.status = 'completed';
        break;
      case 'run.failed':
      case 'run.cancelled':
        run.status = event.type.slice(4);
        run.error = payload.error?.message ?? (typeof payload.reason === 'string' ? payload.reason : undefined);
        // A call still waiting or under way when its run ended did not finish.
        for (const step of run.steps)
          for (const call of step.toolCalls) if (call.status === 'waiting' || call.status === 'running') call.status = 'stopped';
        break;
    }
  }
  return [...runs.values()];
}
