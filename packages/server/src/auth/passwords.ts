import { hash, verify } from '@node-rs/argon2';

/** Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1). */
const PARAMS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum, not importable here) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hashes a password (Argon2id, random salt, PHC string). */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** True when `password` matches `phc`. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Verifies against a throwaway hash, so a login for an unknown email costs as much time as a
 * wrong password and the response time does not tell which emails exist.
 */
export async function dummyVerify(password: string): Promise<void> {
  dummy ??= hashPassword('ferry-dummy-password');
  await verifyPassword(await dummy, password);
}
