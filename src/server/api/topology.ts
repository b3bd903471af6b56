// Who replicates from whom, and each member's role over time (pure: no I/O).

/**
 * The application_name a standby's WAL receiver gives the primary, which pg_stat_replication shows:
 * the one in primary_conninfo (key=value or URI form), else cluster_name, else `walreceiver`.
 */
export function walReceiverName(primaryConninfo: string | undefined, clusterName: string | undefined): string {
  const info = (primaryConninfo ?? '').trim();
  let name: string | undefined;
  if (/^postgres(ql)?:\/\//.test(info)) {
    try { name = new URL(info).searchParams.get('application_name') ?? undefined; } catch { /* not a URI after all */ }
  } else {
    // key = value pairs; a value may be single-quoted with \' and \\ escapes.
    const re = /([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
    for (let m = re.exec(info); m; m = re.exec(info)) {
      if (m[1] === 'application_name') name = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    }
  }
  return name || clusterName || 'walreceiver';
}

export interface ReplicationRow { application_name: string; client_addr: string }
/** A standby of the cluster; `receiverName` null when its settings are not known (no full snapshot stored). */
export interface StandbyCandidate { instance: string; receiverName: string | null }

/**
 * The standby instance of each pg_stat_replication row of a primary, where it can be told: the one
 * whose WAL receiver name is the row's application_name and no other's; failing that, when one row
 * is left and one standby whose receiver name is not known, that standby (a standby whose name is
 * known and differs is not this row's: the row may be a logical subscriber or a pg_basebackup).
 * Rows that stay unknown map to null.
 */
export function matchStandbys(rows: ReplicationRow[], standbys: StandbyCandidate[]): (string | null)[] {
  const out: (string | null)[] = rows.map((r) => {
    const named = standbys.filter((s) => s.receiverName === r.application_name);
    const rowsNamed = rows.filter((x) => x.application_name === r.application_name).length;
    return named.length === 1 && rowsNamed === 1 ? named[0].instance : null;
  });
  const taken = new Set(out.filter((x): x is string => x !== null));
  const left = standbys.filter((s) => !taken.has(s.instance) && s.receiverName === null);
  const open = out.map((x, i) => (x === null ? i : -1)).filter((i) => i >= 0);
  if (open.length === 1 && left.length === 1) out[open[0]] = left[0].instance;
  return out;
}

export type LaneState = 'primary' | 'replica' | 'down' | 'unknown';
export interface LaneSegment { from: number; to: number; state: LaneState }
export interface LaneEvent { ts: number; kind: string; details?: Record<string, unknown> | null }

const ROLE_STATES = new Set<string>(['primary', 'replica']);

/**
 * An instance's role over [from, to] from its events (role.changed with details.from/to,
 * instance.down, instance.up, ascending) and its role at the window's end: each role change starts a
 * segment, an outage is `down` until the instance is up again. Before the first event the role is the
 * first change's `from` (or the role at the end).
 */
export function roleLane(events: LaneEvent[], roleAtEnd: string, from: number, to: number): LaneSegment[] {
  const asState = (r: unknown): LaneState => (typeof r === 'string' && ROLE_STATES.has(r) ? r as LaneState : 'unknown');
  const inWindow = events.filter((e) => e.ts > from && e.ts <= to).sort((a, b) => a.ts - b.ts);
  const firstChange = inWindow.find((e) => e.kind === 'role.changed');
  let role: LaneState = firstChange ? asState(firstChange.details?.from) : asState(roleAtEnd);
  let down = false;
  const firstOutage = inWindow.find((e) => e.kind === 'instance.down' || e.kind === 'instance.up');
  if (firstOutage?.kind === 'instance.up') down = true;
  const segments: LaneSegment[] = [];
  let at = from;
  const close = (ts: number) => {
    const state = down ? 'down' : role;
    const last = segments[segments.length - 1];
    if (ts <= at) return;
    if (last && last.state === state && last.to === at) last.to = ts;
    else segments.push({ from: at, to: ts, state });
    at = ts;
  };
  for (const e of inWindow) {
    if (e.kind === 'role.changed') { close(e.ts); role = asState(e.details?.to); }
    else if (e.kind === 'instance.down') { close(e.ts); down = true; }
    else if (e.kind === 'instance.up') { close(e.ts); down = false; }
  }
  close(to);
  return segments;
}
