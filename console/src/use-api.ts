import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

/**
 * What `path` answers (loaded when the component mounts or `path` changes), its error, and `run`:
 * sends a request, then loads again, showing a refusal as the error. An older answer never
 * replaces a newer one.
 */
export function useApi<T = any>(path: string) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    api<T>(path).then(
      (answer) => {
        if (!current) return;
        setData(answer);
        setError(undefined);
      },
      (err) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [path, version]);
  const run = async <A = unknown>(request: Promise<A>): Promise<A | undefined> => {
    setError(undefined);
    try {
      const answer = await request;
      setVersion((v) => v + 1);
      return answer;
    } catch (err) {
      setError((err as Error).message);
      return undefined;
    }
  };
  return { data, error, run };
}

/** The tenant's agents (for lists and pickers); empty until they are loaded. */
export function useAgents(): { agents: Array<{ id: string; name?: string; enabled?: boolean; [field: string]: any }>; error?: string } {
  const { data, error } = useApi<{ items: any[] }>('/v1/agents');
  return { agents: data?.items ?? [], error };
}
