import { capText } from '../../common/cap-text.ts';
import type { CommandResult, FileChange, Workspace } from '../workspace/driver.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS, isToolName, type ToolInput, type ToolName, toolInputSchemas } from './definitions.ts';
import { ToolError } from './tool-error.ts';

/** Most characters a tool result may send back to the model. */
export const TOOL_OUTPUT_LIMIT = 32_000;

export interface ToolOutcome {
  /** What the model sees as the tool's result. */
  output: string;
  /** The tool could not do what was asked (bad input, missing file...); the model should correct itself. */
  isError: boolean;
  /** The file a write_file or edit_file changed. */
  change?: FileChange;
}

export interface ExecuteToolOptions {
  /** Aborts a running command; executeTool then rejects with an error named 'AbortError'. */
  signal?: AbortSignal;
}

/**
 * Runs one tool call from the model in the workspace. Mistakes the model can fix (malformed input,
 * unknown tool, a `ToolError`) come back as `isError` outcomes, never as throws; an abort and
 * internal errors are thrown. `propose_plan` is the workflow's business and is refused here.
 */
export async function executeTool(workspace: Workspace, toolName: string, rawInput: unknown, options: ExecuteToolOptions = {}): Promise<ToolOutcome> {
  if (!isToolName(toolName)) return failure(`unknown tool "${toolName}"`);
  const parsed = toolInputSchemas[toolName].safeParse(rawInput);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
    return failure(`invalid input for ${toolName}: ${problems.join('; ')}`);
  }
  // The schema of the same name has just parsed the input, so it fits that tool's handler.
  const handler = handlers[toolName] as (w: Workspace, input: unknown, o: ExecuteToolOptions) => Promise<ToolOutcome>;
  try {
    return await handler(workspace, parsed.data, options);
  } catch (err) {
    if (err instanceof ToolError) return failure(err.message);
    throw err;
  }
}

type Handler<Name extends ToolName> = (workspace: Workspace, input: ToolInput<Name>, options: ExecuteToolOptions) => Promise<ToolOutcome>;

const handlers: { [Name in ToolName]: Handler<Name> } = {
  async read_file(workspace, { path }) {
    const content = await workspace.readFile(path);
    return success(content === '' ? `(${path} is empty)` : content);
  },
  async write_file(workspace, { path, content }) {
    const { created, ...change } = await workspace.writeFile(path, content);
    return describeChange(created ? 'Created' : 'Wrote', change);
  },
  async edit_file(workspace, { path, oldText, newText }) {
    return describeChange('Edited', await workspace.editFile(path, oldText, newText));
  },
  async list_files(workspace, { pattern }) {
    const files = await workspace.listFiles(pattern);
    return success(files.length > 0 ? files.join('\n') : `No files match "${pattern}".`);
  },
  async search(workspace, { pattern, path }) {
    const found = await workspace.search(pattern, path);
    return success(found !== '' ? found : `No matches for /${pattern}/${path ? ` in ${path}` : ''}.`);
  },
  async run_command(workspace, { command, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS }, { signal }) {
    const result = await workspace.runCommand(command, { timeoutMs, signal });
    return success(describeCommandResult(result, timeoutMs));
  },
  async propose_plan() {
    return failure('propose_plan is handled by the run itself, not executed as a workspace tool');
  },
};

function describeChange(verb: string, change: FileChange): ToolOutcome {
  const summary = `${verb} ${change.path} (+${change.added}/-${change.removed})`;
  return { ...success(change.diff === '' ? `${summary}; no changes` : `${summary}\n\n${change.diff}`), change };
}

function describeCommandResult(result: CommandResult, timeoutMs: number): string {
  const status = result.timedOut
    ? `Timed out after ${timeoutMs} ms: the command was stopped.`
    : result.exitCode !== null
      ? `Exit code: ${result.exitCode}`
      : `Killed by signal ${result.signal}`;
  const note = result.truncated ? ' (only the end of the output was kept)' : '';
  const output = result.output === '' ? '(no output)' : capText(result.output, TOOL_OUTPUT_LIMIT - 200, 'tail');
  return `${status}\nOutput${note}:\n${output}`;
}

function success(output: string): ToolOutcome {
  return { output: capText(output, TOOL_OUTPUT_LIMIT), isError: false };
}

function failure(message: string): ToolOutcome {
  return { output: capText(message, TOOL_OUTPUT_LIMIT), isError: true };
}
