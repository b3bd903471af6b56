import type { Sql } from 'postgres';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** A role in a namespace: viewer reads, operator also runs actions, admin also manages the namespace. */
export type NamespaceRole = (typeof ROLES)[number];

export interface Grant { namespace: string; role: NamespaceRole }

export interface UserRow {
  id: number;
  name: string;
  display_name: string | null;
  source: 'local' | 'ldap';
  password_hash: string | null;
  is_admin: boolean;
  disabled: boolean;
  must_change_password: boolean;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  last_login_at: number | null;
  grants: Grant[];
}

export interface SessionRow { user_id: number; csrf: string; expires_at: number; last_seen_at: number }

export interface TokenRow {
  id: number;
  prefix: string;
  hash: Buffer;
  name: string;
  user_id: number;
  user_name: string;
  scopes: Grant[];
  system_admin: boolean;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

/** Advisory lock key of changes to who is a system administrator ('pgad'). */
const ADMIN_LOCK = 0x70676164;

const USER_COLUMNS = 'u.id, u.name, u.display_name, u.source, u.password_hash, u.is_admin, u.disabled, u.must_change_password, u.failed_logins, u.locked_until, u.created_at, u.last_login_at';

function toUser(r: Record<string, unknown>): UserRow {
  return {
    id: r.id as number, name: r.name as string, display_name: r.display_name as string | null, source: r.source as UserRow['source'],
    password_hash: r.password_hash as string | null, is_admin: r.is_admin as boolean, disabled: r.disabled as boolean,
    must_change_password: r.must_change_password as boolean, failed_logins: r.failed_logins as number,
    locked_until: ms(r.locked_until as Date | null), created_at: (r.created_at as Date).getTime(), last_login_at: ms(r.last_login_at as Date | null),
    grants: ((r.grants as Grant[] | null) ?? []).sort((a, b) => a.namespace.localeCompare(b.namespace)),
  };
}

/** Users, their grants, sessions and API tokens (the main part of the store). */
export class AccessStore {
  constructor(private readonly sql: Sql) {}

  async userCount(): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`select count(*)::int as n from users`;
    return n;
  }

  private async users(where: string, param?: unknown): Promise<UserRow[]> {
    const rows = await this.sql.unsafe(`
      select ${USER_COLUMNS}, (select coalesce(jsonb_agg(jsonb_build_object('namespace', g.namespace, 'role', g.role)), '[]') from user_grants g where g.user_id = u.id) as grants
      from users u ${where} order by u.name`, param === undefined ? [] : [param as string]);
    return rows.map(toUser);
  }

  listUsers(): Promise<UserRow[]> { return this.users(''); }
  async userById(id: number): Promise<UserRow | undefined> { return (await this.users('where u.id = $1', id))[0]; }
  /** Whatever the case of the name (a unique index on lower(name) keeps one user per name). */
  async userByName(name: string): Promise<UserRow | undefined> { return (await this.users('where lower(u.name) = lower($1)', name))[0]; }

  async createUser(u: { name: string; displayName?: string; source: UserRow['source']; passwordHash: string | null; isAdmin: boolean; mustChangePassword: boolean; grants: Grant[] }): Promise<UserRow> {
    return this.sql.begin(async (tx) => {
      const [{ id }] = await tx<{ id: number }[]>`
        insert into users (name, display_name, source, password_hash, is_admin, must_change_password)
        values (${u.name}, ${u.displayName ?? null}, ${u.source}, ${u.passwordHash}, ${u.isAdmin}, ${u.mustChangePassword}) returning id`;
      for (const g of u.grants) await tx`insert into user_grants (user_id, namespace, role) values (${id}, ${g.namespace}, ${g.role})`;
      return id;
    }).then(async (id) => (await this.userById(id as number))!);
  }

  /** Who may administer, and who may sign in at all, change through changeAdminPower. */
  async setDisplayName(id: number, displayName: string | null): Promise<void> {
    await this.sql`update users set display_name = ${displayName} where id = ${id}`;
  }

  /**
   * Demotes, disables or deletes a user, unless that would leave no active system administrator:
   * checked and done in one transaction under an advisory lock, so two such changes at once cannot
   * both pass the check. Returns 'last-admin' when refused.
   */
  async changeAdminPower(id: number, p: { isAdmin?: boolean; disabled?: boolean; remove?: boolean }): Promise<'last-admin' | undefined> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${ADMIN_LOCK})`;
      const [u] = await tx<{ is_admin: boolean; disabled: boolean }[]>`select is_admin, disabled from users where id = ${id} for update`;
      if (!u) return undefined;
      const losing = u.is_admin && !u.disabled && (p.remove === true || p.isAdmin === false || p.disabled === true);
      if (losing) {
        const [{ n }] = await tx<{ n: number }[]>`select count(*)::int as n from users where is_admin and not disabled and id <> ${id}`;
        if (n === 0) return 'last-admin';
      }
      if (p.remove) await tx`delete from users where id = ${id}`;
      else {
        await tx`update users set is_admin = coalesce(${p.isAdmin ?? null}::boolean, is_admin), disabled = coalesce(${p.disabled ?? null}::boolean, disabled) where id = ${id}`;
        if (p.disabled) await tx`delete from sessions where user_id = ${id}`;
      }
      return undefined;
    }) as Promise<'last-admin' | undefined>;
  }

  /** Replaces a user's grants. */
  async setGrants(id: number, grants: Grant[]): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`delete from user_grants where user_id = ${id}`;
      for (const g of grants) await tx`insert into user_grants (user_id, namespace, role) values (${id}, ${g.namespace}, ${g.role})`;
    });
  }

  /** A new password; every session of the user ends (a reset is often because someone else knows the old one). */
  async setPassword(id: number, hash: string, mustChange: boolean): Promise<void> {
    await this.sql`update users set password_hash = ${hash}, must_change_password = ${mustChange}, failed_logins = 0, locked_until = null where id = ${id}`;
    await this.endSessionsOf(id);
  }


  /** Counts a failed login; locks the user for lockMs once `maxFailures` follow each other. Returns the lock's end, if locked. */
  async loginFailed(id: number, maxFailures: number, lockMs: number): Promise<number | null> {
    const [r] = await this.sql<{ locked_until: Date | null }[]>`
      with f as (
        -- A lock that has run out starts the count again: one failure after it does not lock at once.
        select id, case when locked_until is not null and locked_until <= now() then 1 else failed_logins + 1 end as n from users where id = ${id}
      )
      update users u set failed_logins = f.n,
        locked_until = case when f.n >= ${maxFailures} then now() + make_interval(secs => ${lockMs / 1000}) else null end
      from f where u.id = f.id returning u.locked_until`;
    return ms(r?.locked_until ?? null);
  }

  async loginSucceeded(id: number): Promise<void> {
    await this.sql`update users set failed_logins = 0, locked_until = null, last_login_at = now() where id = ${id}`;
  }

  async createSession(s: { idHash: Buffer; userId: number; csrf: string; ip: string; ttlMs: number }): Promise<void> {
    await this.sql`
      insert into sessions (id_hash, user_id, csrf, ip, expires_at)
      values (${s.idHash}, ${s.userId}, ${s.csrf}, ${s.ip}, now() + make_interval(secs => ${s.ttlMs / 1000}))`;
  }

  async session(idHash: Buffer): Promise<SessionRow | undefined> {
    const [r] = await this.sql<{ user_id: number; csrf: string; expires_at: Date; last_seen_at: Date }[]>`
      select user_id, csrf, expires_at, last_seen_at from sessions where id_hash = ${idHash} and expires_at > now()`;
    return r ? { user_id: r.user_id, csrf: r.csrf, expires_at: r.expires_at.getTime(), last_seen_at: r.last_seen_at.getTime() } : undefined;
  }

  /** Slides an idle session's end forward (called at most once a minute per session). */
  async touchSession(idHash: Buffer, ttlMs: number): Promise<void> {
    await this.sql`update sessions set last_seen_at = now(), expires_at = now() + make_interval(secs => ${ttlMs / 1000}) where id_hash = ${idHash}`;
  }

  async deleteSession(idHash: Buffer): Promise<void> {
    await this.sql`delete from sessions where id_hash = ${idHash}`;
  }

  async endSessionsOf(userId: number): Promise<void> {
    await this.sql`delete from sessions where user_id = ${userId}`;
  }

  async deleteExpiredSessions(): Promise<number> {
    return (await this.sql`delete from sessions where expires_at <= now()`).count;
  }

  async createToken(t: { prefix: string; hash: Buffer; name: string; userId: number; scopes: Grant[]; systemAdmin: boolean; expiresAt: number }): Promise<TokenRow> {
    const [{ id }] = await this.sql<{ id: number }[]>`
      insert into api_tokens (prefix, hash, name, user_id, scopes, system_admin, expires_at)
      values (${t.prefix}, ${t.hash}, ${t.name}, ${t.userId}, ${JSON.stringify(t.scopes)}::text::jsonb, ${t.systemAdmin}, ${new Date(t.expiresAt)})
      returning id`;
    return (await this.tokens('where t.id = $1', id))[0];
  }

  private async tokens(where: string, param?: unknown): Promise<TokenRow[]> {
    const rows = await this.sql.unsafe(`
      select t.id, t.prefix, t.hash, t.name, t.user_id, u.name as user_name, t.scopes, t.system_admin, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
      from api_tokens t join users u on u.id = t.user_id ${where} order by t.created_at desc, t.id desc`, param === undefined ? [] : [param as string]);
    return rows.map((r) => ({
      id: r.id, prefix: r.prefix, hash: r.hash, name: r.name, user_id: r.user_id, user_name: r.user_name, scopes: r.scopes ?? [], system_admin: r.system_admin,
      created_at: r.created_at.getTime(), expires_at: r.expires_at.getTime(), revoked_at: ms(r.revoked_at), last_used_at: ms(r.last_used_at),
    }));
  }

  listTokens(userId?: number): Promise<TokenRow[]> { return userId === undefined ? this.tokens('') : this.tokens('where t.user_id = $1', userId); }
  async tokenByPrefix(prefix: string): Promise<TokenRow | undefined> { return (await this.tokens('where t.prefix = $1', prefix))[0]; }
  async tokenById(id: number): Promise<TokenRow | undefined> { return (await this.tokens('where t.id = $1', id))[0]; }

  async revokeToken(id: number): Promise<boolean> {
    return (await this.sql`update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null`).count > 0;
  }

  async revokeTokensOf(userId: number): Promise<number> {
    return (await this.sql`update api_tokens set revoked_at = now() where user_id = ${userId} and revoked_at is null`).count;
  }

  async tokenUsed(id: number): Promise<void> {
    await this.sql`update api_tokens set last_used_at = now() where id = ${id}`;
  }

  /** Names of the namespaces the inventory knows. */
  async namespaces(): Promise<string[]> {
    return (await this.sql<{ name: string }[]>`select name from namespaces order by name`).map((r) => r.name);
  }
}
