/** Runs the real server in its own process for the client benchmark: `tsx server-child.ts DB_URL`; prints its URL. */
import { createServer } from '@ferry/server';
import { ferrySchema } from '@ferry/protocol';

const dbUrl = process.argv[2];
if (!dbUrl) throw new Error('usage: server-child.ts DATABASE_URL');
const server = await createServer({
  ...ferrySchema,
  port: 0,
  databaseUrl: dbUrl,
  logLevel: 'warn',
  loginFailuresPerMinute: 1000,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
