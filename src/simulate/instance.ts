import { hashString, mulberry32 } from './prng.ts';

/** One simulated PostgreSQL instance and the agent beside it. */
export interface SimInstance {
  index: number;
  agent: string;
  instance: string;
  cluster: string;
  node: string;
  namespace: string;
  role: 'primary' | 'replica';
  /** The other member of the pair, when the fleet has it. */
  peer?: string;
  version_num: number;
  databases: string[];
  tables: number;
  statements: number;
  cpus: number;
  memBytes: number;
  /** Seeded hash of the agent: the root of all its series. */
  hash: number;
  /** Seeded hash of the cluster: series primary and replica share (WAL, XIDs). */
  clusterHash: number;
  /** Where in the agent's own start the jobs' first runs fell, ms (the phase of every job). */
  phaseMs: number;
  system_identifier: string;
}

export interface InstanceShape {
  prefix: string;
  namespace: string;
  agents: number;
  firstAgent: number;
  databases: number;
  tables: number;
  statements: number;
  version_num: number;
  seed: number;
}

/** Instance i of the fleet: pairs of a primary (even i) and its replica (odd i) in cluster `<prefix>-<i/2>`. */
export function simInstance(i: number, s: InstanceShape): SimInstance {
  const name = `${s.prefix}-${i}`;
  const role = i % 2 === 0 ? 'primary' : 'replica';
  const peerIndex = role === 'primary' ? i + 1 : i - 1;
  const inFleet = peerIndex >= s.firstAgent && peerIndex < s.firstAgent + s.agents;
  const cluster = `${s.prefix}-${Math.floor(i / 2)}`;
  const hash = hashString(`${s.namespace}/${name}`, s.seed);
  const clusterHash = hashString(`${s.namespace}/${cluster}`, s.seed);
  const r = mulberry32(hash);
  const c = mulberry32(clusterHash);
  const cpus = [2, 4, 8, 16, 32][Math.floor(c() * 5)];
  return {
    index: i, agent: name, instance: name, cluster, node: `${name}.${s.namespace}.internal`, namespace: s.namespace, role,
    ...(inFleet ? { peer: `${s.prefix}-${peerIndex}` } : {}),
    version_num: s.version_num,
    databases: Array.from({ length: s.databases }, (_, d) => `db${d}`),
    tables: s.tables, statements: s.statements,
    cpus, memBytes: cpus * 4 * 1024 ** 3,
    hash, clusterHash,
    phaseMs: Math.floor(r() * 3_600_000),
    system_identifier: `7${String(Math.floor(c() * 1e9)).padStart(9, '0')}${String(Math.floor(c() * 1e9)).padStart(9, '0')}`,
  };
}

/** `PostgreSQL 16.4 on …` for a server_version_num. */
export function versionString(versionNum: number): string {
  const major = Math.floor(versionNum / 10_000);
  return `PostgreSQL ${major}.${versionNum % 100} on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit`;
}
