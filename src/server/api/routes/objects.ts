import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';

const Num = Type.Union([Type.Number(), Type.Null()]);
const Time = Type.Union([Type.Number(), Type.Null()], { description: 'ms since the epoch; null when none' });

const Table = Type.Object({
  datname: Type.String(), schemaname: Type.String(), relname: Type.String(), ts: Type.Number({ description: 'when the agent read it (ms)' }),
  total_bytes: Num, heap_bytes: Num, indexes_bytes: Num, toast_bytes: Num, n_live_tup: Num, n_dead_tup: Num,
  dead_ratio: Type.Union([Type.Number(), Type.Null()], { description: 'n_dead_tup / (n_live_tup + n_dead_tup)' }),
  last_vacuum: Time, last_autovacuum: Time, last_analyze: Time, frozenxid_age: Num,
  autovacuum_enabled: Type.Union([Type.Boolean(), Type.Null()]),
  seq_scan: Num, idx_scan: Num, n_tup_ins: Num, n_tup_upd: Num, n_tup_del: Num,
  bloat_bytes: Type.Union([Type.Number(), Type.Null()], { description: 'estimated (pg_table_bloat: the 20 most bloated tables of 1 MB or more per database)' }),
  bloat_ratio: Num,
  growth_per_day: Type.Union([Type.Number(), Type.Null()], { description: 'total_bytes change per day over the last 24 h' }),
});
const Index = Type.Object({
  datname: Type.String(), schemaname: Type.String(), relname: Type.String(), indexrelname: Type.String(), ts: Type.Number(),
  bytes: Num, idx_scan: Num, last_idx_scan: Time,
});
const Database = Type.Object({
  datname: Type.String(), indexes: Num, invalid_count: Num, invalid_bytes: Num, unused_count: Num, unused_bytes: Num,
  total_bloat_bytes: Num, tables_estimated: Num, tables_without_stats: Num,
});

export default async function objectsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/instances/:id/objects', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['objects'],
      summary: 'Tables and indexes of an instance: sizes, growth, rows, dead rows, maintenance, scans, bloat; invalid and unused indexes per database',
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({}, { additionalProperties: false }),
      response: {
        200: Type.Object({ instance: Type.String(), tables: Type.Array(Table), indexes: Type.Array(Index), databases: Type.Array(Database) }),
        404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => ctx.objects.objects((req.params as { id: string }).id));
}
