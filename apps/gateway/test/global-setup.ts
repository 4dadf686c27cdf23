import { buildApp } from '@vstack/testing';

/** Builds the gateway once for the test files that run it as a process. */
export default function setup(): void {
  buildApp('gateway');
}
