// The instance page's time window: a preset ("last 1 h"), live or frozen, or a zoomed region.

export const RANGE_PRESETS = [
  { key: '15m', label: '15 m', ms: 15 * 60_000 },
  { key: '1h', label: '1 h', ms: 60 * 60_000 },
  { key: '6h', label: '6 h', ms: 6 * 60 * 60_000 },
  { key: '24h', label: '24 h', ms: 24 * 60 * 60_000 },
  { key: '7d', label: '7 d', ms: 7 * 24 * 60 * 60_000 },
] as const;
export type RangeKey = (typeof RANGE_PRESETS)[number]['key'];

export interface RangeState {
  preset: RangeKey;
  /** Live: the window ends at the latest refresh and slides. */
  live: boolean;
  /** When the window was last anchored (live refreshes move it). */
  anchor: number;
  /** A region dragged on a chart; overrides the preset until reset. */
  zoom: { from: number; to: number } | null;
  /** Whether live was on before zooming, to restore it on reset. */
  liveBeforeZoom: boolean;
}

export function presetMs(key: RangeKey): number {
  return RANGE_PRESETS.find((p) => p.key === key)?.ms ?? 3_600_000;
}

/** The window the charts show, in ms. */
export function windowOf(s: RangeState): { from: number; to: number } {
  if (s.zoom) return s.zoom;
  return { from: s.anchor - presetMs(s.preset), to: s.anchor };
}

export function initialRange(now: number): RangeState {
  return { preset: '1h', live: true, anchor: now, zoom: null, liveBeforeZoom: true };
}

export type RangeAction =
  | { type: 'preset'; preset: RangeKey; now: number }
  | { type: 'live'; live: boolean; now: number }
  | { type: 'tick'; now: number }
  | { type: 'zoom'; from: number; to: number }
  | { type: 'reset'; now: number };

/** Pure state transitions of the range picker, zoom and live refreshes. */
export function rangeReducer(s: RangeState, a: RangeAction): RangeState {
  switch (a.type) {
    case 'preset':
      return { ...s, preset: a.preset, anchor: a.now, zoom: null, live: s.zoom ? s.liveBeforeZoom : s.live };
    case 'live':
      return { ...s, live: a.live, anchor: a.now, zoom: null };
    case 'tick':
      // Sliding by less than a thousandth of the window changes no bucket worth a refetch
      // (7 d: 10 min, 1 h: 3.6 s); the live stream's own throttle bounds the short ranges.
      if (!s.live || s.zoom || a.now - s.anchor < presetMs(s.preset) / 1000) return s;
      return { ...s, anchor: a.now };
    case 'zoom': {
      if (!(a.to > a.from)) return s;
      return { ...s, zoom: { from: a.from, to: a.to }, live: false, liveBeforeZoom: s.zoom ? s.liveBeforeZoom : s.live };
    }
    case 'reset':
      return { ...s, zoom: null, live: s.liveBeforeZoom, anchor: s.liveBeforeZoom ? a.now : s.anchor };
  }
}

/**
 * The window as URL parameters, so a view can be shared: `range=6h` while live, `range=6h&to=<ms>`
 * once frozen, `range=6h&from=<ms>&to=<ms>` for a zoomed region.
 */
export function rangeToSearch(s: RangeState): string {
  const q = new URLSearchParams({ range: s.preset });
  if (s.zoom) {
    q.set('from', String(Math.round(s.zoom.from)));
    q.set('to', String(Math.round(s.zoom.to)));
  } else if (!s.live) q.set('to', String(Math.round(s.anchor)));
  return q.toString();
}

/** The window a URL asks for (rangeToSearch's inverse); what it lacks or gets wrong falls back to the last hour, live. */
export function rangeFromSearch(search: string, now: number): RangeState {
  const q = new URLSearchParams(search);
  const key = q.get('range');
  const preset = RANGE_PRESETS.find((p) => p.key === key)?.key ?? '1h';
  const num = (name: string): number | null => {
    const v = q.get(name);
    if (v === null || !/^\d{1,15}$/.test(v)) return null;
    return Number(v);
  };
  const from = num('from');
  const to = num('to');
  if (from !== null && to !== null && to > from) {
    return { preset, live: false, anchor: to, zoom: { from, to }, liveBeforeZoom: false };
  }
  if (to !== null) return { preset, live: false, anchor: to, zoom: null, liveBeforeZoom: false };
  return { preset, live: true, anchor: now, zoom: null, liveBeforeZoom: true };
}
