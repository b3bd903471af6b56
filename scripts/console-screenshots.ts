// Opens the console's fleet page and one instance page and saves screenshots.
// Usage: node --import tsx scripts/console-screenshots.ts <base-url> [out-dir] [instance-id]
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium } from '../test/harness/index.ts';

const CHART_SLUGS = ['tps', 'connections', 'cache-hit', 'wal', 'replication-lag', 'cpu', 'memory', 'disk-io'] as const;

async function main(): Promise<void> {
  const base = process.argv[2] ?? 'http://127.0.0.1:8080';
  const out = process.argv[3] ?? 'test/artifacts';
  await mkdir(out, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log(`browser: ${m.text()}`); });
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(base, { waitUntil: 'load' });
    await page.getByTestId('fleet-row').first().waitFor({ timeout: 30_000 });
    const rows = await page.getByTestId('fleet-row').count();
    console.log(`fleet rows: ${rows}`);
    await page.screenshot({ path: join(out, 'console-fleet.png'), fullPage: true });

    const id = process.argv[4] ?? (await page.getByTestId('fleet-row').first().getAttribute('data-instance'));
    if (!id) throw new Error('no instance to open');
    await page.locator(`[data-testid="fleet-row"][data-instance="${id}"] a`).first().click();
    await page.getByTestId('instance-header').waitFor({ timeout: 30_000 });
    // Wait until every chart has finished loading and, when it has data, has drawn it.
    await page.waitForFunction(
      (slugs) => slugs.every((s) => {
        const el = document.querySelector(`[data-testid="chart-${s}"]`);
        const state = el?.getAttribute('data-state');
        return state === 'empty' || state === 'error' || (state === 'ready' && el?.getAttribute('data-points') !== null);
      }),
      [...CHART_SLUGS],
      { timeout: 30_000 },
    );
    for (const s of CHART_SLUGS) {
      const el = page.getByTestId(`chart-${s}`);
      console.log(`chart-${s}: state=${await el.getAttribute('data-state')} points=${await el.getAttribute('data-points')}`);
    }
    await page.screenshot({ path: join(out, 'console-instance.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}

await main();
