// LDAP and Active Directory: the directory checks a person's password (a bind as them) and its
// groups give their pgfleet roles, read again at each sign-in.
import { readFileSync } from 'node:fs';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { Grant, NamespaceRole } from '../../store/index.ts';
import type { Directory } from './auth-service.ts';
import { AuthError } from './errors.ts';

export interface LdapOptions {
  /** ldap://host:389 or ldaps://host:636 (several, comma-separated: tried in turn). */
  url: string;
  /** An account that may search people and groups; empty: search anonymously. */
  bindDn?: string;
  bindPassword?: string;
  /** Where people are, and how to find one by the name typed at sign-in ({name}: the name, escaped). */
  userBase: string;
  userFilter?: string;
  /** Where groups are, and how to find a person's ({dn}: the person's DN, escaped; {name}: the name). */
  groupBase?: string;
  groupFilter?: string;
  /** Group (its cn or its whole DN) → role: `dba=admin@prod`, `pgfleet-admins=system-admin`. */
  groups: GroupMapping[];
  /** Upgrade ldap:// with StartTLS. */
  startTls?: boolean;
  /** PEM file of the CA that signed the directory's certificate. */
  caFile?: string;
  timeoutMs?: number;
}

export interface GroupMapping { group: string; role: NamespaceRole | 'system-admin'; namespace?: string }

/** Parses `group=role@namespace` or `group=system-admin` (the group may be a DN: the last `=` splits). */
export function parseGroupMapping(text: string): GroupMapping {
  const eq = text.lastIndexOf('=');
  const group = text.slice(0, eq).trim();
  const right = text.slice(eq + 1).trim();
  if (eq <= 0 || !group) throw new Error(`"${text}": expected group=role@namespace or group=system-admin`);
  if (right === 'system-admin') return { group, role: 'system-admin' };
  const m = /^(viewer|operator|admin)@(.+)$/.exec(right);
  if (!m) throw new Error(`"${text}": the role is viewer, operator or admin followed by @namespace (or * for every namespace), or system-admin`);
  return { group, role: m[1] as NamespaceRole, namespace: m[2] };
}

/** RFC 4515: a value inside a search filter. */
export function escapeFilter(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The directory over LDAP. Each sign-in opens its own connections and closes them. */
export class LdapDirectory implements Directory {
  private readonly tlsOptions?: { ca: Buffer[] };

  constructor(private readonly opts: LdapOptions) {
    if (opts.caFile) this.tlsOptions = { ca: [readFileSync(opts.caFile)] };
  }

  private client(url: string): Client {
    return new Client({ url, timeout: this.opts.timeoutMs ?? 5000, connectTimeout: this.opts.timeoutMs ?? 5000, ...(this.tlsOptions ? { tlsOptions: this.tlsOptions } : {}) });
  }

  /** A connection to the first directory server that answers (a search on it proves it does). */
  private async connect(): Promise<{ client: Client; url: string }> {
    let last: unknown;
    for (const url of this.opts.url.split(',').map((u) => u.trim()).filter(Boolean)) {
      const c = this.client(url);
      try {
        if (this.opts.startTls) await c.startTLS(this.tlsOptions ?? {});
        if (this.opts.bindDn) await c.bind(this.opts.bindDn, this.opts.bindPassword ?? '');
        else await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
        return { client: c, url };
      } catch (err) {
        last = err;
        await c.unbind().catch(() => {});
      }
    }
    throw new AuthError('PGFLEET_AUTH_DIRECTORY', `the directory cannot be reached or refused pgfleet's own account: ${(last as Error)?.message ?? 'no URL'}`, { cause: last });
  }

  async authenticate(name: string, password: string): Promise<{ displayName?: string; isAdmin: boolean; grants: Grant[] } | undefined> {
    // An empty password would be an anonymous bind, which succeeds: never a sign-in.
    if (password === '' || !/^[\w.@-]{1,200}$/.test(name)) return undefined;
    try {
      return await this.lookUp(name, password);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError('PGFLEET_AUTH_DIRECTORY', `signing in through the directory is not possible now: ${(err as Error).message}`, { cause: err });
    }
  }

  private async lookUp(name: string, password: string): Promise<{ displayName?: string; isAdmin: boolean; grants: Grant[] } | undefined> {
    const { client: search, url } = await this.connect();
    let dn: string;
    let displayName: string | undefined;
    let groupEntries: { dn: string; cn?: string | string[] | Buffer | Buffer[] }[];
    try {
      const filter = (this.opts.userFilter ?? '(&(objectClass=person)(uid={name}))').replaceAll('{name}', escapeFilter(name));
      const { searchEntries } = await search.search(this.opts.userBase, { scope: 'sub', filter, attributes: ['displayName', 'cn'], sizeLimit: 2 });
      // Nobody, or more than one person with that name: no sign-in.
      if (searchEntries.length !== 1) return undefined;
      dn = searchEntries[0].dn;
      const d = searchEntries[0].displayName ?? searchEntries[0].cn;
      displayName = Array.isArray(d) ? String(d[0]) : d === undefined ? undefined : String(d);
      // The password: a bind as the person.
      // On the server that answered the search; only a refusal of the password is a wrong password
      // (a directory that fails now is a 503, not a failed sign-in that counts towards a lock).
      const asUser = this.client(url);
      try {
        if (this.opts.startTls) await asUser.startTLS(this.tlsOptions ?? {});
        await asUser.bind(dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return undefined;
        throw err;
      } finally {
        await asUser.unbind().catch(() => {});
      }
      const groupFilter = (this.opts.groupFilter ?? '(|(member={dn})(uniqueMember={dn}))').replaceAll('{dn}', escapeFilter(dn)).replaceAll('{name}', escapeFilter(name));
      groupEntries = (await search.search(this.opts.groupBase ?? this.opts.userBase, { scope: 'sub', filter: groupFilter, attributes: ['cn'] })).searchEntries;
    } finally {
      await search.unbind().catch(() => {});
    }
    const mine = new Set<string>();
    for (const g of groupEntries) {
      mine.add(g.dn.toLowerCase());
      for (const cn of [g.cn ?? []].flat()) mine.add(String(cn).toLowerCase());
    }
    const grants = new Map<string, NamespaceRole>();
    const RANK = { viewer: 1, operator: 2, admin: 3 };
    let isAdmin = false;
    for (const m of this.opts.groups) {
      if (!mine.has(m.group.toLowerCase())) continue;
      if (m.role === 'system-admin') { isAdmin = true; continue; }
      const had = grants.get(m.namespace!);
      if (!had || RANK[m.role] > RANK[had]) grants.set(m.namespace!, m.role);
    }
    return { displayName, isAdmin, grants: [...grants].map(([namespace, role]) => ({ namespace, role })) };
  }
}
