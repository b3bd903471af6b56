import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../../test/harness/prng.ts';
import { ApiError } from './errors.ts';
import { chooseStep, NICE_STEPS_MS, parseTime, alignedBuckets } from './time.ts';

const NOW = Date.UTC(2024, 4, 17, 12, 30, 45, 678);
const DAY = 86_400_000;

/** The ApiError parseTime throws (fails when it returns or throws something else). */
function parseError(param: string, text: string): ApiError {
  try {
    parseTime(param, text, NOW);
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${err}`);
    return err;
  }
  assert.fail(`"${text}" was accepted`);
}

test('parseTime: now and now-<n><unit>', () => {
  assert.equal(parseTime('from', 'now', NOW), NOW);
  assert.equal(parseTime('from', '  now\n', NOW), NOW, 'white space around is ignored');
  assert.equal(parseTime('from', 'now-0s', NOW), NOW);
  assert.equal(parseTime('from', 'now-15m', NOW), NOW - 15 * 60_000);
  assert.equal(parseTime('from', 'now-30s', NOW), NOW - 30_000);
  assert.equal(parseTime('from', 'now-6h', NOW), NOW - 6 * 3_600_000);
  assert.equal(parseTime('from', 'now-7d', NOW), NOW - 7 * DAY);
  assert.equal(parseTime('from', 'now-2w', NOW), NOW - 14 * DAY);
  assert.equal(parseTime('from', 'now-90m', NOW), NOW - 90 * 60_000);
});

test('parseTime: ms since the epoch', () => {
  assert.equal(parseTime('from', '0', NOW), 0);
  assert.equal(parseTime('from', '1700000000000', NOW), 1_700_000_000_000);
  assert.equal(parseTime('to', '999999999999999', NOW), 999_999_999_999_999, '15 digits');
});

test('parseTime: ISO 8601', () => {
  assert.equal(parseTime('from', '2024-05-17T10:00:00Z', NOW), Date.UTC(2024, 4, 17, 10));
  assert.equal(parseTime('from', '2024-05-17T10:00:00.250Z', NOW), Date.UTC(2024, 4, 17, 10, 0, 0, 250));
  assert.equal(parseTime('from', '2024-05-17T12:00:00+02:00', NOW), Date.UTC(2024, 4, 17, 10));
  assert.equal(parseTime('from', '2024-05-17', NOW), Date.UTC(2024, 4, 17), 'a date alone is UTC midnight');
});

test('parseTime: anything else is a 400 naming the parameter and the text', () => {
  const garbage = [
    '', ' ', 'yesterday', 'now+5m', 'now-5', 'now-5y', 'now-m', 'now - 5m', 'NOW', '-1', '1.5', '1e12', '0x10',
    '1234567890123456', '12abc', '2024-13-45', '2024-05-17Tgarbage', '17/05/2024', 'null', 'undefined',
  ];
  for (const text of garbage) {
    for (const param of ['from', 'to']) {
      const err = parseError(param, text);
      assert.equal(err.code, 'PGFLEET_API_BAD_PARAM', text);
      assert.equal(err.statusCode, 400, text);
      assert.ok(err.message.startsWith(`${param}: `), `"${err.message}" names ${param}`);
      assert.ok(err.message.includes(`got "${text}"`), `"${err.message}" quotes the text`);
      assert.match(err.message, /ms since the epoch, an ISO 8601 time, "now" or "now-<n><s\|m\|h\|d\|w>"/);
    }
  }
});

test('parseTime: a long bad value is cut in the message', () => {
  const err = parseError('from', 'x'.repeat(5000));
  assert.ok(err.message.length < 250, `${err.message.length} characters`);
  assert.ok(err.message.includes(`"${'x'.repeat(60)}"`));
});

test('parseTime never returns a time a Date cannot hold', () => {
  for (const text of ['now-99999999999w', 'now-999999999999999999999d']) {
    let t: number | undefined;
    try { t = parseTime('from', text, NOW); } catch (err) { assert.ok(err instanceof ApiError); continue; }
    assert.doesNotThrow(() => new Date(t!).toISOString(), `${text} → ${t}`);
  }
});

// ---- chooseStep ----


/** Random queries as the API gets them: ranges from a second to 400 days, up to 10,000 points, collector intervals. */
function* randomQueries(seed: number, n: number) {
  const rnd = prng(seed);
  const intervals = [undefined, 1000, 5000, 10_000, 15_000, 60_000, 300_000, 7000, 3_600_000];
  for (let i = 0; i < n; i++) {
    const span = Math.max(1, Math.floor(Math.exp(rnd() * Math.log(400 * DAY))));
    const from = NOW - Math.floor(rnd() * 30 * DAY) - span;
    const maxPoints = 1 + Math.floor(Math.exp(rnd() * Math.log(10_000)));
    yield { from, to: from + span, maxPoints: Math.min(maxPoints, 10_000), minStep: intervals[i % intervals.length] };
  }
}

const isNice = (step: number) => NICE_STEPS_MS.includes(step) || (step % DAY === 0 && step > DAY);

test('chooseStep: examples', () => {
  assert.equal(chooseStep(NOW - 3_600_000, NOW, 300), 15_000, '1 h in 300 points');
  const ALIGNED = Date.UTC(2024, 4, 17, 12, 30);
  assert.equal(chooseStep(ALIGNED - 3_600_000, ALIGNED, 360), 10_000, 'exactly 360 aligned points of 10 s');
  assert.equal(chooseStep(NOW - 3_600_000, NOW, 360), 15_000, 'an unaligned hour needs 361 buckets of 10 s, so 15 s');
  assert.equal(chooseStep(NOW - 60_000, NOW, 300), 1000, 'never below 1 s');
  assert.equal(chooseStep(NOW - 60_000, NOW, 300, 15_000), 15_000, 'never finer than the data');
  assert.equal(chooseStep(NOW - 60_000, NOW, 300, 7000), 10_000, 'an odd interval rounds up to a nice step');
  assert.equal(chooseStep(NOW - DAY, NOW, 300), 300_000);
  assert.equal(chooseStep(NOW - 30 * DAY, NOW, 300), 10_800_000);
  assert.equal(chooseStep(NOW - 400 * DAY, NOW, 100), 5 * DAY, 'past a day: whole days (4 d would need 101 aligned buckets)');
  const one = chooseStep(NOW - 400 * DAY, NOW, 1);
  assert.ok(one >= 400 * DAY && alignedBuckets(NOW - 400 * DAY, NOW, one) === 1, 'one point: one aligned bucket covers the range');
});

test('chooseStep: never more than maxPoints steps over from..to, never finer than the min step, always nice, the smallest such', () => {
  for (const q of randomQueries(0xc0ffee, 5000)) {
    const step = chooseStep(q.from, q.to, q.maxPoints, q.minStep);
    const what = JSON.stringify({ ...q, step });
    assert.ok(alignedBuckets(q.from, q.to, step) <= q.maxPoints, `too many points: ${what}`);
    assert.ok(step >= (q.minStep ?? 1000), `finer than the data: ${what}`);
    assert.ok(isNice(step), `not a nice step: ${what}`);
    // Minimal: the next smaller nice step breaks one of the rules.
    const smaller = [...NICE_STEPS_MS].reverse().find((s) => s < step) ?? (step > DAY ? step - DAY : undefined);
    if (smaller !== undefined) {
      assert.ok(alignedBuckets(q.from, q.to, smaller) > q.maxPoints || smaller < (q.minStep ?? 1000), `${smaller} would do: ${what}`);
    }
  }
});

test('chooseStep: the aligned buckets the series service reads are never more than maxPoints', () => {
  for (const q of randomQueries(0xbadcafe, 2000)) {
    const step = chooseStep(q.from, q.to, q.maxPoints, q.minStep);
    const first = Math.floor(q.from / step) * step;
    const buckets = Math.ceil((q.to - first) / step);
    assert.ok(buckets <= q.maxPoints, `${buckets} buckets: ${JSON.stringify({ ...q, step })}`);
  }
});

test('NICE_STEPS_MS is ascending', () => {
  for (let i = 1; i < NICE_STEPS_MS.length; i++) assert.ok(NICE_STEPS_MS[i] > NICE_STEPS_MS[i - 1]);
  assert.equal(NICE_STEPS_MS[NICE_STEPS_MS.length - 1], DAY);
});
