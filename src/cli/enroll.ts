import { Type, type Static } from '@sinclair/typebox';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import type { FieldSpec } from './config.ts';

export const EnrollConfig = Type.Object({
  server: Type.String({ default: '' }),
  token: Type.String({ default: '' }),
  id: Type.String({ default: '' }),
  dir: Type.String({ default: '.' }),
}, { additionalProperties: false });
export type EnrollConfig = Static<typeof EnrollConfig>;

export const ENROLL_FIELDS: FieldSpec[] = [
  { key: 'server', flag: 'server', env: 'PGFLEET_SERVER_URL', type: 'string', description: 'the pgfleet server (https://…)' },
  { key: 'token', flag: 'token', env: 'PGFLEET_ENROLL_TOKEN', type: 'string', description: "the namespace's enrollment token (pge_…), from its admin" },
  { key: 'id', flag: 'id', env: 'PGFLEET_AGENT_ID', type: 'string', description: 'the agent id to register' },
  { key: 'dir', flag: 'dir', env: 'PGFLEET_AGENT_DIR', type: 'string', description: "where to write the agent's credential and NATS key (readable by their owner only)" },
];

/**
 * Registers this agent: makes its NATS key pair here (the seed never leaves this machine), sends
 * the public key with the enrollment token, and keeps the credential the server answers.
 */
export async function runEnroll(cfg: EnrollConfig): Promise<number> {
  const problems = [
    // The token and the credential cross the network: https, or http to this machine only.
    ...(!/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(cfg.server) ? ['--server: the pgfleet server, https://host:port (http only to this machine)'] : []),
    ...(!cfg.token.startsWith('pge_') ? ['--token: the enrollment token (pge_…) from an admin of the namespace'] : []),
    ...(!/^[A-Za-z0-9_-]{1,100}$/.test(cfg.id) ? ['--id: the agent id (letters, digits, _ and -)'] : []),
  ];
  if (problems.length) { process.stderr.write(`pgfleet enroll:\n${problems.map((p) => `  ${p}`).join('\n')}\n`); return 2; }
  const dir = resolve(cfg.dir);
  const credentialFile = join(dir, `${cfg.id}.credential`);
  const nkeyFile = join(dir, `${cfg.id}.nk`);
  const commandKeyFile = join(dir, `${cfg.id}.command-key.pem`);
  if (existsSync(credentialFile)) { process.stderr.write(`pgfleet enroll: ${credentialFile} exists: this agent is enrolled already (revoke it on the server to enroll again)\n`); return 1; }
  // The folder first: a credential the server made must not be lost to a folder that cannot be written.
  try { mkdirSync(dir, { recursive: true, mode: 0o700 }); writeFileSync(join(dir, '.pgfleet-write-test'), ''); rmSync(join(dir, '.pgfleet-write-test')); } catch (err) {
    process.stderr.write(`pgfleet enroll: cannot write to ${dir}: ${(err as Error).message}\n`);
    return 1;
  }
  const key = createUser();
  let res: Response;
  try {
    res = await fetch(`${cfg.server.replace(/\/$/, '')}/api/v1/agents/enroll`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: cfg.token, agent: cfg.id, nkey: key.getPublicKey() }),
    });
  } catch (err) {
    process.stderr.write(`pgfleet enroll: cannot reach ${cfg.server}: ${(err as Error).message}\n`);
    return 1;
  }
  const body = await res.json().catch(() => ({})) as { credential?: string; namespace?: string; commandKey?: string; message?: string };
  if (res.status !== 201 || !body.credential) { process.stderr.write(`pgfleet enroll: refused (${res.status}): ${body.message ?? 'no answer'}\n`); return 1; }
  for (const [file, text] of [[nkeyFile, new TextDecoder().decode(key.getSeed())], [credentialFile, body.credential]] as const) {
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  // The server's public key: the agent runs only commands it signed.
  if (body.commandKey) writeFileSync(commandKeyFile, body.commandKey, { mode: 0o644 });
  process.stdout.write([
    `enrolled ${cfg.id} in namespace ${body.namespace}`,
    `  credential (HTTPS ingest): ${credentialFile}`,
    `  NATS key seed:             ${nkeyFile}`,
    ...(body.commandKey ? [`  server's command key:      ${commandKeyFile}`] : []),
    'run the agent with:',
    `  pgfleet agent --id ${cfg.id} --namespace ${body.namespace} --server ${cfg.server} --token-file ${credentialFile}${body.commandKey ? ` --command-key-file ${commandKeyFile}` : ''} …`,
    `  pgfleet agent --id ${cfg.id} --namespace ${body.namespace} --nats <urls> --nats-nkey-file ${nkeyFile}${body.commandKey ? ` --command-key-file ${commandKeyFile}` : ''} …`,
    '',
  ].join('\n'));
  return 0;
}
