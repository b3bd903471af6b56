import { Type } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { arrayItems, decodeValue, MAX_MESSAGE_BYTES, ProtocolError, validateEnvelope, type Encoding, type Envelope } from '../../../protocol/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';
import { IngestRefusedError, isDataError, senderProblem } from '../../keeper/index.ts';
import { AuthError } from '../../auth/index.ts';

/** Most envelopes in one request. */
const MAX_BATCH = 1000;

/** Largest body: an array of envelopes, each at most MAX_MESSAGE_BYTES encoded. */
export const MAX_BODY_BYTES = 8 * MAX_MESSAGE_BYTES;

/** Tries of a batch that lost a deadlock or serialisation conflict before the caller is told to retry (503). */
const MAX_CONFLICT_ATTEMPTS = 3;

/** SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure). */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * The envelopes of a body, each still to be decoded (a thunk that throws a ProtocolError).
 * A body up to MAX_MESSAGE_BYTES is decoded whole. A larger one must be an array: its
 * elements are found without decoding and decoded one by one, each held to
 * MAX_MESSAGE_BYTES, so a batch can reach MAX_BODY_BYTES while one envelope cannot.
 */
function envelopesOf(body: Uint8Array, encoding: Encoding): { isArray: boolean; items: (() => unknown)[] } {
  if (body.byteLength <= MAX_MESSAGE_BYTES) {
    const value = decodeValue(body, encoding);
    return Array.isArray(value) ? { isArray: true, items: value.map((v) => () => v) } : { isArray: false, items: [() => value] };
  }
  const parts = arrayItems(body, encoding);
  if (parts === undefined) {
    throw new ProtocolError('PGFLEET_PROTOCOL_TOO_LARGE', `message is ${body.byteLength} bytes, the limit is ${MAX_MESSAGE_BYTES} per envelope `
      + `(an array of envelopes may take up to ${MAX_BODY_BYTES} bytes)`);
  }
  return { isArray: true, items: parts.map((p) => () => decodeValue(p, encoding)) };
}

export default async function ingestRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // The body is decoded here, not by Fastify, so JSON and MessagePack fail the same way;
  // any other content type is answered 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/msgpack', 'application/x-msgpack', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  app.post('/api/v1/ingest', {
    config: { access: 'agent', audit: false },
    schema: {
      tags: ['ingest'], summary: 'Store one envelope or an array of envelopes (JSON or MessagePack); answers after commit',
      consumes: ['application/json', 'application/msgpack'],
      response: {
        200: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }),
        400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply), 415: Type.Ref(ErrorReply),
      },
    },
    // An agent's own credential (from enrollment) binds every envelope to its id and namespace; the
    // server's --ingest-token is for a trusted forwarder that sends for many agents. Nothing else gets in.
    preHandler: async (req) => {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (given.startsWith('pga_')) {
        req.agentIdentity = await ctx.agentAuth.identify(given);
        if (!req.agentIdentity) throw new ApiError('PGFLEET_API_UNAUTHORIZED', 'the agent credential is not valid (unknown or revoked): enroll the agent again');
        return;
      }
      const a = Buffer.from(given);
      const b = Buffer.from(ctx.ingestToken ?? '');
      if (!given || !ctx.ingestToken || a.length !== b.length || !timingSafeEqual(a, b)) {
        throw new ApiError('PGFLEET_API_UNAUTHORIZED', given ? 'the ingest token is not valid' : 'ingest needs a token: Authorization: Bearer <the agent\'s credential from enrollment, or the server\'s --ingest-token>');
      }
    },
  }, async (req) => {
    // Fastify parses no body when there is none (no content type needed): that is an empty message.
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    // Media types are case-insensitive (RFC 9110), and Fastify matched this parser ignoring case.
    const isJson = (req.headers['content-type'] ?? '').toLowerCase().includes('json');
    const { isArray, items } = envelopesOf(body, isJson ? 'json' : 'msgpack');
    if (items.length === 0) throw new ApiError('PGFLEET_API_BAD_PARAM', 'no envelopes in the request');
    if (items.length > MAX_BATCH) throw new ApiError('PGFLEET_API_BAD_PARAM', `${items.length} envelopes in one request; the limit is ${MAX_BATCH}`);
    const envelopes: Envelope[] = [];
    const indexOf: number[] = [];
    const problems: { i: number; code: string; reason: string }[] = [];
    items.forEach((item, i) => {
      try { envelopes.push(validateEnvelope(item())); indexOf.push(i); } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        problems.push({ i, code: err.code, reason: err.message });
      }
    });
    // The checks that need the server's clock and settings, on the envelopes that passed, so every bad one is named at once.
    // The keeper checks again with the same time: what passes here is never dead-lettered there.
    const now = Date.now();
    const refuse = (list: { i: number; code: string; reason: string }[]): ApiError => {
      list.sort((a, b) => a.i - b.i);
      const named = list.slice(0, 5).map((p) => (isArray ? `envelope ${p.i}: ${p.reason}` : p.reason));
      return new ApiError(list[0].code as ApiErrorCode, `nothing stored: ${named.join('; ')}${list.length > 5 ? `; and ${list.length - 5} more` : ''}`);
    };
    // Sent with an agent's credential: every envelope is that agent's, or nothing is stored.
    const identity = req.agentIdentity;
    if (identity) {
      const wrong = envelopes.map((e, k) => ({ k, problem: senderProblem(e, identity) })).filter((x) => x.problem);
      if (wrong.length) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', `nothing stored: ${wrong.slice(0, 3).map((w) => (isArray ? `envelope ${indexOf[w.k]}: ${w.problem}` : w.problem)).join('; ')}`);
    }
    const { ok, dead } = ctx.keeperCheck(envelopes, now);
    for (const d of dead) problems.push({ i: indexOf[d.index!], code: d.code, reason: d.reason });
    if (problems.length > 0) throw refuse(problems);
    for (let attempt = 1; ; attempt++) {
      try {
        // Every envelope passed: `ok` is `envelopes`, in order.
        const result = await ctx.keeper.ingest(ok.map((envelope) => ({ envelope, source: 'http', ...(identity ? { sender: identity } : {}) })), { isolate: false, now });
        return { accepted: result.accepted, duplicates: result.duplicates };
      } catch (err) {
        // Refused by the keeper's own checks (none today that this route did not run first): a 400 like the others.
        if (err instanceof IngestRefusedError) throw refuse(err.refused.map((r) => ({ i: indexOf[r.index], code: r.code, reason: r.reason })));
        if (isDataError(err)) throw new ApiError('PGFLEET_API_BAD_PARAM', `nothing stored: the store refused the data: ${(err as Error).message}`);
        // A deadlock or serialisation failure only means a concurrent transaction won: the batch was rolled back and is
        // idempotent (dedup on (agent, seq)), so it is run again. Batches lock the agent and instance rows they update
        // in one order, and so cannot deadlock with each other; the worker's jobs (rollup marks, compaction, retention)
        // and the keeper's last-seen updates take their locks in orders of their own, which a batch can still lose to.
        if (!isConflict(err) || attempt === MAX_CONFLICT_ATTEMPTS) throw err;
      }
    }
  });
}
