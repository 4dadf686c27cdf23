import { describe, expect, it } from 'vitest';
import { VersionedState } from './state';

function block(state: VersionedState, number: number, writes: Record<string, string | null>) {
  state.begin();
  for (const [key, value] of Object.entries(writes))
    state.write(key as `0x${string}`, value as `0x${string}` | null);
  return state.commitBlock(number);
}

describe('versioned state', () => {
  it('answers reads at any block and keeps only real changes', () => {
    const state = new VersionedState();
    block(state, 0, { '0xaa01': '0x01', '0xaa02': '0x02' });
    const changes = block(state, 1, { '0xaa01': '0x03', '0xaa02': '0x02', '0xbb': '0x04' });
    block(state, 2, { '0xaa01': null });
    expect(changes).toEqual([
      ['0xaa01', '0x03'],
      ['0xbb', '0x04'],
    ]);
    expect(state.readAt('0xaa01', 0)).toBe('0x01');
    expect(state.readAt('0xaa01', 1)).toBe('0x03');
    expect(state.readAt('0xaa01', 2)).toBeUndefined();
    expect(state.readAt('0xbb', 0)).toBeUndefined();
    expect(state.keysAt('0xaa', 1)).toEqual(['0xaa01', '0xaa02']);
    expect(state.keysAt('0xaa', 2)).toEqual(['0xaa02']);
    expect(state.keysAt('0x', 1, '0xaa01', 1)).toEqual(['0xaa02']);
  });

  it('rolls an extrinsic’s layer back without touching the block’s other writes', () => {
    const state = new VersionedState();
    state.begin();
    state.write('0x01', '0x01');
    state.begin();
    state.write('0x01', '0x02');
    state.write('0x02', '0x02');
    expect(state.read('0x01')).toBe('0x02');
    state.rollback();
    expect(state.read('0x01')).toBe('0x01');
    expect(state.keys('0x0')).toEqual(['0x01']);
    state.commitBlock(0);
    expect(state.readAt('0x02', 0)).toBeUndefined();
  });
});
