/** How a run ended, in the sentence a system-written summary starts with. */
export function runEndingSentence(ending: {
  status: 'completed' | 'failed' | 'cancelled';
  error?: { type: string; message: string };
  reason?: string;
}): string {
  if (ending.status === 'failed') return `The run failed (${ending.error?.type ?? 'error'}: ${ending.error?.message ?? 'no details'}).`;
  if (ending.status === 'cancelled') return `The run was cancelled (${ending.reason ?? 'stopped'}).`;
  return 'The agent finished without a summary.';
}
