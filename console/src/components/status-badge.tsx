/** An execution's or run's status as a coloured, labelled badge. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status.replaceAll('_', ' ')}
    </span>
  );
}
