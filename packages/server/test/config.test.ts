import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, SETTINGS, loadConfig, usage } from '../src/index.ts';

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:8787, the embedded database and the XDG data dir', () => {
    const c = loadConfig({ HOME: '/home/x' }, []);
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8787);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.bodyLimitBytes).toBe(8 * 1024 * 1024);
    expect(c.maxClockDriftMs).toBe(60_000);
    expect(loadConfig({ XDG_DATA_HOME: '/xdg' }, []).dataDir).toBe('/xdg/ferry/server');
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://a@b/c',
      FERRY_DATA_DIR: '/d',
      LOG_LEVEL: 'debug',
    };
    const c = loadConfig(env, ['--port', '9001', '--data-dir=/e', '--max-mutations', '100']);
    expect(c).toMatchObject({
      port: 9001,
      host: '0.0.0.0',
      databaseUrl: 'postgres://a@b/c',
      dataDir: '/e',
      logLevel: 'debug',
      maxMutationsPerRequest: 100,
    });
  });

  it('refuses bad values, unknown flags and half a TLS pair', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, [])).toThrow(ConfigError);
    expect(() => loadConfig({}, ['--port', '70000'])).toThrow(/between/);
    expect(() => loadConfig({}, ['--frobnicate'])).toThrow(/unknown argument/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, [])).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({}, ['--max-mutations', '501'])).toThrow(ConfigError);
    expect(() => loadConfig({ FERRY_TLS_CERT: '/c.pem' }, [])).toThrow(/TLS/);
  });

  it('refuses timeouts in an order that cannot work', () => {
    expect(() => loadConfig({ FERRY_HEADERS_TIMEOUT_MS: '70000' }, [])).toThrow(/headers timeout/);
    expect(() => loadConfig({}, ['--idle-timeout-ms', '20000'])).toThrow(/heartbeat/);
    expect(loadConfig({}, ['--idle-timeout-ms', '0']).idleTimeoutMs).toBe(0);
    expect(loadConfig({}, []).requestTimeoutMs).toBe(60_000);
  });

  it('is documented: docs/server.md and --help list every setting', () => {
    const doc = readFileSync(new URL('../../../docs/server.md', import.meta.url), 'utf8');
    for (const setting of SETTINGS) {
      expect(doc).toContain(`\`${setting.env}\``);
      expect(doc).toContain(`\`${setting.flag}\``);
      expect(usage()).toContain(setting.flag);
    }
  });
});
