import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { FORECAST_DAYS, GROWTH_WINDOW_DAYS, SIZE_HISTORY_DAYS, STORE_KINDS } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';

const N = Type.Number();
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

const SizeQuery = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: SIZE_HISTORY_DAYS, default: 30, description: 'days of snapshot history returned' })),
  disk_free_bytes: Type.Optional(Type.Integer({ minimum: 0, description: 'free space left for the store: the answer says when growth would use it up' })),
}, { additionalProperties: false });

const Kind = Type.Object({
  kind: Type.Union(STORE_KINDS.map((k) => Type.Literal(k))),
  tables: Type.Array(Type.String(), { description: 'tables counted (partitioned ones over all their partitions); none for other' }),
  bytes: Type.Number({ description: 'pg_total_relation_size summed: heap, indexes and TOAST' }),
  partitions: Type.Union([Type.Integer(), Type.Null()], { description: 'partitions holding data; null when not partitioned' }),
  oldest: Type.Union([Type.Number(), Type.Null()], { description: 'start of the oldest partition holding data (ms)' }),
  days_held: Type.Union([Type.Number(), Type.Null()], { description: 'days from oldest to now' }),
  retention_days: Type.Union([Type.Integer(), Type.Null()], { description: 'retention the worker applies; null: kept until deleted, or unknown before the first snapshot' }),
  window_days: Type.Union([Type.Number(), Type.Null()], { description: 'days of data the kind holds once full' }),
  growth_per_day: Type.Union([Type.Number(), Type.Null()], { description: `bytes per day: least-squares trend of the last ${GROWTH_WINDOW_DAYS} days of snapshots` }),
  forecast_30d: Type.Union([Type.Number(), Type.Null()], { description: `bytes in ${FORECAST_DAYS} days` }),
  steady_state: Type.Union([Type.Number(), Type.Null()], { description: 'bytes once the data covers window_days' }),
});

const SizeReply = Type.Object({
  measured_at: N,
  total: Type.Object({ bytes: Type.Number({ description: 'pg_database_size' }), growth_per_day: NullableNumber, forecast_30d: NullableNumber, steady_state: NullableNumber }),
  kinds: Type.Array(Kind),
  retention_from: Type.Union([Type.Number(), Type.Null()], { description: 'time of the snapshot the retention comes from' }),
  growth: Type.Object({ window_days: N, snapshots: Type.Integer(), reason: Type.Union([Type.String(), Type.Null()], { description: 'why growth is null' }) }),
  disk: Type.Union([Type.Null(), Type.Object({ free_bytes: N, days_until_full: NullableNumber, full_at: NullableNumber, reason: Type.Union([Type.String(), Type.Null()]) })]),
  history: Type.Object({
    ts: Type.Array(N, { description: 'snapshot times (ms), oldest first' }),
    total: Type.Array(N),
    kinds: Type.Object(Object.fromEntries(STORE_KINDS.map((k) => [k, Type.Array(NullableNumber)]))),
  }),
});

export default async function storeRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/store/size', {
    config: { access: 'admin' },
    schema: {
      tags: ['store'], summary: "The store's size by kind of data, retention, growth per day, forecast and snapshot history",
      querystring: SizeQuery,
      response: { 200: SizeReply, 400: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const q = req.query as Static<typeof SizeQuery>;
    return ctx.store.size.report(Date.now(), { historyDays: q.days ?? 30, diskFreeBytes: q.disk_free_bytes });
  });
}
