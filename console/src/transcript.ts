// Builds what the Messages tab shows from an execution's audit events: per run, the person's message,
// then per model step its thinking, its text (as it streams) and its tool calls with their results.

export interface ToolCallView {
  callId: string;
  tool: string;
  input: unknown;
  status: 'running' | 'waiting' | 'completed' | 'denied';
  output?: string;
  isError?: boolean;
  change?: { path: string; added: number; removed: number };
}

export interface StepView {
  step: number;
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
    const stepOf = (number: number) => {
      let step = run!.steps.find((s) => s.step === number);
      if (!step) {
        step = { step: number, reasoning: '', text: '', toolCalls: [] };
        run!.steps.push(step);
      }
      return step;
    };
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
      case 'tool.call_started': {
        const call: ToolCallView = { callId: payload.callId, tool: payload.tool, input: payload.input, status: 'running' };
        calls.set(call.callId, call);
        stepOf(Number(payload.step ?? run.steps.at(-1)?.step ?? 1)).toolCalls.push(call);
        break;
      }
      case 'tool.permission_requested':
        if (calls.get(payload.callId)) calls.get(payload.callId)!.status = 'waiting';
        break;
      case 'tool.approved':
        if (calls.get(payload.callId)) calls.get(payload.callId)!.status = 'running';
        break;
      case 'tool.denied':
        if (calls.get(payload.callId)) calls.get(payload.callId)!.status = 'denied';
        break;
      case 'tool.call_completed': {
        const call = calls.get(payload.callId);
        if (call) Object.assign(call, { status: 'completed', output: payload.output, isError: payload.isError, change: payload.change });
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
        break;
    }
  }
  return [...runs.values()];
}
