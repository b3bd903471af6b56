import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core never downloads a browser. */
export const CHROMIUM_PATH = process.env.PGFLEET_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a sandbox-less root run on a machine with a closed network. */
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh --user-data-dir, removed on close. */
export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (Debian: apt-get install -y chromium; .ci/run does it)`);
  const profile = await mkdtemp(join(tmpdir(), 'pgfleet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: ARGS, viewport });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** On the /tune page: asks for the advice of `instance` on a machine of `cpus` and `ram` (and a workload, when given). */
export async function askTune(page: import('playwright-core').Page, url: string, o: { instance: string; cpus: string; ram: string; workload?: string }): Promise<void> {
  await page.goto(`${url}/tune`);
  await page.locator(`[data-testid="tune-instance"] option[value="${o.instance}"]`).waitFor({ state: 'attached', timeout: 30_000 });
  await page.locator('[data-testid="tune-instance"]').selectOption(o.instance);
  await page.locator('[data-testid="tune-cpus"]').fill(o.cpus);
  await page.locator('[data-testid="tune-ram"]').fill(o.ram);
  if (o.workload) await page.locator('[data-testid="tune-workload"]').selectOption(o.workload);
  await page.locator('[data-testid="tune-run"]').click();
}
