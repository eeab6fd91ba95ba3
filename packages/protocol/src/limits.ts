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
  /** The largest request body a server may be configured to accept (`FERRY_BODY_LIMIT_BYTES`). */
  maxBodyBytes: 64 * 1024 * 1024,
  /**
   * The largest byte budget of a pull page a server may be configured with
   * (`FERRY_PULL_PAGE_BYTES`); a page holds at most the budget plus one row.
   */
  maxPullPageBytes: 64 * 1024 * 1024,
  defaultMaxClockDriftMs: 60_000,
  minPasswordLength: 8,
  maxPasswordLength: 1024,
  maxEmailLength: 254,
} as const;
