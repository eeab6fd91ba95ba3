/** An error handler for the UI's state under test: any error it is given fails the test. */
export const rethrow = (e: unknown): never => {
  throw e;
};
