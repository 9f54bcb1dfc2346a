/**
 * Collects every error an adapter throws in a test file, so the file can check at the end that
 * none of them leaks a secret.
 */
export class Failures {
  readonly thrown: Error[] = [];

  /** The error `p` rejects with (recorded); fails the test if it resolves. */
  async of(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (err) {
      this.thrown.push(err as Error);
      return err as Error;
    }
    throw new Error('expected the send to fail');
  }
}
