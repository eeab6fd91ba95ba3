import { ErrorKind, FerryError } from '@ferry/client';
import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, toCliError } from '../src/errors.ts';

// Every engine error kind lands on a documented exit code (docs/cli.md, "Exit codes").
describe('toCliError', () => {
  const cases: [string, number][] = [
    [ErrorKind.network, ExitCode.unreachable],
    [ErrorKind.server, ExitCode.unreachable],
    [ErrorKind.rateLimited, ExitCode.unreachable],
    [ErrorKind.unauthorized, ExitCode.auth],
    [ErrorKind.invalidCredentials, ExitCode.auth],
    [ErrorKind.forbidden, ExitCode.auth],
    [ErrorKind.noServer, ExitCode.auth],
    [ErrorKind.emailTaken, ExitCode.refused],
    [ErrorKind.badRequest, ExitCode.refused],
    [ErrorKind.upgradeRequired, ExitCode.refused],
    [ErrorKind.wrongAccount, ExitCode.refused],
    [ErrorKind.notFound, ExitCode.notFound],
    [ErrorKind.invalidInput, ExitCode.usage],
    [ErrorKind.insecureUrl, ExitCode.usage],
    [ErrorKind.resyncRequired, ExitCode.incomplete],
    [ErrorKind.protocol, ExitCode.failure],
    [ErrorKind.closed, ExitCode.failure],
  ];
  for (const [kind, code] of cases) {
    it(`${kind} -> ${code}`, () => {
      expect(toCliError(new FerryError(kind as ErrorKind, 'boom')).exitCode).toBe(code);
    });
  }

  it('gives every engine error kind, including ones added later, a documented non-zero code', () => {
    const documented = new Set<number>(Object.values(ExitCode));
    for (const kind of Object.values(ErrorKind)) {
      const code = toCliError(new FerryError(kind, 'boom')).exitCode;
      expect(documented.has(code) && code !== ExitCode.ok, kind).toBe(true);
    }
  });

  it('keeps CliErrors, and treats unknown throwables as failures', () => {
    const e = new CliError('usage', 'bad');
    expect(toCliError(e)).toBe(e);
    expect(toCliError(new Error('disk on fire')).exitCode).toBe(ExitCode.failure);
    expect(
      toCliError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))
        .exitCode,
    ).toBe(ExitCode.unreachable);
  });

  it('says how to sign in when not signed in', () => {
    expect(toCliError(new FerryError(ErrorKind.unauthorized, 'not signed in')).message).toMatch(
      /ferry login --server URL --email E/,
    );
  });
});
