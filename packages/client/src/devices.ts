/**
 * How the apps (the desktop's conflict and history views, the CLI's `history` and `conflicts`)
 * name a device. Revisions and conflict records carry the
 * clientId of the device whose edit made them; the server keeps no device names for them, so
 * this device is "this device" and any other one a short label of its clientId.
 */

/**
 * "device 3f9a2c": the LAST six hex digits of the clientId. Client ids are UUIDv7, whose
 * leading digits are a timestamp (two devices set up within a minute share their first eight);
 * the trailing ones are random.
 */
export function shortDevice(clientId: string): string {
  return `device ${clientId.replace(/-/g, '').slice(-6)}`;
}

/** "this device", "device 3f9a2c", "the server" (server-made revisions), "an unknown device". */
export function deviceLabel(clientId: string | null, me: string, madeByServer = false): string {
  if (clientId === null) return madeByServer ? 'the server' : 'an unknown device';
  if (clientId === me) return 'this device';
  return shortDevice(clientId);
}
