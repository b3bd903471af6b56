import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';
import { checkWindow, parseTime } from '../time.ts';

const Num = Type.Union([Type.Number(), Type.Null()]);
const Str = Type.Union([Type.String(), Type.Null()]);
const Lane = Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), state: Type.Union(['primary', 'replica', 'down', 'unknown'].map((s) => Type.Literal(s))) }));

const Member = Type.Object({
  instance: Type.String(), role: Type.String(), up: Type.Union([Type.Boolean(), Type.Null()]), last_seen: Num, version: Str, node: Str,
  upstream: Type.Union([Type.String(), Type.Null()], { description: 'for a standby: the member it streams from, when it can be told' }),
  receiver: Type.Union([Type.Object({
    name: Type.Union([Type.String(), Type.Null()], { description: 'application_name its WAL receiver gives the primary (primary_conninfo, cluster_name or walreceiver); null before its settings are stored' }),
    primary_slot_name: Str, connected: Num, last_msg_age_s: Num, replay_lag_bytes: Num, last_replay_age_s: Num,
  }), Type.Null()]),
  lane: Lane,
});
const Link = Type.Object({
  primary: Type.String(), standby: Type.Union([Type.String(), Type.Null()], { description: 'the standby instance, when monitored and matched' }),
  application_name: Type.String(), client_addr: Type.String(), state: Type.String(), ts: Type.Number(),
  write_lag_s: Num, flush_lag_s: Num, replay_lag_s: Num, sent_lag_bytes: Num, write_lag_bytes: Num, flush_lag_bytes: Num, replay_lag_bytes: Num,
  is_sync: Num, sync_priority: Num, reply_age_s: Num,
});
const Slot = Type.Object({
  instance: Type.String(), slot_name: Type.String(), slot_type: Type.String(), active: Type.Boolean(), ts: Type.Number(),
  retained_bytes: Num, safe_wal_size_bytes: Num, wal_status: Num, xmin_age: Num, catalog_xmin_age: Num,
});

export default async function topologyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/clusters/:namespace/:cluster/topology', {
    config: { access: { role: 'viewer', namespace: 'params.namespace' } },
    schema: {
      tags: ['topology'],
      summary: "A cluster's members and roles, who streams from whom with what lag, replication slots, and role changes and outages in a window",
      params: Type.Object({ namespace: Type.String(), cluster: Type.String() }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ description: 'Start of the window for role changes: ISO time, ms, or now-<n>(s|m|h|d|w). Default now-24h.' })),
        to: Type.Optional(Type.String({ description: 'End, same forms. Default now.' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          namespace: Type.String(), cluster: Type.String(), from: Type.Number(), to: Type.Number(),
          members: Type.Array(Member), replication: Type.Array(Link), slots: Type.Array(Slot),
          events: Type.Array(Type.Object({ ts: Type.Number(), instance: Type.String(), kind: Type.String(), severity: Type.String(), message: Type.String() })),
        }),
        400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { namespace, cluster } = req.params as { namespace: string; cluster: string };
    const q = req.query as { from?: string; to?: string };
    const now = Date.now();
    const from = parseTime('from', q.from ?? 'now-24h', now);
    const to = parseTime('to', q.to ?? 'now', now);
    checkWindow(from, to);
    return ctx.topology.topology(namespace, cluster, from, to, now);
  });
}
