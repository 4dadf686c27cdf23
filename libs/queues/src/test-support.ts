import '@vstack/testing';

/** Resolves when `release` is called; lets a test hold a job in a handler. */
export function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}
