import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { ConfigError, resolveConfig, usage, type FieldSpec } from './config.ts';
import { SERVE_FIELDS, ServeConfig } from './serve.ts';
import { AGENT_FIELDS, AgentConfig, targetsOf } from './agent.ts';

type Flags = Parameters<typeof resolveConfig>[2];

/** Writes a YAML file in a fresh folder, removed after the test. */
function yamlFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgfleet-config-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pgfleet.yaml');
  writeFileSync(file, text);
  return file;
}

const serve = (flags: Flags = {}, env: NodeJS.ProcessEnv = {}, file?: string) => resolveConfig<ServeConfig>(ServeConfig, SERVE_FIELDS, flags, env, file);
const agent = (flags: Flags = {}, env: NodeJS.ProcessEnv = {}, file?: string) => resolveConfig<AgentConfig>(AgentConfig, AGENT_FIELDS, flags, env, file);

/** The problems a resolution reports (fails when it succeeds). */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.equal(err.code, 'PGFLEET_CONFIG_INVALID');
    assert.equal(err.name, 'ConfigError');
    for (const p of err.problems) assert.ok(err.message.includes(p), 'the message lists every problem');
    return err.problems;
  }
  assert.fail('the configuration was accepted');
}

const has = (problems: string[], ...parts: string[]) =>
  assert.ok(problems.some((p) => parts.every((x) => p.includes(x))), `no problem with ${parts.map((x) => `"${x}"`).join(' and ')} in\n  ${problems.join('\n  ')}`);

test('the field specs and the schemas agree', () => {
  for (const [schema, specs] of [[ServeConfig, SERVE_FIELDS], [AgentConfig, AGENT_FIELDS]] as [TObject, FieldSpec[]][]) {
    for (const s of specs) assert.ok(s.key in schema.properties, `${s.key} is in the schema`);
    assert.equal(new Set(specs.map((s) => s.flag)).size, specs.length, 'flags are unique');
    assert.equal(new Set(specs.map((s) => s.env).filter(Boolean)).size, specs.filter((s) => s.env).length, 'environment variables are unique');
  }
});

test('defaults come from the schema', () => {
  const cfg = serve();
  assert.equal(cfg.role, 'all');
  assert.equal(cfg.store, '');
  assert.deepEqual(cfg.nats, []);
  assert.equal(cfg.listen, '127.0.0.1:8080');
  assert.equal(cfg.retention_days, 7);
  assert.equal(cfg.ack_wait_s, 30);
  const a = agent();
  assert.equal(a.preset, 'standard');
  assert.equal(a.spool_max_mb, 256);
  assert.equal(a.node_metrics, true);
  assert.equal(a.dry_run, false);
});

test('precedence: flag > environment > file > default, for numbers, strings and lists', (t) => {
  const file = yamlFile(t, 'retention_days: 10\nlisten: "file:1"\nnats: [nats://file:4222]\n');
  const env = { PGFLEET_RETENTION_DAYS: '20', PGFLEET_LISTEN: 'env:2', PGFLEET_NATS_URL: 'nats://env1:4222, nats://env2:4222' };
  const flags = { 'retention-days': '30', listen: 'flag:3', nats: ['nats://flag:4222'] };

  const all = serve(flags, env, file);
  assert.deepEqual([all.retention_days, all.listen, all.nats], [30, 'flag:3', ['nats://flag:4222']]);
  const noFlags = serve({}, env, file);
  assert.deepEqual([noFlags.retention_days, noFlags.listen, noFlags.nats], [20, 'env:2', ['nats://env1:4222', 'nats://env2:4222']]);
  const fileOnly = serve({}, {}, file);
  assert.deepEqual([fileOnly.retention_days, fileOnly.listen, fileOnly.nats], [10, 'file:1', ['nats://file:4222']]);
  const none = serve();
  assert.deepEqual([none.retention_days, none.listen, none.nats], [7, '127.0.0.1:8080', []]);
});

test('precedence holds field by field', (t) => {
  const file = yamlFile(t, 'role: worker\nretention_days: 10\n');
  const cfg = serve({ listen: 'flag:3' }, { PGFLEET_RETENTION_DAYS: '20' }, file);
  assert.deepEqual([cfg.role, cfg.retention_days, cfg.listen, cfg.ack_wait_s], ['worker', 20, 'flag:3', 30]);
});

test('booleans: a flag, or true/1/yes in the environment', () => {
  assert.equal(agent({ 'dry-run': true }).dry_run, true);
  for (const v of ['true', '1', 'yes']) assert.equal(agent({}, { PGFLEET_NODE_METRICS: v }).node_metrics, true, v);
  for (const v of ['false', '0', 'no']) assert.equal(agent({}, { PGFLEET_NODE_METRICS: v }).node_metrics, false, v);
});

test('a boolean that is neither true nor false is reported', () => {
  for (const v of ['on', 'TRUE', 'ture']) {
    let problems: string[] = [];
    let value: boolean | undefined;
    try { value = agent({}, { PGFLEET_NODE_METRICS: v }).node_metrics; } catch (err) { problems = (err as ConfigError).problems; }
    assert.ok(value === true || problems.some((p) => p.includes('PGFLEET_NODE_METRICS')), `${v} gave ${value}`);
  }
});

test('a number that does not parse names where it came from: the environment variable or the flag', () => {
  has(problemsOf(() => serve({}, { PGFLEET_RETENTION_DAYS: 'abc' })), 'PGFLEET_RETENTION_DAYS', 'expected a number', '"abc"');
  has(problemsOf(() => serve({ 'retention-days': '12abc' })), '--retention-days', 'expected a number', '"12abc"');
  has(problemsOf(() => serve({}, { PGFLEET_ACK_WAIT_S: '' })), 'PGFLEET_ACK_WAIT_S', 'expected a number');
  has(problemsOf(() => serve({}, { PGFLEET_ACK_WAIT_S: 'Infinity' })), 'PGFLEET_ACK_WAIT_S', 'expected a number');
});

test('a value the schema refuses names both the flag and the environment variable', () => {
  has(problemsOf(() => serve({ 'retention-days': '0' })), '--retention-days / PGFLEET_RETENTION_DAYS', 'greater or equal to 1');
  has(problemsOf(() => serve({}, { PGFLEET_RETENTION_DAYS: '1.5' })), '--retention-days / PGFLEET_RETENTION_DAYS', 'integer');
  has(problemsOf(() => serve({ role: 'boss' })), '--role / PGFLEET_ROLE');
  has(problemsOf(() => serve({}, { PGFLEET_LISTEN: 'no-port' })), '--listen / PGFLEET_LISTEN');
  has(problemsOf(() => serve({}, { PGFLEET_NATS_URL: 'nats://ok:4222,http://bad' })), '--nats / PGFLEET_NATS_URL', '/nats/1');
  has(problemsOf(() => agent({ preset: 'everything' })), '--preset / PGFLEET_PRESET');
  has(problemsOf(() => agent({}, { PGFLEET_NAMESPACE: 'a.b' })), '--namespace / PGFLEET_NAMESPACE');
});

test('unknown keys in the YAML file are reported with the file name', (t) => {
  const file = yamlFile(t, 'retention_dayz: 3\nrole: api\n');
  has(problemsOf(() => serve({}, {}, file)), file, 'unknown setting "retention_dayz"');
});

test('keys of the schema without a flag are allowed in the file (agent targets)', (t) => {
  const file = yamlFile(t, 'dry_run: true\ntargets:\n  - name: main-1\n    url: postgres://db1/postgres\n  - name: main-2\n    url: postgres://db2/postgres\n    cluster: other\n');
  const cfg = agent({}, {}, file);
  assert.deepEqual(targetsOf(cfg, {}), [
    { name: 'main-1', cluster: 'main', url: 'postgres://db1/postgres' },
    { name: 'main-2', cluster: 'other', url: 'postgres://db2/postgres' },
  ]);
});

test('a wrongly typed value in the file is reported', (t) => {
  const file = yamlFile(t, 'retention_days: ten\n');
  has(problemsOf(() => serve({}, {}, file)), 'retention_days', 'integer');
});

test('a wrongly typed value in the file names the file', (t) => {
  const file = yamlFile(t, 'retention_days: ten\n');
  has(problemsOf(() => serve({}, {}, file)), file, 'retention_days');
});

test('a file that is not a mapping, not YAML, or missing is reported', (t) => {
  has(problemsOf(() => serve({}, {}, yamlFile(t, '- a\n- b\n'))), 'expected a mapping of settings');
  has(problemsOf(() => serve({}, {}, yamlFile(t, 'role: [unclosed\n'))), 'pgfleet.yaml');
  has(problemsOf(() => serve({}, {}, join(tmpdir(), 'pgfleet-no-such-dir', 'none.yaml'))), 'none.yaml', 'ENOENT');
  assert.equal(serve({}, {}, yamlFile(t, '')).role, 'all', 'an empty file is no settings');
});

test('several problems are reported at once', (t) => {
  const file = yamlFile(t, 'retention_dayz: 3\n');
  const problems = problemsOf(() => serve({ role: 'boss', 'ack-wait-s': '0' }, { PGFLEET_RETENTION_DAYS: 'abc', PGFLEET_NATS_URL: 'http://x' }, file));
  has(problems, 'unknown setting "retention_dayz"');
  has(problems, 'PGFLEET_RETENTION_DAYS', 'expected a number');
  has(problems, '--role / PGFLEET_ROLE');
  has(problems, '--ack-wait-s / PGFLEET_ACK_WAIT_S');
  has(problems, '--nats / PGFLEET_NATS_URL');
  assert.equal(new Set(problems).size, problems.length, 'no problem twice');
});

test('an unknown key in the file is reported once', (t) => {
  const file = yamlFile(t, 'retention_dayz: 3\n');
  const problems = problemsOf(() => serve({}, {}, file));
  assert.equal(problems.filter((p) => p.includes('retention_dayz')).length, 1, problems.join('\n'));
});

test('the result is frozen', () => {
  const cfg = serve({ nats: ['nats://a:4222'] });
  assert.ok(Object.isFrozen(cfg));
  assert.throws(() => { (cfg as { role: string }).role = 'api'; }, TypeError);
});

test('the result is frozen all the way down', () => {
  const cfg = serve({ nats: ['nats://a:4222'] });
  assert.ok(Object.isFrozen(cfg.nats));
});

test('defaults are copies: one resolution cannot change the next one\'s defaults', () => {
  const a = serve();
  assert.throws(() => (a.nats as string[]).push('nats://leak:4222'), TypeError);
  assert.deepEqual(serve().nats, []);
});

test('usage lists every flag, its environment variable and its default', () => {
  const text = usage('serve', 'run the server', SERVE_FIELDS, ServeConfig);
  for (const s of SERVE_FIELDS) {
    assert.ok(text.includes(`--${s.flag}`), s.flag);
    if (s.env) assert.ok(text.includes(s.env), s.env);
  }
  assert.ok(text.includes('[7]'), 'retention default');
});

test('targetsOf: --target name=uri gives the cluster from the name', () => {
  const cfg = agent({ target: ['main-1=postgres://u@db1:5432/postgres?sslmode=require', 'solo=postgres://db2'], 'dry-run': true });
  assert.deepEqual(targetsOf(cfg, {}), [
    { name: 'main-1', cluster: 'main', url: 'postgres://u@db1:5432/postgres?sslmode=require' },
    { name: 'solo', cluster: 'solo', url: 'postgres://db2' },
  ]);
});

test('targetsOf: PG* variables with --instance', () => {
  const cfg = agent({ instance: 'main-3', 'dry-run': true });
  assert.deepEqual(targetsOf(cfg, { PGHOST: '/var/run/postgresql' }), [{ name: 'main-3', cluster: 'main', url: '' }]);
  has(problemsOf(() => targetsOf(agent({ 'dry-run': true }), { PGPORT: '5433' })), '--instance');
});

test('targetsOf: every problem at once', () => {
  const cfg = agent({ target: ['main-1=postgres://a', 'main-1=postgres://b', 'bad name=postgres://c', 'no-uri'], nats: ['nats://n:4222'], server: 'https://s' });
  const problems = problemsOf(() => targetsOf(cfg, {}));
  has(problems, '"bad name=postgres://c"');
  has(problems, '"no-uri"');
  has(problems, 'target "main-1" is given twice');
  has(problems, 'exactly one of --nats <url>, --server <url>, --dry-run');
});

test('targetsOf: no target at all, and no transport', () => {
  has(problemsOf(() => targetsOf(agent({ 'dry-run': true }), {})), 'no target');
  has(problemsOf(() => targetsOf(agent({ target: ['main-1=postgres://a'] }), {})), 'exactly one of');
});
