import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { MetricFamily } from '../../../protocol/index.ts';
import { loadCatalog, NODE_READERS, labelsOf } from '../../../catalog/index.ts';
import {
  OS_READERS, parseProcStat, parseMeminfo, parseLoadavg, parseDiskstats, parseNetDev, parseMounts, filesystemFamilies,
} from './index.ts';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
/** UPDATE_GOLDEN=1 rewrites the .expect.json files from the parsers' output (review the diff before committing). */
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The parser a golden input is for, from its name: `NN-<parser>[-<case>].input`. */
const PARSERS: Record<string, (text: string) => unknown> = {
  stat: parseProcStat,
  meminfo: parseMeminfo,
  loadavg: parseLoadavg,
  diskstats: parseDiskstats,
  'net-dev': parseNetDev,
  mounts: parseMounts,
  filesystem: (text) => filesystemFamilies(JSON.parse(text)),
};
const NAME = new RegExp(`^\\d+-(${Object.keys(PARSERS).join('|')})(-[\\w-]+)?\\.input$`);

for (const input of readdirSync(TESTDATA).filter((f) => f.endsWith('.input')).sort()) {
  test(`golden ${input}`, () => {
    const m = NAME.exec(input);
    assert.ok(m, `${input}: name must be NN-<${Object.keys(PARSERS).join('|')}>[-case].input`);
    const actual = PARSERS[m[1]](readFileSync(join(TESTDATA, input), 'utf8'));
    const expectFile = join(TESTDATA, input.replace(/\.input$/, '.expect.json'));
    if (UPDATE) writeFileSync(expectFile, JSON.stringify(actual, null, 2) + '\n');
    assert.deepEqual(actual, JSON.parse(readFileSync(expectFile, 'utf8')));
    if (m[1] !== 'mounts') {
      for (const f of actual as MetricFamily[]) assert.ok(Value.Check(MetricFamily, f), `${f.name} is not a valid MetricFamily`);
    }
  });
}

test('OS_READERS has exactly the readers the catalog knows', () => {
  assert.deepEqual(Object.keys(OS_READERS).sort(), [...NODE_READERS].sort());
});

test('every family a reader produces is declared by its node collector with the same kind, unit and labels', async () => {
  const nodeDefs = loadCatalog().filter((d) => d.scope === 'node');
  assert.equal(nodeDefs.length, NODE_READERS.length);
  for (const def of nodeDefs) {
    const families = await OS_READERS[def.reader!]();
    for (const f of families) {
      const column = f.name.slice(def.prefix.length + 1);
      const col = def.columns[column];
      assert.ok(f.name.startsWith(`${def.prefix}.`) && col, `${def.id}: ${f.name} is not declared in ${def.source}`);
      assert.equal(f.kind, col.usage, `${f.name}: kind`);
      assert.equal(f.unit, col.unit, `${f.name}: unit`);
      for (const p of f.points) assert.deepEqual(Object.keys(p.l ?? {}), labelsOf(def, column), `${f.name}: labels`);
    }
  }
});

/** The value of a family's point with the given labels (or its only point). */
function valueOf(families: MetricFamily[], name: string, labels?: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === name);
  const p = f?.points.find((q) => !labels || Object.entries(labels).every(([k, v]) => q.l?.[k] === v));
  return p?.v;
}

test('this machine: readers of the real /proc give sane values', async () => {
  const cpu = await OS_READERS.cpu();
  assert.ok(valueOf(cpu, 'node_cpu.count')! >= 1, 'at least one CPU');
  assert.ok(valueOf(cpu, 'node_cpu.seconds', { mode: 'idle' })! > 0, 'idle time');

  const mem = await OS_READERS.memory();
  const total = valueOf(mem, 'node_memory.total')!;
  assert.ok(total > 0, 'memory total > 0');
  assert.ok(valueOf(mem, 'node_memory.free')! <= total, 'free ≤ total');

  const load = await OS_READERS.load();
  assert.ok(valueOf(load, 'node_load.load1')! >= 0, 'load1 ≥ 0');

  const net = await OS_READERS.network();
  assert.ok(!net.some((f) => f.points.some((p) => p.l?.device === 'lo')), 'lo is left out');

  const disk = await OS_READERS.disk();
  assert.ok(!disk.some((f) => f.points.some((p) => /^loop/.test(p.l?.device ?? ''))), 'loop devices are left out');

  const fs = await OS_READERS.filesystem();
  const size = fs.find((f) => f.name === 'node_fs.size_bytes');
  assert.ok(size && size.points.length >= 1, 'at least one filesystem');
  for (const p of size.points) assert.ok(p.v > 0, `${p.l?.mountpoint}: size > 0`);
  assert.ok(!size.points.some((p) => ['proc', 'sysfs', 'tmpfs', 'cgroup', 'cgroup2'].includes(p.l?.fstype ?? '')), 'pseudo filesystems are left out');
});

test('a procRoot folder replaces /proc', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pgfleet-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'net'));
  const layout: [string, string, string][] = [
    ['cpu', 'stat', '02-stat-old-kernel'],
    ['memory', 'meminfo', '04-meminfo-no-memavailable'],
    ['load', 'loadavg', '05-loadavg-this-machine'],
    ['disk', 'diskstats', '07-diskstats-mixed-kernels'],
    ['network', 'net/dev', '09-net-dev-old-kernel'],
  ];
  for (const [reader, file, golden] of layout) {
    writeFileSync(join(root, file), readFileSync(join(TESTDATA, `${golden}.input`)));
    const expected = JSON.parse(readFileSync(join(TESTDATA, `${golden}.expect.json`), 'utf8'));
    assert.deepEqual(await OS_READERS[reader](root), expected, `${reader} reads ${file} under procRoot`);
  }
  // Mount points of the fixture that do not exist here are left out; / exists everywhere.
  writeFileSync(join(root, 'mounts'), '/dev/nope /no/such/mountpoint ext4 rw 0 0\n/dev/root / ext4 rw 0 0\n');
  const fs = await OS_READERS.filesystem(root);
  const size = fs.find((f) => f.name === 'node_fs.size_bytes');
  assert.deepEqual(size?.points.map((p) => p.l), [{ mountpoint: '/', device: '/dev/root', fstype: 'ext4' }]);
  await assert.rejects(OS_READERS.cpu(join(root, 'missing')), { code: 'ENOENT' });
});
