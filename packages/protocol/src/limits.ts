/** Limits the contract sets; servers may be configured lower, never higher. */
export const Limits = {
  maxMutationsPerRequest: 500,
  defaultPullLimit: 500,
  maxPullLimit: 1000,
  /**
   * Extension `pageLimit` (docs/protocol.md, "Larger pages"): the most changes a page may hold
   * when the request asks for more than `maxPullLimit`, and what the engine asks for.
   */
  maxPageLimit: 10_000,
  defaultPageLimit: 5000,
  defaultBodyBytes: 8 * 1024 * 1024,
  defaultMaxClockDriftMs: 60_000,
  minPasswordLength: 8,
  maxPasswordLength: 1024,
  maxEmailLength: 254,
} as const;
