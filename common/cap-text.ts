/** Text cut to `limit` characters, keeping its head or its tail, with a marker saying how much was cut. */
export function capText(text: string, limit: number, keep: 'head' | 'tail' = 'head'): string {
  if (text.length <= limit) return text;
  const cut = text.length - limit;
  return keep === 'head'
    ? `${text.slice(0, limit)}\n…[truncated: ${cut} more characters]`
    : `…[truncated: ${cut} earlier characters]\n${text.slice(cut)}`;
}
