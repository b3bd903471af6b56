// `/instances/:id`: the header and the charts of one instance over a shared time range.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiError, fetchInstance, type Instance } from '../api.ts';
import { INSTANCE_CHARTS } from '../charts.ts';
import { ChartPanel } from '../components/ChartPanel.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { InstanceHeader } from '../components/InstanceHeader.tsx';
import { RangePicker } from '../components/RangePicker.tsx';
import { useLiveRefresh, useNow } from '../live.ts';
import { Link } from '../router.tsx';
import { initialRange, rangeReducer, windowOf } from '../time-range.ts';

export function InstancePage({ id }: { id: string }) {
  const [instance, setInstance] = useState<Instance | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [range, dispatch] = useReducer(rangeReducer, Date.now(), initialRange);
  const now = useNow(1000);
  const inflight = useRef<AbortController | null>(null);

  const loadInstance = useCallback(() => {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    fetchInstance(id, ctl.signal).then(
      (detail) => {
        setInstance(detail.instance);
        setError(null);
        setNotFound(false);
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setNotFound(true);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, [id]);

  useEffect(() => {
    setInstance(null);
    setNotFound(false);
    document.title = `${id} · pgfleet`;
    loadInstance();
    return () => inflight.current?.abort();
  }, [id, loadInstance]);

  // New data: refresh the header; in live mode the window slides, which refetches the charts.
  useLiveRefresh(() => {
    loadInstance();
    dispatch({ type: 'tick', now: Date.now() });
  }, { enabled: true, instance: id, agent: instance?.agent });

  const { from, to } = windowOf(range);
  const onZoom = useCallback((a: number, b: number) => dispatch({ type: 'zoom', from: a, to: b }), []);

  if (notFound) {
    return (
      <main className="page">
        <ErrorBanner message={error ?? `unknown instance ${id}`} />
        <p><Link to="/">Back to the fleet</Link></p>
      </main>
    );
  }

  return (
    <main className="page">
      {error && <ErrorBanner message={error} />}
      {instance ? <InstanceHeader inst={instance} now={now} /> : <div className="instance-header muted">loading…</div>}
      <div className="toolbar">
        <RangePicker
          range={range}
          onPreset={(preset) => dispatch({ type: 'preset', preset, now: Date.now() })}
          onLive={(live) => dispatch({ type: 'live', live, now: Date.now() })}
          onReset={() => dispatch({ type: 'reset', now: Date.now() })}
        />
        <span className="muted window">
          {new Date(from).toLocaleString()} – {range.live ? 'now' : new Date(to).toLocaleString()}
        </span>
      </div>
      {instance && (
        <div className="chart-grid">
          {INSTANCE_CHARTS.map((def) => (
            <ChartPanel key={def.slug} def={def} instance={instance} from={from} to={to} onZoom={onZoom} />
          ))}
        </div>
      )}
    </main>
  );
}
