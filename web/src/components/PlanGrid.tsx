// The plan as a grid: one row per node, indented as the tree, with every per-node number; the path
// from the root through the child of largest time is marked; a click on a row shows all it printed.
import { Fragment, useState } from 'react';
import type { ExplainNode } from '../api.ts';
import { estimateMark, planMs, rowsRemoved, target } from '../plan-format.ts';
import { formatNumber } from '../format.ts';

interface Flat { node: ExplainNode; depth: number; id: string; hot: boolean }

/** Depth-first, with the path from the root along the child of largest inclusive time marked hot. */
export function flattenPlan(root: ExplainNode): Flat[] {
  const out: Flat[] = [];
  const walk = (n: ExplainNode, depth: number, id: string, hot: boolean) => {
    out.push({ node: n, depth, id, hot });
    const heaviest = n.children.reduce<ExplainNode | null>((m, c) => ((c.inclusiveTime ?? -1) > (m?.inclusiveTime ?? -1) ? c : m), null);
    n.children.forEach((c, i) => walk(c, depth + 1, `${id}.${i}`, hot && c === heaviest));
    return out;
  };
  return walk(root, 0, '0', true);
}

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : formatNumber(v));

/** What a node printed besides its numbers, and all its buffer counters. */
function NodeDetail({ n }: { n: ExplainNode }) {
  const b = n.buffers;
  const e = n.exclusiveBuffers;
  return (
    <div className="node-detail" data-testid="node-detail">
      <dl>
        {Object.entries(n.props).map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd><code>{v}</code></dd></Fragment>)}
        {n.exclusiveBounds && <><dt>itself, surely between</dt><dd>{planMs(n.exclusiveBounds[0])} and {planMs(n.exclusiveBounds[1])}</dd></>}
        {b && e && (
          <><dt>buffers (with children / itself)</dt><dd>
            shared hit {num(b.sharedHit)} / {num(e.sharedHit)}, read {num(b.sharedRead)} / {num(e.sharedRead)}, dirtied {num(b.sharedDirtied)} / {num(e.sharedDirtied)}, written {num(b.sharedWritten)} / {num(e.sharedWritten)};
            local hit {num(b.localHit)}, read {num(b.localRead)}; temp read {num(b.tempRead)} / {num(e.tempRead)}, written {num(b.tempWritten)} / {num(e.tempWritten)}
          </dd></>
        )}
        {(n.ioReadMs !== undefined || n.ioWriteMs !== undefined) && <><dt>I/O time with children</dt><dd>read {planMs(n.ioReadMs)}, write {planMs(n.ioWriteMs)}</dd></>}
      </dl>
    </div>
  );
}

export function PlanGrid({ root, total }: { root: ExplainNode; total: number }) {
  const [open, setOpen] = useState<string | null>(null);
  const nodes = flattenPlan(root);
  return (
    <div className="table-wrap">
      <table className="fleet statements plan-grid" data-testid="plan-tree">
        <thead>
          <tr>
            <th>node</th><th className="num">itself</th><th className="num">share</th><th className="num">with children</th>
            <th className="num">rows</th><th className="num">planned</th><th className="num" title="rows per loop against the plan's estimate">estimate</th>
            <th className="num">loops</th><th className="num" title="rows removed by filter, join filter and index recheck, all loops">removed</th>
            <th className="num" title="shared buffers found in cache, by the node itself">hit</th><th className="num" title="blocks read from outside shared buffers, by the node itself">read</th>
            <th className="num" title="temporary file blocks read and written, by the node itself">temp</th>
            <th className="num" title="read throughput of the node itself (track_io_timing)">read MB/s</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map(({ node: n, depth, id, hot }) => {
            const e = n.exclusiveBuffers;
            const t = target(n);
            return (
              <Fragment key={id}>
                <tr data-testid="plan-node" data-hot={hot ? 'true' : 'false'} className={`clickable${hot ? ' hot-path' : ''}`} aria-expanded={open === id}
                  onClick={() => setOpen(open === id ? null : id)}>
                  <td style={{ paddingLeft: 8 + depth * 18 }}>
                    {n.subplanName && <span className="muted">{n.subplanName}: </span>}<strong>{n.label}</strong>
                    {t && <> on <code>{t}</code></>}{n.indexName && <> using <code>{n.indexName}</code></>}
                  </td>
                  <td className="num" title={n.exclusiveBounds ? `not exact: between ${planMs(n.exclusiveBounds[0])} and ${planMs(n.exclusiveBounds[1])}` : undefined}>
                    {n.exclusiveBounds ? <span data-testid="bounds">{planMs(n.exclusiveBounds[0])}–{planMs(n.exclusiveBounds[1])}</span> : planMs(n.exclusiveTime)}
                  </td>
                  <td className="num">
                    {total > 0 && n.exclusiveTime !== null && <span className="share-bar"><i style={{ width: `${(n.exclusiveTime / total) * 100}%` }} /></span>}
                    {n.share !== null ? `${(n.share * 100).toFixed(1)} %` : ''}
                  </td>
                  <td className="num">{planMs(n.inclusiveTime)}</td>
                  <td className="num">{n.actualRows === null ? '—' : num(n.actualRows)}</td>
                  <td className="num">{n.planRows === null ? '—' : num(n.planRows)}</td>
                  <td className="num"><small className="warn-text">{estimateMark(n)}</small></td>
                  <td className="num">{n.loops ?? '—'}</td>
                  <td className="num">{num(rowsRemoved(n))}</td>
                  <td className="num" data-testid="own-hit" data-value={e?.sharedHit}>{e ? num(e.sharedHit) : ''}</td>
                  <td className="num" data-testid="own-read" data-value={e?.sharedRead}>{e ? num(e.sharedRead) : ''}</td>
                  <td className="num">{e && e.tempRead + e.tempWritten > 0 ? `${num(e.tempRead)}/${num(e.tempWritten)}` : ''}</td>
                  <td className="num">{n.readMBps === undefined ? '' : num(n.readMBps)}</td>
                </tr>
                {open === id && <tr className="detail-row"><td colSpan={13}><NodeDetail n={n} /></td></tr>}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
