import { usage } from './errors.ts';

/**
 * Reads the password: `FERRY_PASSWORD` if set, else standard input — the first line of a pipe,
 * or typed at a terminal with echo off. Never a flag: flags end up in shell history and `ps`.
 */
export async function readPassword(
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
): Promise<string> {
  const fromEnv = env.FERRY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const password = stdin.isTTY ? await readHidden(stdin, stderr) : firstLine(await readAll(stdin));
  if (password === '') throw usage('no password: set FERRY_PASSWORD or pass it on standard input');
  return password;
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl === -1 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

async function readAll(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Prompts on the terminal in raw mode, so the characters are never echoed. */
function readHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    // Raw mode before the prompt: typing right after it must never be echoed by the terminal.
    stdin.setRawMode(true);
    stderr.write('Password: ');
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err: Error | null): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(usage('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
