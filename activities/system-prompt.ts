import { capText } from '../common/cap-text.ts';

/** The most of AGENTS.md and of the progress log that goes into a prompt. */
const AGENTS_MD_LIMIT = 20_000;
const PROGRESS_LIMIT = 20_000;

export interface SystemPromptParts {
  agentPrompt: string;
  /** AGENTS.md at the workspace root, when there is one. */
  agentsMd?: string;
  /** The execution's progress log, oldest first: what earlier runs did. */
  progress: string[];
  /** The agent's output JSON Schema, when its runs end with structured output. */
  outputSchema?: unknown;
}

/**
 * A run's system prompt: the agent's own instructions, how to work here, AGENTS.md and the progress
 * log. The conversation so far follows it as messages.
 */
export function composeSystemPrompt({ agentPrompt, agentsMd, progress, outputSchema }: SystemPromptParts): string {
  const sections = [
    agentPrompt.trim(),
    [
      '## How you work',
      'You work inside a workspace folder; every path is relative to its root and nothing outside it can be reached.',
      'Use the tools to look around and to make changes. When the work is done, answer with a short summary of what you did and do not call a tool.',
      outputSchema === undefined
        ? ''
        : `Your final answer must be only a JSON value (no prose, no code fence) that matches this JSON Schema:\n${JSON.stringify(outputSchema)}`,
    ]
      .filter(Boolean)
      .join('\n'),
  ];
  if (agentsMd !== undefined) sections.push(`## AGENTS.md\n${capText(agentsMd, AGENTS_MD_LIMIT, 'head')}`);
  if (progress.length)
    sections.push(
      `## Progress log\nWhat earlier runs of this execution did, oldest first:\n${capText(progress.map((p) => `- ${p}`).join('\n'), PROGRESS_LIMIT, 'tail')}`,
    );
  return sections.filter(Boolean).join('\n\n');
}
