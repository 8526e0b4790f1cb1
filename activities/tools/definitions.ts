import { type ToolSet, tool } from 'ai';
import { z } from 'zod';

/** The tools an agent can call. Their inputs are checked again by `executeTool` before they run. */
export const TOOL_NAMES = ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command', 'propose_plan'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Tools that change nothing: the only ones offered while a plan is being made. */
export const READ_ONLY_TOOLS = ['read_file', 'list_files', 'search'] as const satisfies readonly ToolName[];

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
export const MAX_COMMAND_TIMEOUT_MS = 10 * 60_000;

const workspacePath = z.string().min(1).describe('Path relative to the workspace root, e.g. "src/index.ts"');

export const toolInputSchemas = {
  read_file: z.object({ path: workspacePath }),
  write_file: z.object({
    path: workspacePath,
    content: z.string().describe('The whole new content of the file'),
  }),
  edit_file: z.object({
    path: workspacePath,
    oldText: z.string().min(1).describe('Exact text to replace; must occur exactly once in the file'),
    newText: z.string().describe('Text to put in its place'),
  }),
  list_files: z.object({
    pattern: z.string().min(1).describe('Glob relative to the workspace root, e.g. "**/*.ts" or "src/*.json"'),
  }),
  search: z.object({
    pattern: z
      .string()
      .min(1)
      .describe(
        "Regular expression in RE2 syntax (like JavaScript's: \\d, \\w, [a-z], a|b, ^, $, (?i) for case-insensitive; no backreferences or lookaround), matched against each line",
      ),
    path: z.string().optional().describe('File or folder to search in, relative to the workspace root (default: all)'),
  }),
  run_command: z.object({
    command: z.string().min(1).describe('A bash command line, run in the workspace root'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(MAX_COMMAND_TIMEOUT_MS)
      .optional()
      .describe(`Timeout in milliseconds (default ${DEFAULT_COMMAND_TIMEOUT_MS}, at most ${MAX_COMMAND_TIMEOUT_MS})`),
  }),
  propose_plan: z.object({
    plan: z.string().min(1).describe('The plan, in Markdown: the steps you will take and the files you expect to change'),
  }),
} as const satisfies Record<ToolName, z.ZodType>;

export type ToolInput<Name extends ToolName> = z.infer<(typeof toolInputSchemas)[Name]>;

/** One line each, written for the model. */
export const toolDescriptions: Record<ToolName, string> = {
  read_file: 'Read a text file in the workspace and return its whole content.',
  write_file: 'Create a file, or replace a whole file, with the given content (parent folders are created); returns the diff.',
  edit_file:
    'Replace one exact occurrence of oldText with newText in a file; oldText must match exactly once, whitespace included, so include enough surrounding lines; returns the diff.',
  list_files:
    'List the files matching a glob pattern (e.g. "**/*.ts"), relative to the workspace root and sorted; .git and node_modules are skipped unless the pattern names node_modules.',
  search:
    'Search file contents with a regular expression in RE2 syntax (linear-time: no backreferences like \\1, no lookahead or lookbehind); returns "path:line: text" for matching lines with 2 lines of context ("path-line- text").',
  run_command:
    'Run a bash command in the workspace root (e.g. tests, builds, git); returns the exit code and the combined stdout/stderr (the last 64 KiB). Processes it leaves in the background are stopped when it ends.',
  propose_plan: 'Propose your plan for this task for a human to approve before you change anything.',
};

export function isToolName(value: unknown): value is ToolName {
  return typeof value === 'string' && (TOOL_NAMES as readonly string[]).includes(value);
}

/**
 * The named tools as the AI SDK declares them to a model, without `execute`: the model step only
 * receives tool calls, and our own activities run them (`executeTool`).
 */
export function toolDeclarations(names: readonly ToolName[]): ToolSet {
  return Object.fromEntries(
    names.map((name) => {
      const inputSchema: z.ZodType<unknown> = toolInputSchemas[name];
      return [name, tool({ description: toolDescriptions[name], inputSchema })];
    }),
  );
}
