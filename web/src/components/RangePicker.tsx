import { RANGE_PRESETS, type RangeKey, type RangeState } from '../time-range.ts';

interface RangePickerProps {
  range: RangeState;
  onPreset: (preset: RangeKey) => void;
  onLive: (live: boolean) => void;
  onReset: () => void;
}

/** "Last 15 m … 7 d", the live toggle, and a reset when a chart region is zoomed. */
export function RangePicker({ range, onPreset, onLive, onReset }: RangePickerProps) {
  return (
    <div className="range-picker" data-testid="range-picker">
      <span className="muted">last</span>
      <div className="segmented" role="group" aria-label="time range">
        {RANGE_PRESETS.map((p) => (
          <button
            key={p.key}
            type="button"
            className={!range.zoom && range.preset === p.key ? 'active' : ''}
            aria-pressed={!range.zoom && range.preset === p.key}
            data-range={p.key}
            onClick={() => onPreset(p.key)}
          >
            {p.label}
          </button>
        ))}
      </div>
      <label className="live-toggle">
        <input type="checkbox" checked={range.live} onChange={(e) => onLive(e.target.checked)} data-testid="live-toggle" />
        <span className={range.live ? 'live-dot on' : 'live-dot'} />
        live
      </label>
      {range.zoom && (
        <button type="button" className="reset" onClick={onReset} data-testid="zoom-reset">
          reset zoom
        </button>
      )}
    </div>
  );
}
