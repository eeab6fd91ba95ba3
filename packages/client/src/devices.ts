/**
 * How the apps (the desktop's conflict and history views, the CLI's `history` and `conflicts`)
 * name a device. Revisions and conflict records carry the clientId of the device whose edit made
 * them, and the server links a clientId to the name its login gave (device names, see
 * docs/protocol.md): this device is "this device", another one its name with the short label
 * (two devices may give the same name), or only the short label when it gave none.
 */

/** The last six hex digits of a clientId: the random end of a UUIDv7. */
function randomEnd(clientId: string): string {
  return clientId.replace(/-/g, '').slice(-6);
}

/**
 * "device 3f9a2c": the LAST six hex digits of the clientId. Client ids are UUIDv7, whose
 * leading digits are a timestamp (two devices set up within a minute share their first eight);
 * the trailing ones are random.
 */
export function shortDevice(clientId: string): string {
  return `device ${randomEnd(clientId)}`;
}

/** What is known of the device besides its clientId. */
export interface DeviceLabelOptions {
  /** The entry was made by the server (a revision with no client): "the server". */
  madeByServer?: boolean;
  /** The name the device's login gave (history entries, text conflicts), if any. */
  name?: string | null | undefined;
}

/**
 * "this device", "Ana's phone (3f9a2c)", "device 3f9a2c" (no name known), "the server"
 * (server-made revisions), "an unknown device".
 */
export function deviceLabel(
  clientId: string | null,
  me: string,
  opts: DeviceLabelOptions = {},
): string {
  if (clientId === null) return opts.madeByServer ? 'the server' : 'an unknown device';
  if (clientId === me) return 'this device';
  const name = opts.name?.trim();
  return name ? `${name} (${randomEnd(clientId)})` : shortDevice(clientId);
}
