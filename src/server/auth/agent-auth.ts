// Agents: an enrollment token (per namespace, expiring) lets a new agent register once; it then
// holds its own credential for HTTPS ingest and its own NKEY for NATS, both bound to its id and
// namespace, and the generated nats-server authorization lets it publish only on its own subjects.
import { fromPublic } from '@nats-io/nkeys';
import { commandSubject, INGEST_PREFIX } from '../../protocol/index.ts';
import type { Store } from '../../store/index.ts';
import { AuthError } from './errors.ts';
import { can, type Principal } from './principal.ts';
import { randomSecret, sameHash, sha256 } from './secrets.ts';

/** Agent ids and namespaces are subject tokens: no dots, spaces or wildcards. */
const ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The inbox prefix an agent's connection uses, so that it can be allowed its own replies only. */
export const agentInboxPrefix = (agent: string): string => `_INBOX_${agent}`;

export interface AgentIdentity { agent: string; namespace: string }

/** Enrollment, agent credentials, and the NATS authorization they imply. */
export class AgentAuth {
  constructor(private readonly store: Store) {}

  async createEnrollmentToken(by: Principal, t: { namespace: string; expiresInHours: number; uses: number | null }): Promise<{ token: string; id: number; expiresAt: number }> {
    if (!ID.test(t.namespace)) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', `namespace must match ${ID.source}`);
    if (!can(by, 'admin', t.namespace)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'enrolling agents in a namespace needs its admin role');
    const prefix = randomSecret().replace(/[-_]/g, '').slice(0, 8);
    const secret = randomSecret();
    const row = await this.store.agentCredentials.createEnrollmentToken({
      prefix, hash: sha256(secret), namespace: t.namespace, createdBy: by.name, expiresAt: Date.now() + t.expiresInHours * 3600_000, uses: t.uses,
    });
    return { token: `pge_${prefix}_${secret}`, id: row.id, expiresAt: row.expires_at };
  }

  /**
   * Registers `agent` with an enrollment token: returns the agent's credential for HTTPS ingest
   * (shown once) and its namespace. `nkey`, the public half of the agent's NATS key, lets it connect
   * to NATS under the generated authorization.
   */
  async enroll(token: string, agent: string, nkey: string | undefined): Promise<{ credential: string; namespace: string }> {
    const m = /^pge_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/.exec(token);
    const t = m ? await this.store.agentCredentials.enrollmentToken(m[1]) : undefined;
    if (!m || !t || !sameHash(t.hash, sha256(m[2])) || t.revoked_at !== null || t.expires_at <= Date.now()) {
      throw new AuthError('PGFLEET_AUTH_REQUIRED', 'the enrollment token is unknown, expired or revoked');
    }
    if (!ID.test(agent)) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', `agent id must match ${ID.source}`);
    if (nkey !== undefined) {
      try { fromPublic(nkey); } catch { throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'nkey: expected the public key of a NATS user key pair (U…)'); }
      if (!nkey.startsWith('U')) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'nkey: expected a user key (U…)');
    }
    const secret = randomSecret();
    const refused = await this.store.agentCredentials.enroll({ tokenId: t.id, agent, namespace: t.namespace, secretHash: sha256(secret), nkey: nkey ?? null });
    if (refused) throw new AuthError('PGFLEET_AUTH_CONFLICT', refused);
    return { credential: `pga_${Buffer.from(agent).toString('base64url')}.${secret}`, namespace: t.namespace };
  }

  /** The agent a credential belongs to, or undefined when it is not one, or revoked. */
  async identify(credential: string): Promise<AgentIdentity | undefined> {
    const m = /^pga_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(credential);
    if (!m) return undefined;
    const agent = Buffer.from(m[1], 'base64url').toString();
    const c = await this.store.agentCredentials.credential(agent);
    if (!c || c.revoked_at !== null || !sameHash(c.secret_hash, sha256(m[2]))) return undefined;
    return { agent: c.agent, namespace: c.namespace };
  }

  /**
   * The nats-server `authorization` block: the keeper (by its public NKEY) may do everything; each
   * enrolled agent may publish only on pgfleet.ingest.<its namespace>.<its id>.> and receive only its
   * own replies and commands (and answer the commands it receives). A revoked agent is left out, so a reload refuses it.
   */
  async natsAuthorization(keeperNkey: string): Promise<string> {
    try { fromPublic(keeperNkey); } catch { throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'keeperNkey: expected the public key of the keeper\'s NATS user key pair (U…)'); }
    const agents = (await this.store.agentCredentials.credentials()).filter((c) => c.revoked_at === null && c.nkey);
    const q = (s: string) => JSON.stringify(s);
    const lines = [
      '# pgfleet: NATS authorization generated from the enrolled agents; apply it to every server of the cluster and reload (nats-server --signal reload).',
      'authorization {',
      '  users = [',
      `    { nkey: ${q(keeperNkey)} }  # the keeper (pgfleet serve --nats-nkey-file)`,
      ...agents.map((c) => `    { nkey: ${q(c.nkey!)}, permissions: { publish: { allow: [${q(`${INGEST_PREFIX}.${c.namespace}.${c.agent}.>`)}] }, subscribe: { allow: [${q(`${agentInboxPrefix(c.agent)}.>`)}, ${q(commandSubject(c.agent))}] }, allow_responses: true } }  # ${c.agent}`),
      '  ]',
      '}',
      '',
    ];
    return lines.join('\n');
  }
}
