import { Type } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { decodeValue, MAX_MESSAGE_BYTES, ProtocolError, validateEnvelope, type Envelope } from '../../../protocol/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';
import { isDataError } from '../../keeper/index.ts';

/** Most envelopes in one request. */
const MAX_BATCH = 1000;

/** Tries of a batch that lost a deadlock or serialisation conflict before the caller is told to retry (503). */
const MAX_CONFLICT_ATTEMPTS = 3;

/** SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure). */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * HTTPS ingest for installs without a broker: the same envelopes as on NATS.
 * A request is all or nothing: one bad envelope gets a 400 naming it, and
 * nothing of the request is stored.
 */
export default async function ingestRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // The body is decoded here, not by Fastify, so JSON and MessagePack fail the same way;
  // any other content type is answered 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/msgpack', 'application/x-msgpack', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: 8 * MAX_MESSAGE_BYTES }, (_req, body, done) => done(null, body));

  app.post('/api/v1/ingest', {
    schema: {
      tags: ['ingest'], summary: 'Store one envelope or an array of envelopes (JSON or MessagePack); answers after commit',
      consumes: ['application/json', 'application/msgpack'],
      response: {
        200: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }),
        400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply), 415: Type.Ref(ErrorReply),
      },
    },
    preHandler: async (req) => {
      if (!ctx.ingestToken) return;
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const a = Buffer.from(given);
      const b = Buffer.from(ctx.ingestToken);
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        throw new ApiError('PGFLEET_API_UNAUTHORIZED', given ? 'the ingest token is not valid' : 'ingest needs a token: Authorization: Bearer <token> (pgfleet agent --token)');
      }
    },
  }, async (req) => {
    // Fastify parses no body when there is none (no content type needed): that is an empty message.
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    // Media types are case-insensitive (RFC 9110), and Fastify matched this parser ignoring case.
    const isJson = (req.headers['content-type'] ?? '').toLowerCase().includes('json');
    const value = decodeValue(body, isJson ? 'json' : 'msgpack');
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new ApiError('PGFLEET_API_BAD_PARAM', 'no envelopes in the request');
    if (list.length > MAX_BATCH) throw new ApiError('PGFLEET_API_BAD_PARAM', `${list.length} envelopes in one request; the limit is ${MAX_BATCH}`);
    const envelopes: Envelope[] = [];
    const indexOf: number[] = [];
    const problems: { i: number; code: string; reason: string }[] = [];
    list.forEach((v, i) => {
      try { envelopes.push(validateEnvelope(v)); indexOf.push(i); } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        problems.push({ i, code: err.code, reason: err.message });
      }
    });
    // The checks that need the server's clock and settings, on the envelopes that passed, so every bad one is named at once.
    const { ok, dead } = ctx.keeperCheck(envelopes);
    if (dead.length > 0) {
      const passed = new Set(ok);
      const failed = envelopes.flatMap((env, j) => (passed.has(env) ? [] : [indexOf[j]]));
      dead.forEach((d, k) => problems.push({ i: failed[k], code: d.code, reason: d.reason }));
      problems.sort((a, b) => a.i - b.i);
    }
    if (problems.length > 0) {
      const named = problems.slice(0, 5).map((p) => (Array.isArray(value) ? `envelope ${p.i}: ${p.reason}` : p.reason));
      throw new ApiError(problems[0].code as ApiErrorCode, `nothing stored: ${named.join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await ctx.keeper.ingest(ok.map((envelope) => ({ envelope, source: 'http' })), { isolate: false });
        return { accepted: result.accepted, duplicates: result.duplicates };
      } catch (err) {
        if (isDataError(err)) throw new ApiError('PGFLEET_API_BAD_PARAM', `nothing stored: the store refused the data: ${(err as Error).message}`);
        // A deadlock or serialisation failure only means a concurrent batch won (requests carrying several agents lock
        // their rows in message order). The batch was rolled back and is idempotent (dedup on (agent, seq)): run it again.
        if (!isConflict(err) || attempt === MAX_CONFLICT_ATTEMPTS) throw err;
      }
    }
  });
}
