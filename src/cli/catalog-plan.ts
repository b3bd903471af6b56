import { PG_MAJORS, type PgMajor } from '../pg-embedded/index.ts';
import { ConfigError } from './config.ts';

/**
 * `--versions 13,14 --versions 18` and `versions: [13, 14]` alike: the majors, in
 * ascending order. `extra` are words allowed besides majors (for --replicas).
 */
export function parseMajors(flag: string, raw: readonly (string | number)[], extra: readonly string[] = []): { majors: PgMajor[]; words: string[]; problems: string[] } {
  const majors = new Set<PgMajor>();
  const words: string[] = [];
  const problems: string[] = [];
  for (const item of raw.flatMap((r) => String(r).split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (extra.includes(item)) words.push(item);
    else if ((PG_MAJORS as readonly number[]).includes(Number(item))) majors.add(Number(item) as PgMajor);
    else problems.push(`--${flag}: "${item}" is not a supported PostgreSQL major; supported: ${PG_MAJORS.join(', ')}${extra.length ? `, or ${extra.join(', ')}` : ''}`);
  }
  return { majors: [...majors].sort((a, b) => a - b), words, problems };
}

/** The majors to start (`--versions`) and which of them get a replica (`--replicas`); bad usage is a ConfigError. */
export function planOf(versions: readonly (string | number)[], replicas: readonly (string | number)[]): { versions: PgMajor[]; replicas: Set<PgMajor> } {
  const v = parseMajors('versions', versions);
  const r = parseMajors('replicas', replicas, ['oldest', 'newest', 'all', 'none']);
  const problems = [...v.problems, ...r.problems];
  if (v.majors.length === 0 && v.problems.length === 0) problems.push(`--versions: no major given; supported: ${PG_MAJORS.join(', ')}`);
  for (const m of r.majors) if (!v.majors.includes(m)) problems.push(`--replicas: ${m} is not among --versions (${v.majors.join(', ')})`);
  if (r.words.includes('none') && (r.words.length > 1 || r.majors.length > 0)) problems.push('--replicas: none goes alone');
  if (problems.length) throw new ConfigError(problems);
  const withReplica = new Set<PgMajor>(r.majors);
  if (r.words.includes('oldest')) withReplica.add(v.majors[0]);
  if (r.words.includes('newest')) withReplica.add(v.majors[v.majors.length - 1]);
  if (r.words.includes('all')) for (const m of v.majors) withReplica.add(m);
  return { versions: v.majors, replicas: withReplica };
}
