// The console's client of the HTTP API: the signed-in token (session storage) and JSON requests.

const TOKEN_KEY = 'agent-runs-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer other than 2xx: the API's `{error: {code, message}}`. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Listeners told when the token stops working (401): the console goes back to sign-in. */
const signedOutListeners = new Set<() => void>();
export const onSignedOut = (listener: () => void) => {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
};

export async function api<T = any>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const bearer = init.token ?? token.get();
  const response = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(bearer && { Authorization: `Bearer ${bearer}` }), ...(init.body !== undefined && { 'Content-Type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401 && init.token === undefined) for (const listener of signedOutListeners) listener();
    throw new ApiFailure(response.status, json?.error?.code ?? 'error', json?.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return json as T;
}

/** Who the signed-in token belongs to (GET /v1/tenant's `you`), read once per token. */
let you: { token: string | null; answer: Promise<{ id: string; role: string | null; permissions: string[] }> } | undefined;
export function whoAmI() {
  if (you?.token !== token.get()) you = { token: token.get(), answer: api('/v1/tenant').then((tenant) => tenant.you) };
  return you.answer;
}
