import { uuidv7 } from '@ferry/protocol';
import type { SqlDriver } from './driver.ts';
import { StateKey, setState } from './state.ts';

/**
 * `409 client_id_reused`: this database shares its clientId and seqs with a copy of itself (a
 * restored backup, a cloned laptop), and the server has seen one of our seqs carry a different
 * mutation. Take a fresh clientId; the queue stays as it is and is sent again under the new id,
 * where no seq has been used. Entries the other copy had already pushed arrive with the same
 * field stamps and come back `superseded`, so nothing is applied twice.
 */
export async function takeNewClientId(driver: SqlDriver, now: () => number): Promise<string> {
  const id = uuidv7(now());
  await driver.transaction((tx) => setState(tx, StateKey.clientId, id));
  return id;
}
