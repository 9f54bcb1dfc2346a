/** The time source; tests may pin it, or run it from a future instant (timers are counted on it: test/README.md, "Time"). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
