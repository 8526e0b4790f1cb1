/**
 * A failure the model caused and can fix (a path outside the workspace, text not found, a bad
 * regex...). Its message is returned to the model as the tool's result; any other error thrown by
 * a tool is an internal error and fails the activity instead.
 */
export class ToolError extends Error {
  override name = 'ToolError';
}
