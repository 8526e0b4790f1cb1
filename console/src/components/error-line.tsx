/** A refusal or failure, announced to screen readers; nothing when there is none. */
export function ErrorLine({ error }: { error?: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}
