import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  ErrorEnvelope,
  Limits,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  CompactSyncResponse,
  SentValues,
  SyncRequest,
  SyncResponse,
  type MutationResult,
} from '@ferry/protocol';
import { checkCursor, push, userServerHlc, type PushContext } from '../../sync/push.ts';
import {
  cutPage,
  headJson,
  pull,
  syncResponseBody,
  type PageBounds,
  type PullPage,
} from '../../sync/pull.ts';
import {
  CompactAcks,
  compactGroupsBody,
  compactResponseBody,
  pullCompact,
} from '../../sync/encode-page.ts';
import { projectChanges, projectResults } from '../../sync/served.ts';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';
import { fail } from '../errors.ts';
import { writeSecurity } from '../security.ts';

const errors = Object.fromEntries(
  [400, 401, 403, 409, 410, 413, 415, 426, 429, 500, 503].map((s) => [s, ErrorEnvelope]),
);

/**
 * The body as the OpenAPI document shows it: only the versions this server serves. Validation
 * takes any integer there, so that an unserved version gets `426 upgrade_required`, as the
 * protocol says, rather than a schema `400`.
 */
function documentedSyncRequest(schema: AppDeps['schema']) {
  return Type.Object({
    ...SyncRequest.properties,
    protocol: Type.Integer({
      minimum: MIN_PROTOCOL_VERSION,
      maximum: PROTOCOL_VERSION,
      description: 'protocol version; another one is answered 426 upgrade_required',
    }),
    schemaVersion: Type.Integer({
      minimum: schema.min,
      maximum: schema.max,
      description:
        "the app's table declarations version; another one is answered 426 upgrade_required",
    }),
  });
}

/** Positions are PostgreSQL bigints. */
const MAX_POSITION = 2n ** 63n - 1n;

/** Checks what the schema cannot: versions, the cursor's range, the batch size, `seq` order. */
function checkRequest(body: SyncRequest, maxMutations: number, schema: AppDeps['schema']): void {
  if (body.protocol < MIN_PROTOCOL_VERSION || body.protocol > PROTOCOL_VERSION) {
    fail(
      'upgrade_required',
      `protocol ${body.protocol} is not served; this server speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
    );
  }
  if (body.schemaVersion < schema.min || body.schemaVersion > schema.max) {
    fail(
      'upgrade_required',
      `schemaVersion ${body.schemaVersion} is not served; this server has ${schema.min}..${schema.max}`,
    );
  }
  // (Up to 18 digits is below any bigint's maximum: no BigInt to make.)
  if (body.cursor.length > 18 && BigInt(body.cursor) > MAX_POSITION)
    fail('invalid_request', 'body/cursor is beyond any position');
  if (body.mutations.length > maxMutations) {
    fail(
      'invalid_request',
      `body/mutations has ${body.mutations.length} items; at most ${maxMutations} per request`,
    );
  }
  for (let i = 1; i < body.mutations.length; i++) {
    if (body.mutations[i]!.seq <= body.mutations[i - 1]!.seq) {
      fail(
        'invalid_request',
        `body/mutations/${i}/seq must be greater than the previous mutation's seq`,
      );
    }
  }
}

/** What a response says besides its page: the push's results and the user's stamps. */
interface Answered {
  readonly results: MutationResult[];
  readonly lastMutationSeq: number;
  readonly userHlc: string;
  readonly clock: AppDeps['clock'];
}

/**
 * The response's keys before its changes, in the protocol's order, as JSON. (A function of the module,
 * not a closure made per request: under tsx every named closure is also given its name.)
 */
function responseHead(a: Answered, page: Omit<PullPage, 'changes'>): string {
  return headJson({
    protocol: PROTOCOL_VERSION,
    results: a.results,
    lastMutationSeq: a.lastMutationSeq,
    cursor: page.cursor,
    hasMore: page.hasMore,
    serverHlc: userServerHlc(a.clock.now(), a.userHlc),
    position: page.position,
  });
}

/** `POST /v1/sync`: push, then pull, in one round trip. */
export function syncRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db, config, metrics } = deps;
  const DocumentedSyncRequest = documentedSyncRequest(deps.schema);
  const ctx: PushContext = {
    tables: deps.tables,
    clock: deps.clock,
    maxClockDriftMs: config.maxClockDriftMs,
    now: deps.now,
  };

  // Route generics, not the TypeBox type provider: the reply is the JSON text made below (rows
  // spliced in as PostgreSQL wrote them), a `string` the provider's response typing refuses. The
  // body is `Static<>` of the schema attached below.
  app.post<{ Body: SyncRequest; Reply: string }>(
    '/v1/sync',
    {
      schema: {
        tags: ['sync'],
        security: writeSecurity,
        body: SyncRequest,
        response: {
          200: Type.Union([SyncResponse, CompactSyncResponse], {
            description: 'v1; with `compact` in the request, the compact form (docs/protocol.md)',
          }),
          ...errors,
        },
      },
      config: {
        swaggerTransform: ({ schema, url }) => ({
          schema: { ...schema, body: DocumentedSyncRequest },
          url,
        }),
      },
    },
    async (req, reply) => {
      const started = performance.now();
      // Resolved before the body was read (auth-hook.ts); this reads the kept answer.
      const { userId, deviceName } =
        req.ferryCaller ?? (await authenticate(deps.tokens, req, deps.config));
      const body = req.body;
      checkRequest(body, config.maxMutationsPerRequest, deps.schema);
      // The client's schema: it is sent only the tables and fields it knows.
      const view = deps.views.get(body.schemaVersion)!;

      const bounds: PageBounds = {
        limit: Math.min(
          body.pageLimit ?? body.pullLimit ?? Limits.defaultPullLimit,
          config.maxPullLimit,
        ),
        bytes: config.pullPageBytes,
      };
      const compact = body.compact !== undefined;
      // Compact pages acknowledge the rows this request wrote instead of sending them back.
      let acks: CompactAcks | null = null;
      let results: MutationResult[] = [];
      let lastMutationSeq: number;
      let userHlc: string;
      // Set when the changes after the cursor are known without a query (see PushOutcome).
      let known: PullPage | null = null;
      if (body.mutations.length > 0) {
        const out = await db.transaction((tx) =>
          push(tx, ctx, userId, body, deviceName, view.tables),
        );
        // Its NOTIFY reaches this process too, later: the next poll must not be answered from before.
        deps.positions.changed(userId);
        metrics.mutationResults(out.counts);
        const tableOf = new Map(body.mutations.map((m) => [m.seq, m.table]));
        results = projectResults(view, out.results, (seq) => tableOf.get(seq));
        lastMutationSeq = out.lastMutationSeq;
        userHlc = out.userHlc;
        if (compact)
          acks = new CompactAcks(view.paged, out.written, new SentValues(body.mutations));
        // The rows just written, cut by the same count and byte bounds as a pull page.
        if (out.changesIfCurrent !== null)
          known = {
            ...(acks !== null
              ? acks.knownPage(body.cursor, bounds)
              : cutPage(projectChanges(view, out.changesIfCurrent), body.cursor, bounds)),
            purged: 0n,
            // The cursor was the user's position; the push moved it only if it wrote rows.
            position: out.newPosition?.toString() ?? body.cursor,
          };
      } else {
        // Usually from memory (see position-cache.ts): the common idle poll asks no query at all.
        const state = deps.positions.client(userId, body.clientId, deviceName);
        const client = state instanceof Promise ? await state : state;
        lastMutationSeq = client.lastSeq;
        userHlc = client.userHlc;
        // Up to date (the common idle poll): nothing to read.
        if (body.cursor === client.position)
          known = {
            changes: [],
            cursor: body.cursor,
            hasMore: false,
            purged: 0n,
            position: client.position,
          };
      }

      const done: Answered = { results, lastMutationSeq, userHlc, clock: deps.clock };
      // A compact page: its rows joined in PostgreSQL, the request's own writes acknowledged.
      if (known === null && compact) {
        const page = await pullCompact(
          db,
          view.compactPageSql,
          [...view.paged.values()],
          userId,
          body.cursor,
          bounds,
          acks?.range(),
        );
        checkCursor(body.cursor, page.purged);
        metrics.syncDuration((performance.now() - started) / 1000);
        void reply.type('application/json; charset=utf-8');
        const own = acks?.entries(page.acked, view.tables) ?? [];
        return compactGroupsBody(responseHead(done, page), page.groups, view.tables, own);
      }
      // A v1 page, or a compact one known without a query.
      const page = known ?? (await pull(db, view.pullSql, userId, body.cursor, bounds));
      // Checked after the pull, in the pull's own snapshot: a purge that committed before it is
      // seen here, and one that committed after it could not have hidden anything from it. (A
      // cursor equal to the user's position is never below the purged position.)
      checkCursor(body.cursor, page.purged);
      metrics.syncDuration((performance.now() - started) / 1000);
      // Pages are cut from every table (so the cursor moves on); the client gets those it knows.
      const changes = page.changes.filter((c) => view.tables.has(c.table));
      // The body is made here, with the rows' JSON spliced in as PostgreSQL wrote it (a string
      // reply with a JSON content type is sent as it is).
      void reply.type('application/json; charset=utf-8');
      return compact
        ? compactResponseBody(responseHead(done, page), changes, acks, view.tables)
        : syncResponseBody(responseHead(done, page), changes);
    },
  );
}
