import { useState } from 'preact/hooks';
import { ApiFailure, api, token } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';

/** Sign in with an API token: checked against the API, then kept in this tab's session storage. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/v1/status', { token: value.trim() });
      token.set(value.trim());
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiFailure && err.status === 401 ? 'That token is not valid (unknown or revoked).' : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>agent-runs</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required />
        <p class="hint">
          <code>npm run dev</code> prints one; <code>npm run tokens -- create</code> makes more.
        </p>
        <ErrorLine error={error} />
        <button type="submit" disabled={busy || value.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
