// Who is asking, and what they may do: a user (console session) or an API token acting for one.
import type { Grant, NamespaceRole } from '../../store/index.ts';

const RANK: Record<NamespaceRole, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Principal {
  kind: 'user' | 'token';
  userId: number;
  /** The user's name (a token acts for its owner). */
  name: string;
  /** System administrator: every namespace, users, tokens of everyone, the audit log. */
  isAdmin: boolean;
  grants: Grant[];
  /** A token's own limits: it never does more than these, nor more than its owner may at the time. */
  tokenScopes?: Grant[];
  tokenAdmin?: boolean;
  tokenId?: number;
  tokenPrefix?: string;
  mustChangePassword: boolean;
  /** Console sessions: the value the X-CSRF-Token header must carry on changes. */
  csrf?: string;
  sessionHash?: Buffer;
}

/** The highest role that grants give in a namespace ('*' grants count for every namespace). */
function roleOf(grants: Grant[], admin: boolean, namespace: string): number {
  if (admin) return RANK.admin;
  let best = 0;
  for (const g of grants) if ((g.namespace === namespace || g.namespace === '*') && RANK[g.role] > best) best = RANK[g.role];
  return best;
}

/** Whether the principal has at least `role` in `namespace`. */
export function can(p: Principal, role: NamespaceRole, namespace: string): boolean {
  const own = roleOf(p.grants, p.isAdmin, namespace);
  const limit = p.kind === 'token' ? roleOf(p.tokenScopes ?? [], p.tokenAdmin === true && p.isAdmin, namespace) : RANK.admin;
  return Math.min(own, limit) >= RANK[role];
}

/** System administrator (for a token: its owner is one and the token was made with that power). */
export const isSystemAdmin = (p: Principal): boolean => p.isAdmin && (p.kind === 'user' || p.tokenAdmin === true);

/** Whether `wanted` asks for no more than `holder` has: each role in its namespace, '*' only from a '*' grant or an admin. */
export function withinGrants(holder: Principal, wanted: Grant[]): string | undefined {
  for (const g of wanted) {
    if (g.namespace === '*') {
      const star = isSystemAdmin(holder) || holder.grants.some((h) => h.namespace === '*' && RANK[h.role] >= RANK[g.role]);
      if (!star) return `a grant on every namespace ('*') needs one yourself`;
    } else if (!can(holder, g.role, g.namespace)) return `you are not ${g.role} of namespace ${g.namespace}`;
  }
  return undefined;
}

export const roleRank = (r: NamespaceRole): number => RANK[r];
