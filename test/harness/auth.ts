// Signing tests in: the first admin's one-time password → a password of its own → an API token.
import { randomBytes } from 'node:crypto';

const tokens = new Map<string, Promise<string>>();
/** The admin's own password per server, once the one-time one is replaced. */
const adminPasswords = new Map<string, string>();

/** The session cookie and CSRF value of a sign-in. */
export async function signIn(url: string, name: string, password: string): Promise<{ cookie: string; csrf: string; status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  const body = await res.json() as Record<string, unknown>;
  const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  return { cookie, csrf: (body.csrf as string) ?? '', status: res.status, body };
}

/** A password that passes the policy, never used before. */
export const newPassword = (): string => `Pw-${randomBytes(12).toString('base64url')}`;

/**
 * A system administrator's API token for the server at `url`, made from the first admin's
 * one-time password (the server's firstAdmin, or what `pgfleet serve` printed). One per server.
 */
export function adminToken(url: string, firstAdmin: { name: string; password: string } | undefined): Promise<string> {
  let t = tokens.get(url);
  if (!t) {
    if (!firstAdmin) throw new Error(`no first admin for ${url}: the store already had users`);
    t = (async () => {
      const first = await signIn(url, firstAdmin.name, firstAdmin.password);
      if (first.status !== 200) throw new Error(`first admin sign-in failed: ${first.status} ${JSON.stringify(first.body)}`);
      const password = newPassword();
      const changed = await fetch(`${url}/api/v1/auth/password`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: first.cookie, 'x-csrf-token': first.csrf },
        body: JSON.stringify({ current: firstAdmin.password, next: password }),
      });
      if (changed.status !== 204) throw new Error(`password change failed: ${changed.status} ${await changed.text()}`);
      adminPasswords.set(url, password);
      const s = await signIn(url, firstAdmin.name, password);
      const made = await fetch(`${url}/api/v1/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
        body: JSON.stringify({ name: 'tests', scopes: [{ namespace: '*', role: 'admin' }], systemAdmin: true, expiresInDays: 1 }),
      });
      if (made.status !== 201) throw new Error(`token creation failed: ${made.status} ${await made.text()}`);
      return (await made.json() as { token: string }).token;
    })();
    tokens.set(url, t);
  }
  return t;
}

/** Headers that authenticate as the server's system administrator. */
export async function adminHeaders(server: { url?: string; firstAdmin?: { name: string; password: string } }, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await adminToken(server.url!, server.firstAdmin)}`, ...extra };
}

/** fetch as the server's system administrator. */
export async function adminFetch(server: { url?: string; firstAdmin?: { name: string; password: string } }, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { ...init, headers: { ...await adminHeaders(server), ...(init.headers as Record<string, string> | undefined) } });
}

/** The first admin's one-time password from what `pgfleet serve` or `pgfleet demo` printed. */
export function firstAdminFromOutput(output: string): { name: string; password: string } | undefined {
  const m = /one-time password: (\S+)/.exec(output) ?? /sign in as: admin \/ (\S+)/.exec(output);
  return m ? { name: 'admin', password: m[1] } : undefined;
}

/** Signs a browser context in as the server's system administrator (session cookies set directly). */
export async function browserSignIn(context: { addCookies(c: { name: string; value: string; url: string }[]): Promise<void> }, server: { url?: string; firstAdmin?: { name: string; password: string } }): Promise<void> {
  await adminToken(server.url!, server.firstAdmin);
  const s = await signIn(server.url!, 'admin', adminPasswords.get(server.url!)!);
  if (s.status !== 200) throw new Error(`admin sign-in failed: ${s.status} ${JSON.stringify(s.body)}`);
  await context.addCookies(cookiesFor(server.url!, s.cookie));
}

/** A Cookie header's name=value pairs as browser cookies of `url`. */
export function cookiesFor(url: string, header: string): { name: string; value: string; url: string }[] {
  return header.split('; ').map((kv) => ({ name: kv.slice(0, kv.indexOf('=')), value: kv.slice(kv.indexOf('=') + 1), url }));
}
