import type { EventEmitter } from 'node:events';
import type { CollectorDef, MetricDef } from '../../catalog/index.ts';
import type { Envelope } from '../../protocol/index.ts';
import type { Store } from '../../store/index.ts';
import type { AgentAuth, AuthService } from '../auth/index.ts';
import type { AnonJobService } from '../anon/index.ts';
import type { CommandService } from '../commands/index.ts';
import type { DeadLetter, Keeper } from '../keeper/index.ts';
import type { InstancesService } from './instances-service.ts';
import type { ObjectsService } from './objects-service.ts';
import type { SeriesService } from './series-service.ts';
import type { TopologyService } from './topology-service.ts';

/** What the routes need, handed to each route plugin. */
export interface ApiContext {
  version: string;
  store: Store;
  keeper: Keeper;
  /** The keeper's checks that need the clock and settings (Keeper.check), at `now` (default: the clock). */
  keeperCheck(envelopes: Envelope[], now?: number): { ok: Envelope[]; dead: DeadLetter[] };
  series: SeriesService;
  instances: InstancesService;
  objects: ObjectsService;
  topology: TopologyService;
  collectors: CollectorDef[];
  metrics: Map<string, MetricDef>;
  /** When set, POST /api/v1/ingest requires `Authorization: Bearer <token>`. */
  ingestToken?: string;
  /** Sign-in, sessions, API tokens. */
  auth: AuthService;
  /** Enrollment and agents' credentials. */
  agentAuth: AgentAuth;
  /** Session cookies carry the Secure attribute. */
  secureCookies: boolean;
  /** Signs, records and delivers commands to agents; keeps task sets in sync. */
  commands: CommandService;
  /** Scans and masked copies started through the API. */
  anonJobs: AnonJobService;
  /** Emits `update` with a LiveUpdate for every committed change. */
  live: EventEmitter;
}
