import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  DeviceList,
  ErrorEnvelope,
  HistoryLimits,
  Revision,
  RevisionList,
  UUID_PATTERN,
  keepsRevisions,
} from '@ferry/protocol';
import { getRevision, listDevices, listRevisions } from '../../sync/history.ts';
import { authenticate } from '../authenticate.ts';
import type { AppDeps } from '../deps.ts';
import { fail } from '../errors.ts';
import { readSecurity } from '../security.ts';

// 403: a cookie session (the web app) from another origin (session-cookie.ts).
const errors = Object.fromEntries(
  [400, 401, 403, 404, 429, 500, 503].map((s) => [s, ErrorEnvelope]),
);

const RowParams = {
  table: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,63}$' }),
  id: Type.String({ pattern: UUID_PATTERN }),
};
// Path and query values arrive as strings (the validator does not coerce types).
const Positive = Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'a positive integer' });
const ListQuery = Type.Object({
  /** Only revisions older than this version. */
  before: Type.Optional(Positive),
  /** At most this many (default 50, at most 500). */
  limit: Type.Optional(Positive),
});

/**
 * `GET /v1/tables/:table/:id/revisions[/:version]`: a row's history, and `GET /v1/devices`: the
 * names of the devices it names (extensions, docs/protocol.md).
 */
export function historyRoutes(untyped: FastifyInstance, deps: AppDeps): void {
  // Request parts typed from the route schemas (types only: Ajv still validates).
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config } = deps;
  /** The table, when it is served and keeps revisions; else 404 (as for an unknown row). */
  const tableOf = (name: string): string => {
    const t = deps.tables.get(name)?.table;
    if (!t || !keepsRevisions(t)) fail('not_found', 'this table keeps no history');
    return t.name;
  };

  app.get(
    '/v1/tables/:table/:id/revisions',
    {
      schema: {
        tags: ['history'],
        security: readSecurity,
        params: Type.Object(RowParams),
        querystring: ListQuery,
        response: { 200: RevisionList, ...errors },
      },
    },
    async (req) => {
      const { userId } = await authenticate(deps.tokens, req, config);
      const p = req.params;
      const query = req.query;
      const table = tableOf(p.table);
      const limit = Math.min(
        Number(query.limit ?? HistoryLimits.defaultPage),
        HistoryLimits.maxPage,
      );
      const before = query.before === undefined ? null : Number(query.before);
      const page = await listRevisions(db, userId, table, p.id, before, limit);
      if (page.revisions.length === 0 && before === null)
        fail('not_found', `no ${table} row ${p.id}`);
      return page;
    },
  );

  app.get(
    '/v1/tables/:table/:id/revisions/:version',
    {
      schema: {
        tags: ['history'],
        security: readSecurity,
        params: Type.Object({ ...RowParams, version: Positive }),
        response: { 200: Revision, ...errors },
      },
    },
    async (req) => {
      const { userId } = await authenticate(deps.tokens, req, config);
      const p = req.params;
      const table = tableOf(p.table);
      const rev = await getRevision(db, userId, table, p.id, Number(p.version));
      if (rev === null) fail('not_found', `no revision ${p.version} of ${table} row ${p.id}`);
      return rev;
    },
  );

  app.get(
    '/v1/devices',
    {
      schema: {
        tags: ['history'],
        security: readSecurity,
        response: { 200: DeviceList, ...errors },
      },
    },
    async (req) => {
      const { userId } = await authenticate(deps.tokens, req, config);
      return listDevices(db, userId);
    },
  );
}
