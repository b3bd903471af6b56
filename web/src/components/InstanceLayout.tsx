// What every view of one instance shares: the instance (header, collectors), its tabs, and the
// time window (range picker, live mode), which lives in the URL so a view can be shared.
import { useCallback, useEffect, useReducer, useRef, useState, type ReactNode } from 'react';
import { ApiError, fetchInstance, type InstanceDetail } from '../api.ts';
import { useLiveRefresh, useNow } from '../live.ts';
import { currentSearch, INSTANCE_TABS, instancePath, Link, navigate, replaceSearch, type InstanceTab } from '../router.tsx';
import { rangeFromSearch, rangeReducer, rangeToSearch, windowOf } from '../time-range.ts';
import { COMPARE_OFFSETS, type CompareOffset } from './ChartPanel.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { InstanceHeader } from './InstanceHeader.tsx';
import { RangePicker } from './RangePicker.tsx';

/** What a view of the instance draws from. */
export interface InstanceView {
  detail: InstanceDetail;
  from: number;
  to: number;
  /** Whether the window slides with new data. */
  live: boolean;
  onZoom: (from: number, to: number) => void;
  /** Draw the charts' lines over the same window a day or a week earlier too. */
  compare: CompareOffset | undefined;
}

interface InstanceLayoutProps {
  id: string;
  /** The highlighted tab; a statement's page sits under Queries. */
  tab: InstanceTab;
  /** A line under the tabs (a statement's page names its statement). */
  title?: string;
  children: (view: InstanceView) => ReactNode;
}

/** True when a key press belongs to a text field, not to the page's shortcuts. */
function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
}

export function InstanceLayout({ id, tab, title, children }: InstanceLayoutProps) {
  const [detail, setDetail] = useState<InstanceDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [range, dispatch] = useReducer(rangeReducer, currentSearch(), (search) => rangeFromSearch(search, Date.now()));
  const now = useNow(1000);
  const [compare, setCompare] = useState<CompareOffset | undefined>(() => {
    const c = new URLSearchParams(currentSearch()).get('compare');
    return COMPARE_OFFSETS.find((o) => o.key === c)?.key;
  });
  const inflight = useRef<AbortController | null>(null);

  const loadInstance = useCallback(() => {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    fetchInstance(id, ctl.signal).then(
      (d) => {
        setDetail(d);
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
    loadInstance();
    return () => inflight.current?.abort();
  }, [loadInstance]);

  useEffect(() => {
    document.title = `${title ? `${title} · ` : ''}${id} · pgfleet`;
  }, [id, title]);

  // The window goes to the URL; other parameters of the view (a sort order) are kept.
  const search = rangeToSearch(range);
  useEffect(() => {
    const q = new URLSearchParams(currentSearch());
    for (const k of ['range', 'from', 'to', 'compare']) q.delete(k);
    if (compare) q.set('compare', compare);
    const rest = q.toString();
    replaceSearch(rest ? `${search}&${rest}` : search);
  }, [search, compare]);

  // New data: refresh the header; in live mode the window slides, which refetches the view.
  useLiveRefresh(() => {
    loadInstance();
    dispatch({ type: 'tick', now: Date.now() });
  }, { enabled: true, instance: id, agent: detail?.instance.agent });

  // Keyboard: d, q, a switch tabs (the window comes along).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.metaKey || e.ctrlKey || e.altKey || typing(e)) return;
      const target = INSTANCE_TABS.find((t) => t.key === e.key);
      if (target) navigate(`${instancePath(id, target.tab)}?${search}`);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [id, search]);

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
      {detail ? <InstanceHeader inst={detail.instance} now={now} /> : <div className="instance-header muted">loading…</div>}
      <nav className="tabs" aria-label="instance views">
        {INSTANCE_TABS.map((t) => (
          <Link key={t.tab} to={`${instancePath(id, t.tab)}?${search}`} className={t.tab === tab ? 'tab active' : 'tab'}>
            <span data-testid={`tab-${t.tab}`} title={`${t.label} (key ${t.key})`}>{t.label}</span>
          </Link>
        ))}
      </nav>
      <div className="toolbar">
        <RangePicker
          range={range}
          onPreset={(preset) => dispatch({ type: 'preset', preset, now: Date.now() })}
          onLive={(live) => dispatch({ type: 'live', live, now: Date.now() })}
          onReset={() => dispatch({ type: 'reset', now: Date.now() })}
        />
        {tab === 'dashboard' && (
          <div className="range-picker">
            <span className="muted">compare with</span>
            <div className="segmented" role="group" aria-label="compare with">
              {[{ key: undefined, label: 'nothing' }, ...COMPARE_OFFSETS].map((o) => (
                <button key={o.label} type="button" data-compare={o.key ?? 'none'} className={compare === o.key ? 'active' : ''} aria-pressed={compare === o.key}
                  onClick={() => setCompare(o.key)}>
                  {o.label}
                </button>
              ))}
            </div>
          </div>
        )}
        <span className="muted window">
          {new Date(from).toLocaleString()} – {range.live ? 'now' : new Date(to).toLocaleString()}
        </span>
      </div>
      {detail && children({ detail, from, to, live: range.live && !range.zoom, onZoom, compare })}
    </main>
  );
}
