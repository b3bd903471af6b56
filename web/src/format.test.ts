import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, formatBytes, formatBytesPerDay, formatDays, formatTick, formatValue, shortVersion } from './format.ts';

test('shortVersion reads server_version_num, then the version string', () => {
  assert.equal(shortVersion('PostgreSQL 18.4 on x86_64', 180004), '18.4');
  assert.equal(shortVersion('', 130023), '13.23');
  assert.equal(shortVersion('', 90624), '9.6.24');
  assert.equal(shortVersion('PostgreSQL 17.2 (Debian)', 0), '17.2');
});

test('bytes use binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 2 ** 30), '3 GiB');
  assert.equal(formatValue(2 * 2 ** 20, 'bytesPerSec'), '2 MiB/s');
});

test('values by unit, null as a dash', () => {
  assert.equal(formatValue(12.345, 'perSec'), '12.3/s');
  assert.equal(formatValue(99.8, 'percent'), '99.8 %');
  assert.equal(formatValue(0.25, 'seconds'), '250 ms');
  assert.equal(formatValue(null, 'count'), '—');
});

test('tick labels keep the decimals their increment needs', () => {
  assert.equal(formatTick(99.55, 'percent', 0.05), '99.55 %');
  assert.equal(formatTick(20, 'count', 10), '20');
  assert.equal(formatTick(7.5, 'perSec', 2.5), '7.5/s');
});

test('formatAgo', () => {
  assert.equal(formatAgo(10_000, 15_000), '5 s ago');
  assert.equal(formatAgo(0, 15_000), 'never');
  assert.equal(formatAgo(0 + 1, 3 * 60_000 + 1), '3 min ago');
});

test('growth per day is signed; days keep one decimal under ten', () => {
  assert.equal(formatBytesPerDay(1536), '+1.5 KiB/d');
  assert.equal(formatBytesPerDay(-2 * 2 ** 20), '-2 MiB/d');
  assert.equal(formatBytesPerDay(0), '0 B/d');
  assert.equal(formatBytesPerDay(null), '—');
  assert.equal(formatDays(0.44), '0.4 d');
  assert.equal(formatDays(1), '1 d');
  assert.equal(formatDays(12.6), '13 d');
  assert.equal(formatDays(null), '—');
});
