/** A unified diff, each line coloured by what it does (added, removed, hunk header, context). */
export function DiffView({ diff }: { diff: string }) {
  return (
    <pre class="diff" data-testid="diff">
      {diff.split('\n').map((line, i) => {
        const kind =
          line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ')
            ? 'file'
            : line.startsWith('@@')
              ? 'hunk'
              : line.startsWith('+')
                ? 'added'
                : line.startsWith('-')
                  ? 'removed'
                  : 'context';
        return (
          <span key={i} class={`diff-${kind}`}>
            {line}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

/** `+N/-M` of a file change. */
export function ChangeCounts({ added, removed }: { added: number; removed: number }) {
  return (
    <span class="counts">
      <span class="diff-added">+{added}</span>/<span class="diff-removed">-{removed}</span>
    </span>
  );
}
