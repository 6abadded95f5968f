/** The source of "now" for every time-based decision, injected so tests can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
