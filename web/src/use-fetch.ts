// One request per change of its inputs: the previous one is aborted, its answer never shown.
import { useEffect, useState, type DependencyList } from 'react';

export interface Fetched<T> {
  /** The last answer; kept while the next one loads, so a refresh does not blank the view. */
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Runs `load` when `deps` change. */
export function useFetch<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Fetched<T> {
  const [state, setState] = useState<Fetched<T>>({ data: null, error: null, loading: true });
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err), loading: false }));
      },
    );
    return () => ctl.abort();
    // The caller lists what `load` reads.
  }, deps);
  return state;
}
