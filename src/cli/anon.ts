import type { Command, OnceCommand } from './command.ts';

type Run = Awaited<ReturnType<OnceCommand['load']>>['run'];
const load = () => import('./anon-run.ts');

/** `pgfleet anon <command>`: the module loads only when one of them runs. */
export const ANON_COMMANDS: Record<string, Command> = {
  scan: {
    kind: 'once', summary: 'find the columns that hold personal data and write a dictionary to review',
    load: async () => { const m = await load(); return { schema: m.AnonScanConfig, fields: m.ANON_SCAN_FIELDS, run: m.runScan as Run }; },
  },
  sync: {
    kind: 'once', summary: 'copy a database into another with its personal data masked (streaming)',
    load: async () => { const m = await load(); return { schema: m.AnonCopyConfig, fields: m.ANON_SYNC_FIELDS, run: m.runSync as Run }; },
  },
  dump: {
    kind: 'once', summary: 'write a masked dump: schema SQL, data files, restore.sql for psql',
    load: async () => { const m = await load(); return { schema: m.AnonCopyConfig, fields: m.ANON_DUMP_FIELDS, run: m.runDump as Run }; },
  },
  restore: {
    kind: 'once', summary: 'load a masked dump into a database',
    load: async () => { const m = await load(); return { schema: m.AnonCopyConfig, fields: m.ANON_RESTORE_FIELDS, run: m.runRestore as Run }; },
  },
};
