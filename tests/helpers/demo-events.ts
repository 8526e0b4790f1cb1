const toolStep = ['model.reasoning_delta', 'model.step_completed', 'tool.call_started', 'tool.call_completed'];

/**
 * The events of one unattended demo run in an empty workspace: list_files, write_file NOTES.md,
 * run_command, then the answer.
 */
export const DEMO_RUN_EVENTS = [
  'run.created',
  'run.prepared',
  'run.started',
  ...toolStep,
  ...toolStep,
  ...toolStep,
  'model.reasoning_delta',
  'model.text_delta',
  'model.step_completed',
  'run.completed',
];
