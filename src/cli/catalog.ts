import type { Command, OnceCommand } from './command.ts';

type Run = Awaited<ReturnType<OnceCommand['load']>>['run'];

/** `pgfleet catalog <command>`. */
export const CATALOG_COMMANDS: Record<string, Command> = {
  list: {
    kind: 'once', summary: 'list the collectors: scope, role, interval, presets, PostgreSQL versions',
    load: async () => {
      const m = await import('./catalog-list.ts');
      return { schema: m.CatalogListConfig, fields: m.CATALOG_LIST_FIELDS, run: m.runCatalogList as Run };
    },
  },
  test: {
    kind: 'once', summary: 'run every SQL collector on embedded PostgreSQL of each major, primary and replica',
    load: async () => {
      const m = await import('./catalog-test.ts');
      return { schema: m.CatalogTestConfig, fields: m.CATALOG_TEST_FIELDS, run: m.runCatalogTest as Run };
    },
  },
};
