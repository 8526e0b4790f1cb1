import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  APICallError,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4Content,
  type LanguageModelV4FinishReason,
  type LanguageModelV4Prompt,
  type LanguageModelV4StreamPart,
  type LanguageModelV4ToolResultOutput,
  type LanguageModelV4Usage,
} from '@ai-sdk/provider';
import type { DemoModelId } from '../../common/models.ts';

/**
 * The offline demo models, as real AI SDK language models: deterministic, no network. Each call
 * decides one action from the prompt alone (system message, conversation, this run's earlier tool
 * calls and results), so it behaves the same on a retry, after a crash, or replayed:
 *
 * - plan phase (`propose_plan` is declared): propose plan version N, quoting the request and the
 *   latest revision feedback;
 * - work phase: list the files, read AGENTS.md when the system prompt has that section, record the
 *   request in NOTES.md (read + edit when it exists, else write), `wc -l NOTES.md`, then answer.
 *   A denied tool is skipped; anything unexpected ends with the answer, so it never loops.
 *
 * `demo-slow` waits 3 s before each step; `demo-fail` fails its first work step with a 400.
 */
export function createDemoModel(modelId: DemoModelId): LanguageModelV4 {
  async function nextStep(options: LanguageModelV4CallOptions): Promise<DemoStep> {
    if (modelId === 'demo-slow') await delay(SLOW_STEP_MS, undefined, { signal: options.abortSignal }); // rejects with an AbortError
    const prompt = readPrompt(options);
    if (modelId === 'demo-fail' && prompt.phase === 'work' && prompt.workCalls.length === 0 && !prompt.answered) {
      throw new APICallError({
        message: 'demo-fail fails at its first step by design',
        url: 'demo://demo-fail',
        requestBodyValues: {},
        statusCode: 400,
        isRetryable: false,
      });
    }
    return decide(prompt, modelId);
  }

  return {
    specificationVersion: 'v4',
    provider: 'demo',
    modelId,
    supportedUrls: {},

    async doGenerate(options) {
      const step = await nextStep(options);
      const content: LanguageModelV4Content[] = [{ type: 'reasoning', text: step.reasoning }];
      if (step.toolCall) content.push({ type: 'tool-call', ...step.toolCall });
      else content.push({ type: 'text', text: step.text });
      return { content, finishReason: step.finishReason, usage: step.usage, warnings: [] };
    },

    async doStream(options) {
      const step = await nextStep(options);
      return { stream: streamOf(step) };
    },
  };
}

const SLOW_STEP_MS = 3000;
/** More work calls than the five actions can make means something is off: answer instead. */
const MAX_WORK_CALLS = 8;
const LIST_PATTERN = '**/*';
const NOTES = 'NOTES.md';
const CHECK_COMMAND = `wc -l ${NOTES}`;

/** One step's output: a thought, then either one tool call or the final text. */
interface DemoStep {
  reasoning: string;
  toolCall?: { toolCallId: string; toolName: string; input: string };
  text: string;
  finishReason: LanguageModelV4FinishReason;
  usage: LanguageModelV4Usage;
}

interface ToolResult {
  text: string;
  denied: boolean;
  failed: boolean;
}

interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  result?: ToolResult;
}

/** What the demo model reads from a prompt. */
interface PromptReading {
  phase: 'plan' | 'work';
  system: string;
  users: string[];
  declared: Set<string>;
  /** propose_plan calls since the latest user message. */
  planCalls: ToolCall[];
  /** Other tool calls since the latest user message and the last propose_plan call. */
  workCalls: ToolCall[];
  /** An assistant answered in text (no tool call) since then. */
  answered: boolean;
  /** For deterministic ids and token counts. */
  hash: string;
  inputChars: number;
}

function readPrompt(options: LanguageModelV4CallOptions): PromptReading {
  const prompt: LanguageModelV4Prompt = options.prompt;
  const system = prompt.flatMap((m) => (m.role === 'system' ? [m.content] : [])).join('\n');
  const users: string[] = [];
  let since: { calls: ToolCall[]; answered: boolean } = { calls: [], answered: false };
  const byId = new Map<string, ToolCall>();
  let inputChars = system.length;

  for (const message of prompt) {
    if (message.role === 'user') {
      const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
      users.push(text);
      inputChars += text.length;
      since = { calls: [], answered: false };
    } else if (message.role === 'assistant') {
      let called = false;
      for (const part of message.content) {
        if (part.type === 'text' || part.type === 'reasoning') inputChars += part.text.length;
        if (part.type === 'tool-call') {
          const call: ToolCall = { name: part.toolName, input: asRecord(part.input) };
          byId.set(part.toolCallId, call);
          since.calls.push(call);
          called = true;
          inputChars += part.toolName.length + JSON.stringify(part.input ?? {}).length;
        }
        if (part.type === 'tool-result') attachResult(byId, part.toolCallId, part.output);
      }
      if (!called && message.content.some((part) => part.type === 'text' && part.text.trim())) since.answered = true;
    } else if (message.role === 'tool') {
      for (const part of message.content) {
        if (part.type !== 'tool-result') continue;
        inputChars += attachResult(byId, part.toolCallId, part.output).text.length;
      }
    }
  }

  const declared = new Set((options.tools ?? []).map((tool) => tool.name));
  const lastPlan = since.calls.findLastIndex((call) => call.name === 'propose_plan');
  const planCalls = since.calls.filter((call) => call.name === 'propose_plan');
  const approved = /^Plan approved/.test(planCalls.at(-1)?.result?.text ?? '');
  return {
    phase: declared.has('propose_plan') && !approved ? 'plan' : 'work',
    system,
    users,
    declared,
    planCalls,
    workCalls: since.calls.slice(lastPlan + 1),
    answered: since.answered,
    hash: createHash('sha256').update(JSON.stringify(prompt)).digest('hex').slice(0, 12),
    inputChars,
  };
}

function attachResult(byId: Map<string, ToolCall>, toolCallId: string, output: LanguageModelV4ToolResultOutput): ToolResult {
  const result = toolResult(output);
  const call = byId.get(toolCallId);
  if (call) call.result = result;
  return result;
}

/** The text of a tool result, and whether it was denied (starts with "Denied") or failed. */
function toolResult(output: LanguageModelV4ToolResultOutput): ToolResult {
  let text: string;
  switch (output.type) {
    case 'text':
    case 'error-text':
      text = output.value;
      break;
    case 'json':
    case 'error-json':
      text = typeof output.value === 'string' ? output.value : JSON.stringify(output.value);
      break;
    case 'execution-denied':
      return { text: `Denied${output.reason ? `: ${output.reason}` : ''}`, denied: true, failed: false };
    case 'content':
      text = output.value.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
      break;
  }
  const denied = /^Denied/.test(text);
  return { text, denied, failed: !denied && (output.type === 'error-text' || output.type === 'error-json') };
}

/** The file's content from a read_file result: the text itself, or a JSON result's `content`. */
function fileContent(result: ToolResult): string {
  try {
    const parsed: unknown = JSON.parse(result.text);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { content?: unknown }).content === 'string') {
      return (parsed as { content: string }).content;
    }
  } catch {
    // plain text: the content itself
  }
  return result.text;
}

type Action = { reasoning: string; tool: string; input: Record<string, unknown> } | { reasoning: string; tool?: undefined };

function decide(prompt: PromptReading, modelId: string): DemoStep {
  const action = prompt.phase === 'plan' ? planAction(prompt) : workAction(prompt);
  const text = action.tool === undefined ? finalAnswer(prompt) : '';
  const toolCall =
    action.tool === undefined
      ? undefined
      : { toolCallId: `demo-${prompt.hash}-${modelId}`, toolName: action.tool, input: JSON.stringify(action.input) };
  const textTokens = tokens(text.length + (toolCall ? toolCall.toolName.length + toolCall.input.length : 0));
  const reasoningTokens = tokens(action.reasoning.length);
  const inputTokens = tokens(prompt.inputChars);
  return {
    reasoning: action.reasoning,
    toolCall,
    text,
    finishReason: toolCall ? { unified: 'tool-calls', raw: 'tool_calls' } : { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: textTokens + reasoningTokens, text: textTokens, reasoning: reasoningTokens },
    },
  };
}

/** Roughly four characters a token, like English text. */
const tokens = (chars: number) => Math.ceil(chars / 4);

function planAction(prompt: PromptReading): Action {
  const version = prompt.planCalls.length + 1;
  const lastResult = prompt.planCalls.at(-1)?.result?.text ?? '';
  const feedback = /^Revise the plan:/.test(lastResult) ? lastResult.replace(/^Revise the plan:/, '').trim() : undefined;
  const hasAgentsMd = agentsMdSection(prompt.system);
  const steps = [
    'List the files of the workspace.',
    ...(hasAgentsMd ? ['Read AGENTS.md for the project’s rules.'] : []),
    `Record the request in ${NOTES}.`,
    `Check the result with \`${CHECK_COMMAND}\`.`,
    'Report what was done.',
  ];
  const plan = [
    `## Plan (version ${version})`,
    '',
    `Request: "${excerpt(latestRequest(prompt))}"`,
    '',
    ...steps.map((step, i) => `${i + 1}. ${step}`),
    ...(feedback !== undefined ? ['', `Revised after feedback: "${excerpt(feedback)}"`] : []),
  ].join('\n');
  return {
    reasoning: feedback !== undefined ? `Revising the plan as asked: ${excerpt(feedback)}` : 'Drafting a plan for the request.',
    tool: 'propose_plan',
    input: { plan },
  };
}

function workAction(prompt: PromptReading): Action {
  const { workCalls, declared } = prompt;
  const answer: Action = { reasoning: 'Everything is done; answering.' };
  if (prompt.answered || workCalls.length >= MAX_WORK_CALLS || workCalls.some((call) => call.result?.failed)) return answer;

  const made = (tool: string, path?: string) => workCalls.find((call) => call.name === tool && (path === undefined || call.input.path === path));
  const usable = (tool: string) => declared.has(tool);
  const request = excerpt(latestRequest(prompt));

  const listed = made('list_files');
  if (!listed && usable('list_files')) {
    return { reasoning: 'First, what does the workspace hold?', tool: 'list_files', input: { pattern: LIST_PATTERN } };
  }
  if (agentsMdSection(prompt.system) && !made('read_file', 'AGENTS.md') && usable('read_file')) {
    return { reasoning: 'The project has an AGENTS.md; reading its rules.', tool: 'read_file', input: { path: 'AGENTS.md' } };
  }

  const notesExist = listed?.result !== undefined && !listed.result.denied && notesListed(listed.result.text);
  if (notesExist) {
    const read = made('read_file', NOTES);
    if (!read && usable('read_file')) {
      return { reasoning: `${NOTES} exists; reading it before changing it.`, tool: 'read_file', input: { path: NOTES } };
    }
    const content = read?.result && !read.result.denied ? fileContent(read.result) : undefined;
    const changed = made('edit_file', NOTES) || made('write_file', NOTES);
    if (content !== undefined && !changed) {
      if (content.trim() && usable('edit_file')) {
        const separator = content.endsWith('\n') ? '' : '\n';
        return {
          reasoning: `Appending the request to ${NOTES}.`,
          tool: 'edit_file',
          input: { path: NOTES, oldText: content, newText: `${content}${separator}- ${request}\n` },
        };
      }
      if (!content.trim() && usable('write_file')) {
        return { reasoning: `${NOTES} is empty; writing it.`, tool: 'write_file', input: { path: NOTES, content: notesFile(request) } };
      }
    }
  } else if (!made('write_file', NOTES) && usable('write_file')) {
    return { reasoning: `Creating ${NOTES} with the request.`, tool: 'write_file', input: { path: NOTES, content: notesFile(request) } };
  }

  if (!made('run_command') && usable('run_command')) {
    return { reasoning: `Checking ${NOTES}.`, tool: 'run_command', input: { command: CHECK_COMMAND } };
  }
  return answer;
}

function finalAnswer(prompt: PromptReading): string {
  const earlier = prompt.users.length - 1;
  const context = earlier > 0 ? ` Context: ${earlier} earlier turn(s), starting with "${excerpt(prompt.users[0] ?? '')}".` : '';
  return `Done: "${excerpt(latestRequest(prompt))}".${context}`;
}

const latestRequest = (prompt: PromptReading) => prompt.users.at(-1) ?? '';
const agentsMdSection = (system: string) => /^## AGENTS\.md$/m.test(system);
const notesFile = (request: string) => `# Notes\n\n- ${request}\n`;
/** NOTES.md at the workspace root in a listing ("NOTES.md" or "./NOTES.md", not "docs/NOTES.md"). */
const notesListed = (listing: string) => /(?<![\w./-])(?:\.\/)?NOTES\.md(?![\w./-])/.test(listing);

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return asRecord(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The step as stream parts: the thought, then the tool call or the text in a few deltas, then finish. */
function streamOf(step: DemoStep): ReadableStream<LanguageModelV4StreamPart> {
  const parts: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'reasoning-start', id: 'reasoning-1' },
    { type: 'reasoning-delta', id: 'reasoning-1', delta: step.reasoning },
    { type: 'reasoning-end', id: 'reasoning-1' },
  ];
  if (step.toolCall) {
    parts.push({ type: 'tool-call', ...step.toolCall });
  } else {
    parts.push({ type: 'text-start', id: 'text-1' });
    for (const delta of textChunks(step.text)) parts.push({ type: 'text-delta', id: 'text-1', delta });
    parts.push({ type: 'text-end', id: 'text-1' });
  }
  parts.push({ type: 'finish', finishReason: step.finishReason, usage: step.usage });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

/** Splits text at word boundaries into chunks of about 16 characters, as a streaming model would. */
function textChunks(text: string): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const word of text.match(/\S+\s*/g) ?? []) {
    current += word;
    if (current.length >= 16) {
      chunks.push(current);
      current = '';
    }
  }
  if (current) chunks.push(current);
  return chunks;
}
