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
    const body = req.body as Buffer;
    const isJson = (req.headers['content-type'] ?? '').includes('json');
    const value = decodeValue(body, isJson ? 'json' : 'msgpack');
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new ApiError('PGFLEET_API_BAD_PARAM', 'no envelopes in the request');
    if (list.length > MAX_BATCH) throw new ApiError('PGFLEET_API_BAD_PARAM', `${list.length} envelopes in one request; the limit is ${MAX_BATCH}`);
    const envelopes: Envelope[] = [];
    const problems: string[] = [];
    let firstCode: string | undefined;
    list.forEach((v, i) => {
      try { envelopes.push(validateEnvelope(v)); } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        firstCode ??= err.code;
        problems.push(Array.isArray(value) ? `envelope ${i}: ${err.message}` : err.message);
      }
    });
    if (problems.length > 0) {
      throw new ApiError(firstCode as ApiErrorCode, `nothing stored: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    }
    const { ok, dead } = ctx.keeperCheck(envelopes);
    if (dead.length > 0) throw new ApiError(dead[0].code as ApiErrorCode, `nothing stored: ${dead.map((d) => `seq ${d.seq}: ${d.reason}`).slice(0, 5).join('; ')}`);
    let result;
    try {
      result = await ctx.keeper.ingest(ok.map((envelope) => ({ envelope, source: 'http' })), { isolate: false });
    } catch (err) {
      if (isDataError(err)) throw new ApiError('PGFLEET_API_BAD_PARAM', `nothing stored: the store refused the data: ${(err as Error).message}`);
      throw err;
    }
    return { accepted: result.accepted, duplicates: result.duplicates };
  });
}
