import type { Sql } from 'postgres';
import { DEFAULT_NAMESPACE } from './inventory.ts';

/** First key of the advisory locks that serialise the enrollments of one agent id ('pgen'). */
const ENROLL_LOCK = 0x7067656e;

export interface EnrollmentTokenRow {
  id: number; prefix: string; hash: Buffer; namespace: string; created_by: string;
  created_at: number; expires_at: number; uses_left: number | null; revoked_at: number | null;
}

export interface AgentCredentialRow {
  agent: string; namespace: string; secret_hash: Buffer; nkey: string | null;
  enrolled_at: number; revoked_at: number | null;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

/** Enrollment tokens and the agents' own credentials. */
export class AgentCredentialStore {
  constructor(private readonly sql: Sql) {}

  async createEnrollmentToken(t: { prefix: string; hash: Buffer; namespace: string; createdBy: string; expiresAt: number; uses: number | null }): Promise<EnrollmentTokenRow> {
    const [r] = await this.sql`
      insert into enrollment_tokens (prefix, hash, namespace, created_by, expires_at, uses_left)
      values (${t.prefix}, ${t.hash}, ${t.namespace}, ${t.createdBy}, ${new Date(t.expiresAt)}, ${t.uses}) returning *`;
    return toToken(r);
  }

  async enrollmentTokens(): Promise<EnrollmentTokenRow[]> {
    return (await this.sql`select * from enrollment_tokens order by id desc`).map(toToken);
  }

  async enrollmentToken(prefix: string): Promise<EnrollmentTokenRow | undefined> {
    const [r] = await this.sql`select * from enrollment_tokens where prefix = ${prefix}`;
    return r ? toToken(r) : undefined;
  }

  async revokeEnrollmentToken(id: number): Promise<EnrollmentTokenRow | undefined> {
    const [r] = await this.sql`update enrollment_tokens set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning *`;
    return r ? toToken(r) : undefined;
  }

  /**
   * Registers an agent with a token, in one transaction: the token is used up by one, and an agent
   * id that holds a credential already is refused (a token must not take over an enrolled agent).
   * Returns the refusal's reason, or undefined when enrolled.
   */
  async enroll(a: { tokenId: number; agent: string; namespace: string; secretHash: Buffer; nkey: string | null }): Promise<string | undefined> {
    return this.sql.begin(async (tx) => {
      // One enrollment of an id at a time: the checks below and the insert cannot interleave with another's.
      await tx`select pg_advisory_xact_lock(${ENROLL_LOCK}, hashtext(${a.agent}))`;
      const [t] = await tx`select uses_left from enrollment_tokens where id = ${a.tokenId} for update`;
      if (t.uses_left !== null && t.uses_left <= 0) return 'the enrollment token is used up';
      const [held] = await tx`select revoked_at, namespace from agent_credentials where agent = ${a.agent}`;
      if (held && held.revoked_at === null) return `agent ${a.agent} is enrolled already: revoke its credential first to enroll it again`;
      if (held && held.namespace !== a.namespace) return `agent ${a.agent} was enrolled in namespace ${held.namespace}: enroll it again with a token of that namespace`;
      // An agent the store knows from before enrollment keeps the namespaces of its instances.
      const others = await tx<{ name: string }[]>`
        select distinct ns.name from instances i join agents g on g.id = i.agent_id join clusters c on c.id = i.cluster_id
          join namespaces ns on ns.id = c.namespace_id
        where g.name = ${a.agent} and ns.name not in (${a.namespace}, ${DEFAULT_NAMESPACE})`;
      if (others.length) return `agent ${a.agent} reports instances of namespace ${others.map((o) => o.name).join(', ')}: enroll it with a token of that namespace`;
      if (a.nkey) {
        const [other] = await tx`select agent from agent_credentials where nkey = ${a.nkey} and agent <> ${a.agent}`;
        if (other) return 'that NKEY belongs to another agent';
      }
      await tx`
        insert into agent_credentials (agent, namespace, secret_hash, nkey, enrollment_token_id)
        values (${a.agent}, ${a.namespace}, ${a.secretHash}, ${a.nkey}, ${a.tokenId})
        on conflict (agent) do update set namespace = excluded.namespace, secret_hash = excluded.secret_hash, nkey = excluded.nkey,
          enrollment_token_id = excluded.enrollment_token_id, enrolled_at = now(), revoked_at = null`;
      await tx`update enrollment_tokens set uses_left = uses_left - 1 where id = ${a.tokenId} and uses_left is not null`;
      return undefined;
    }) as Promise<string | undefined>;
  }

  async credential(agent: string): Promise<AgentCredentialRow | undefined> {
    const [r] = await this.sql`select * from agent_credentials where agent = ${agent}`;
    return r ? toCredential(r) : undefined;
  }

  async credentials(): Promise<AgentCredentialRow[]> {
    return (await this.sql`select * from agent_credentials order by agent`).map(toCredential);
  }

  async revoke(agent: string): Promise<boolean> {
    return (await this.sql`update agent_credentials set revoked_at = now() where agent = ${agent} and revoked_at is null`).count > 0;
  }
}

function toToken(r: Record<string, unknown>): EnrollmentTokenRow {
  return {
    id: r.id as number, prefix: r.prefix as string, hash: r.hash as Buffer, namespace: r.namespace as string, created_by: r.created_by as string,
    created_at: (r.created_at as Date).getTime(), expires_at: (r.expires_at as Date).getTime(), uses_left: r.uses_left as number | null, revoked_at: ms(r.revoked_at as Date | null),
  };
}

function toCredential(r: Record<string, unknown>): AgentCredentialRow {
  return {
    agent: r.agent as string, namespace: r.namespace as string, secret_hash: r.secret_hash as Buffer, nkey: r.nkey as string | null,
    enrolled_at: (r.enrolled_at as Date).getTime(), revoked_at: ms(r.revoked_at as Date | null),
  };
}
