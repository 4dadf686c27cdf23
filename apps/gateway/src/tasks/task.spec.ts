import { describe, expect, it } from 'vitest';
import { newTaskId } from './task';
import { isUuid } from './task-view';

describe('newTaskId', () => {
  it('is a version 7 UUID that starts with its creation time, so later ids sort after earlier ones', () => {
    const at = Date.UTC(2026, 10, 22, 8, 0, 0);
    const id = newTaskId(at);
    expect(isUuid(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(newTaskId(at + 1) > id).toBe(true);
  });

  it('gives a different id to every task made in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newTaskId(1_000)));
    expect(ids.size).toBe(10_000);
  });
});
