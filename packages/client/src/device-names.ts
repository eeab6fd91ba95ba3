/**
 * Device names (extension, docs/protocol.md): the names the account's devices gave at login, by
 * clientId, read from `GET /v1/devices` and remembered in `app_state`, so that text conflicts
 * (whose rows carry only client ids) name their devices offline too. History entries carry the
 * name themselves.
 */
import { DeviceList, TEXT_CONFLICTS_TABLE } from '@ferry/protocol';
import type { SqlDriver, SqlTx } from './driver.ts';
import { ErrorKind, FerryError } from './errors.ts';
import { serverGet, type HistoryDeps } from './history.ts';
import { q } from './rows.ts';
import { StateKey, getState, setState } from './state.ts';

/** The devices remembered from the last answer of the server, each with its name or null. */
async function knownDevices(tx: SqlTx): Promise<Map<string, string | null>> {
  const raw = await getState(tx, StateKey.deviceNames);
  if (raw === null) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(raw) as Record<string, string | null>));
  } catch {
    return new Map();
  }
}

/** The names remembered from the last answer of the server (empty when none). */
export async function knownDeviceNames(tx: SqlTx): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [id, name] of await knownDevices(tx)) if (name !== null) out.set(id, name);
  return out;
}

/**
 * The names from the server, remembered; the remembered ones when it cannot answer (offline,
 * or a server without device names: 404).
 */
export async function fetchDeviceNames(deps: HistoryDeps): Promise<Map<string, string>> {
  let list: DeviceList;
  try {
    const res = await serverGet(deps, '/v1/devices');
    if (!deps.checks.of(DeviceList).Check(res))
      throw new FerryError(ErrorKind.protocol, 'malformed device list');
    list = res;
  } catch (e) {
    if (!(e instanceof FerryError) || e.kind === ErrorKind.protocol) throw e;
    return deps.driver.transaction((tx) => knownDeviceNames(tx));
  }
  const all = Object.fromEntries(list.devices.map((d) => [d.clientId, d.deviceName]));
  await deps.driver.transaction((tx) => setState(tx, StateKey.deviceNames, JSON.stringify(all)));
  const names = new Map<string, string>();
  for (const d of list.devices) if (d.deviceName !== null) names.set(d.clientId, d.deviceName);
  return names;
}

/** The open text conflicts that name a device (other than this one) the server never listed. */
export async function conflictsNeedingNames(driver: SqlDriver, me: string): Promise<string[]> {
  return driver.transaction(async (tx) => {
    const known = await knownDevices(tx);
    const rows = await tx.all<{
      id: string;
      kept_client_id: string | null;
      other_client_id: string | null;
    }>(
      `SELECT id, kept_client_id, other_client_id FROM ${q(TEXT_CONFLICTS_TABLE)} WHERE resolved_at IS NULL`,
    );
    const unknown = (c: string | null): boolean => c !== null && c !== me && !known.has(c);
    return rows
      .filter((r) => unknown(r.kept_client_id) || unknown(r.other_client_id))
      .map((r) => r.id);
  });
}
