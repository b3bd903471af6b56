// A self-signed certificate for TLS tests (Debian's openssl: .ci/run installs it).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `<name>-cert.pem` and `<name>-key.pem` in `dir`, valid a day for the given subject alternative names. */
export function selfSignedCert(dir: string, name: string, altNames = 'IP:127.0.0.1'): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', `subjectAltName=${altNames}`, '-keyout', key, '-out', cert], { stdio: 'pipe' });
  return { cert, key };
}
