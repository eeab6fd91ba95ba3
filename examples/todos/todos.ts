// Ferry's smallest complete app: a `todos` table, a server, two devices that each write, sync and
// end with the same list. Run it with a server of its own (PostgreSQL at DATABASE_URL, else the
// embedded default) or against a running one:  tsx todos.ts [SERVER_URL]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryTokenStore, openFerry, type Ferry } from '@ferry/client';
import { openNodeDriver } from '@ferry/client/node';
import { createServer, type RunningServer } from '@ferry/server';
import { app, type Todo } from './schema.ts';

type Device = Ferry<typeof app.tables>;

const dir = await mkdtemp(join(tmpdir(), 'ferry-todos-'));
const given = process.argv[2];
let server: RunningServer | undefined;
const devices: Device[] = [];
try {
  // No server named: start one, on DATABASE_URL's PostgreSQL, or the embedded one in `dir`.
  server = given
    ? undefined
    : await createServer({
        ...app,
        databaseUrl: process.env.DATABASE_URL || undefined,
        dataDir: join(dir, 'postgres'),
        port: 0,
      });
  const url = given ?? server!.url;

  // A device: the engine on its own SQLite file. A real app keeps the token in a store that
  // outlives the process (`fileTokenStore` from '@ferry/client/node', the OS keychain, …).
  const device = async (name: string): Promise<Device> => {
    const driver = await openNodeDriver(join(dir, `${name}.db`));
    const ferry = await openFerry({ ...app, driver, tokenStore: memoryTokenStore() });
    devices.push(ferry);
    return ferry;
  };
  const laptop = await device('laptop');
  const phone = await device('phone');

  // One account, two devices signed in to it.
  const email = `todos-${randomUUID()}@example.com`;
  const password = 'correct horse battery staple';
  await laptop.signup(url, email, password);
  await phone.login(url, email, password, 'phone');

  // Each device writes offline, to its own SQLite; `sync()` pushes its changes and pulls the others'.
  // A round: both sync, then the laptop again, to pull what the phone pushed after it.
  const round = async (): Promise<void> => {
    for (const d of [laptop, phone, laptop]) await d.sync();
  };
  const milk = await laptop.tables.todos.create({ title: 'buy milk' });
  await laptop.tables.todos.create({ title: 'write the report' });
  const plumber = await phone.tables.todos.create({ title: 'call the plumber' });
  await round();

  // Each completes a todo the other one made, then both sync again.
  await phone.tables.todos.update(milk.id, { done: 1 });
  await laptop.tables.todos.update(plumber.id, { done: 1 });
  await round();

  // Both devices now hold the same rows, with the versions the server gave them.
  const lists = await Promise.all(devices.map((d) => d.tables.todos.list()));
  const [mine, theirs] = lists.map((rows) => rows.map(show).join('\n'));
  process.stdout.write(`${mine}\n`);
  if (mine !== theirs) {
    process.stderr.write(`the devices differ; the phone has:\n${theirs}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`converged: ${lists[0]!.length} todos on both devices\n`);
  }
} finally {
  for (const d of devices) await d.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
}

function show(t: Todo): string {
  return `[${t.done ? 'x' : ' '}] ${t.title} (version ${t.version})`;
}
