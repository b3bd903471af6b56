// Secrets: random values, their hashes, and password hashing (argon2id).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/** 256 bits of randomness, URL-safe (43 characters). */
export const randomSecret = (): string => randomBytes(32).toString('base64url');

export const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares two hashes in constant time. */
export const sameHash = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/**
 * A one-time password a person can type: 20 characters of an alphabet without look-alikes
 * (about 114 bits).
 */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(40);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (const b of bytes) { if (b < 216) out += alphabet[b % 54]; if (out.length === 20) break; }
  return out.length === 20 ? out : oneTimePassword();
}

/** argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum for argon2id). */
export const hashPassword = (password: string): Promise<string> => argon2Hash(password);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try { return await argon2Verify(hash, password); } catch { return false; }
}

/** A hash of nothing anyone knows: verified against when the user does not exist, so that takes as long. */
let decoy: Promise<string> | undefined;
export const decoyHash = (): Promise<string> => (decoy ??= hashPassword(randomSecret()));

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, name: string): string | undefined {
  if (password.length < 12) return 'a password needs at least 12 characters';
  if (password.length > 1024) return 'a password has at most 1024 characters';
  if (password.toLowerCase().includes(name.toLowerCase())) return 'a password must not contain the user name';
  if (new Set(password).size < 5) return 'a password needs at least 5 different characters';
  return undefined;
}

/** API tokens read `pgf_<prefix>_<secret>`: the prefix finds the row and is shown in lists; only the secret's hash is kept. */
export function newApiToken(): { token: string; prefix: string; hash: Buffer } {
  const prefix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
  const secret = randomSecret();
  return { token: `pgf_${prefix}_${secret}`, prefix, hash: sha256(secret) };
}

export function parseApiToken(token: string): { prefix: string; hash: Buffer } | undefined {
  const m = /^pgf_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { prefix: m[1], hash: sha256(m[2]) } : undefined;
}
