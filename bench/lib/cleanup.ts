/**
 * Everything the benchmark creates (databases, Redis keys, servers, child processes, a changed
 * Redis setting) registers how to undo it here, as soon as it exists. `run()` undoes it all in
 * reverse order, each step bounded in time and isolated from the others' failures, so a crash,
 * a timeout or Ctrl-C still leaves the machine as it was.
 */
export class Cleanup {
  private steps: Array<{ name: string; fn: () => Promise<unknown> | unknown; done: boolean }> = [];
  private running: Promise<void> | null = null;

  /** Registers an undo step; the returned function runs it early (and only once). */
  add(name: string, fn: () => Promise<unknown> | unknown): () => Promise<void> {
    const step = { name, fn, done: false };
    this.steps.push(step);
    return async () => {
      if (step.done) return;
      step.done = true;
      await fn();
    };
  }

  run(timeoutPerStepMs = 15_000): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        if (step.done) continue;
        step.done = true;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.fn),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutPerStepMs} ms`)), timeoutPerStepMs);
            }),
          ]);
        } catch (err) {
          console.error(`cleanup: ${step.name} failed: ${(err as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}
