/** The time, behind an interface so tests decide what "now" is. */
export interface Clock {
  /** Unix ms. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Injection tokens of the gateway's providers that are interfaces. */
export const GATEWAY_SETTINGS = Symbol('gateway:settings');
export const CLOCK = Symbol('gateway:clock');
export const KEY_STORE = Symbol('gateway:key-store');
export const TASK_STORE = Symbol('gateway:task-store');
export const TASK_QUEUE = Symbol('gateway:task-queue');
export const RATE_LIMITER = Symbol('gateway:rate-limiter');
export const WEBHOOK_TRANSPORT = Symbol('gateway:webhook-transport');
export const TASK_ANNOUNCER = Symbol('gateway:task-announcer');
