/** The time source; tests may pin it (never for anything Redis or BullMQ sees). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
