// Sign-in, sessions and API tokens over the store: the policy (lockout, slowing, expiry) lives here.
import type { Grant, Store, UserRow } from '../../store/index.ts';
import { AuthError } from './errors.ts';
import { LoginLimiter, lockedError } from './login-limiter.ts';
import type { Principal } from './principal.ts';
import { withinGrants } from './principal.ts';
import { decoyHash, hashPassword, newApiToken, oneTimePassword, parseApiToken, passwordProblem, randomSecret, sameHash, sha256, verifyPassword } from './secrets.ts';

export interface AuthOptions {
  /** A console session ends after this long without a request (default 12 h). */
  sessionIdleMs?: number;
  /** Failed logins in a row that lock a user (default 5), and for how long (default 15 min). */
  maxFailures?: number;
  lockMs?: number;
  /** Checks a directory user's password and returns their grants; undefined when the directory refuses. */
  directory?: Directory;
}

/** A directory (LDAP, Active Directory): it checks passwords and says which roles a person has. */
export interface Directory {
  authenticate(name: string, password: string): Promise<{ displayName?: string; isAdmin: boolean; grants: Grant[] } | undefined>;
}

export interface LoginResult { sessionId: string; csrf: string; principal: Principal }

/** Who may sign in, and the principals behind sessions and tokens. */
export class AuthService {
  readonly limiter = new LoginLimiter();
  private readonly idleMs: number;
  get sessionIdleMs(): number { return this.idleMs; }
  private readonly maxFailures: number;
  private readonly lockMs: number;

  constructor(private readonly store: Store, private readonly opts: AuthOptions = {}) {
    this.idleMs = opts.sessionIdleMs ?? 12 * 3600_000;
    this.maxFailures = opts.maxFailures ?? 5;
    this.lockMs = opts.lockMs ?? 15 * 60_000;
  }

  /**
   * On a store without users: the first admin, `admin`, with a one-time password that only
   * serves to choose a new one. Returns the password, to be shown once; undefined when users exist.
   */
  async bootstrap(): Promise<{ name: string; password: string } | undefined> {
    if (await this.store.access.userCount() > 0) return undefined;
    const password = oneTimePassword();
    try {
      await this.store.access.createUser({ name: 'admin', source: 'local', passwordHash: await hashPassword(password), isAdmin: true, mustChangePassword: true, grants: [] });
    } catch (err) {
      // Another server process created it first (unique name): that one shows the password.
      if ((err as { code?: string }).code === '23505') return undefined;
      throw err;
    }
    return { name: 'admin', password };
  }

  /** Checks a name and password; slowed per address, locked per user after repeated failures. */
  async login(typed: string, password: string, ip: string): Promise<LoginResult> {
    // One person whatever the case they type: the limits count per lower-cased name.
    const name = typed.toLowerCase();
    let user = await this.store.access.userByName(name);
    this.limiter.check(ip, name, user !== undefined);
    if (user?.locked_until && user.locked_until > Date.now()) throw lockedError(name, user.locked_until);
    const local = !user || user.source === 'local';
    let ok = false;
    if (local) {
      ok = await verifyPassword(user?.password_hash ?? await decoyHash(), password) && user !== undefined;
    }
    if (!ok && this.opts.directory && (!user || user.source === 'ldap')) {
      const found = await this.opts.directory.authenticate(name, password);
      if (found && !found.isAdmin && found.grants.length === 0) {
        // The right password, but in no group pgfleet maps: whatever the user had is taken away now.
        if (user) { await this.syncDirectoryUser(user, found); await this.store.access.endSessionsOf(user.id); await this.store.access.revokeTokensOf(user.id); }
        this.limiter.succeeded(ip);
        throw new AuthError('PGFLEET_AUTH_NO_ROLE', `${name} is in no directory group that gives a role in pgfleet: ask an administrator`);
      }
      if (found) {
        user = user
          ? await this.syncDirectoryUser(user, found)
          : await this.store.access.createUser({ name, displayName: found.displayName, source: 'ldap', passwordHash: null, isAdmin: found.isAdmin, mustChangePassword: false, grants: found.grants });
        ok = true;
      }
    }
    if (!ok || !user || user.disabled) {
      // The same path for a user of the store and an unknown name: the wait, then the lock at the fifth failure.
      const known = user !== undefined && !user.disabled;
      const { delayMs, lockedUntil: nameLock } = this.limiter.failed(ip, name, known);
      const lockedUntil = known ? await this.store.access.loginFailed(user!.id, this.maxFailures, this.lockMs) : nameLock;
      await new Promise((r) => setTimeout(r, delayMs));
      if (lockedUntil) throw lockedError(name, lockedUntil);
      throw new AuthError('PGFLEET_AUTH_FAILED', 'wrong user name or password');
    }
    this.limiter.succeeded(ip);
    await this.store.access.loginSucceeded(user.id);
    const sessionId = randomSecret();
    const csrf = randomSecret();
    await this.store.access.createSession({ idHash: sha256(sessionId), userId: user.id, csrf, ip, ttlMs: this.idleMs });
    // Sessions that ran out are removed here, at a sign-in: nothing else writes the table.
    await this.store.access.deleteExpiredSessions();
    return { sessionId, csrf, principal: principalOf(user, { csrf, sessionHash: sha256(sessionId) }) };
  }

  /** A directory user's roles are the directory's at each login: a person removed from a group loses its role then. */
  private async syncDirectoryUser(user: UserRow, found: { displayName?: string; isAdmin: boolean; grants: Grant[] }): Promise<UserRow> {
    await this.store.access.setDisplayName(user.id, found.displayName ?? user.display_name);
    // The last active system administrator stays one even if the directory says otherwise (refused quietly).
    await this.store.access.changeAdminPower(user.id, { isAdmin: found.isAdmin });
    await this.store.access.setGrants(user.id, found.grants);
    return (await this.store.access.userById(user.id))!;
  }

  /** The principal of a session; `touch: false` checks it without counting as activity (a long-lived stream's re-check). */
  async fromSession(sessionId: string, touch = true): Promise<Principal | undefined> {
    if (sessionId.length !== 43) return undefined;
    const idHash = sha256(sessionId);
    const s = await this.store.access.session(idHash);
    if (!s) return undefined;
    const user = await this.store.access.userById(s.user_id);
    if (!user || user.disabled) return undefined;
    // Slide the idle end forward, at most once a minute.
    if (touch && Date.now() - s.last_seen_at > 60_000) await this.store.access.touchSession(idHash, this.idleMs);
    return principalOf(user, { csrf: s.csrf, sessionHash: idHash });
  }

  async fromToken(token: string): Promise<Principal | undefined> {
    const parsed = parseApiToken(token);
    if (!parsed) return undefined;
    const t = await this.store.access.tokenByPrefix(parsed.prefix);
    if (!t || !sameHash(t.hash, parsed.hash) || t.revoked_at !== null || t.expires_at <= Date.now()) return undefined;
    const user = await this.store.access.userById(t.user_id);
    // A user who must choose a new password (after a reset) acts through no token meanwhile.
    if (!user || user.disabled || user.must_change_password) return undefined;
    if (t.last_used_at === null || Date.now() - t.last_used_at > 60_000) await this.store.access.tokenUsed(t.id);
    return { ...principalOf(user, {}), kind: 'token', tokenScopes: t.scopes, tokenAdmin: t.system_admin, tokenId: t.id, tokenPrefix: t.prefix, mustChangePassword: false };
  }

  async logout(p: Principal): Promise<void> {
    if (p.sessionHash) await this.store.access.deleteSession(p.sessionHash);
  }

  async changePassword(p: Principal, current: string, next: string): Promise<void> {
    const user = await this.store.access.userById(p.userId);
    if (!user || user.source !== 'local') throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'this user signs in through the directory: change the password there');
    if (!await verifyPassword(user.password_hash ?? '', current)) throw new AuthError('PGFLEET_AUTH_FAILED', 'the current password is wrong');
    if (current === next) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'the new password must differ from the current one');
    const problem = passwordProblem(next, user.name);
    if (problem) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', problem);
    await this.store.access.setPassword(user.id, await hashPassword(next), false);
  }

  /** Sets a password chosen by an admin, or a one-time one (returned, to be shown once). */
  async setPassword(userId: number, password: string | undefined): Promise<string | undefined> {
    const user = await this.store.access.userById(userId);
    if (!user) throw new AuthError('PGFLEET_AUTH_NOT_FOUND', `no user with id ${userId}`);
    if (user.source !== 'local') throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', `${user.name} signs in through the directory: its password is the directory's`);
    const chosen = password ?? oneTimePassword();
    const problem = password === undefined ? undefined : passwordProblem(password, user.name);
    if (problem) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', problem);
    await this.store.access.setPassword(user.id, await hashPassword(chosen), true);
    // A reset is often because someone else knows the password: their tokens go too.
    await this.store.access.revokeTokensOf(user.id);
    return password === undefined ? chosen : undefined;
  }

  /** A new API token for `owner`: scopes within what the owner has; the secret is returned once. */
  async createToken(owner: Principal, t: { name: string; scopes: Grant[]; systemAdmin: boolean; expiresInDays: number }): Promise<{ token: string; id: number }> {
    if (owner.kind !== 'user') throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'an API token cannot make tokens: sign in to the console');
    const problem = withinGrants(owner, t.scopes);
    if (problem) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', `the token would have more than you: ${problem}`);
    if (t.systemAdmin && !owner.isAdmin) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'only a system administrator can make a token with that power');
    const { token, prefix, hash } = newApiToken();
    const row = await this.store.access.createToken({ prefix, hash, name: t.name, userId: owner.userId, scopes: t.scopes, systemAdmin: t.systemAdmin, expiresAt: Date.now() + t.expiresInDays * 86_400_000 });
    return { token, id: row.id };
  }

  /** Creates a local user; without a password, with a one-time one (returned, to be shown once). */
  async createUser(u: { name: string; displayName?: string; password?: string; isAdmin: boolean; grants: Grant[] }): Promise<{ user: UserRow; oneTimePassword?: string }> {
    if (await this.store.access.userByName(u.name)) throw new AuthError('PGFLEET_AUTH_CONFLICT', `a user named ${u.name} exists`);
    const problem = u.password === undefined ? undefined : passwordProblem(u.password, u.name);
    if (problem) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', problem);
    const password = u.password ?? oneTimePassword();
    const user = await this.store.access.createUser({ name: u.name, displayName: u.displayName, source: 'local', passwordHash: await hashPassword(password), isAdmin: u.isAdmin, mustChangePassword: u.password === undefined, grants: u.grants });
    return { user, ...(u.password === undefined ? { oneTimePassword: password } : {}) };
  }
}

function principalOf(user: UserRow, s: { csrf?: string; sessionHash?: Buffer }): Principal {
  return { kind: 'user', userId: user.id, name: user.name, isAdmin: user.is_admin, grants: user.grants, mustChangePassword: user.must_change_password, ...s };
}
