/**
 * The error a promise rejects with, for tests that inspect it (message, code, hint); fails the test when the
 * promise resolves. Shared by the packages' tests.
 */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}
