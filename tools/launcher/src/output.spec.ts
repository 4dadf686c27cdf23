import { describe, expect, it } from 'vitest';
import { formatPrefix, LineBuffer, PrefixedOutput, wantsColour } from './output';

describe('LineBuffer', () => {
  it('returns whole lines and keeps a partial one until it is finished', () => {
    const lines = new LineBuffer();
    expect(lines.push('first\nsec')).toEqual(['first']);
    expect(lines.push('ond\r\nthird\n\n')).toEqual(['second', 'third', '']);
    expect(lines.push('last')).toEqual([]);
    expect(lines.flush()).toEqual(['last']);
    expect(lines.flush()).toEqual([]);
  });
});

describe('prefixes', () => {
  it('pads the name, and colours it only when asked', () => {
    expect(formatPrefix('gateway', 12)).toBe('gateway      | ');
    expect(formatPrefix('gateway', 7, 36)).toBe('\u001b[36mgateway\u001b[0m | ');
  });

  it('aligns every source to the longest name and keeps stdout and stderr apart', () => {
    const written: string[] = [];
    const output = new PrefixedOutput(
      { stdout: (text) => written.push(`out:${text}`), stderr: (text) => written.push(`err:${text}`) },
      ['launcher', 'gateway'],
      false,
    );
    output.line('gateway', 'stdout', 'listening');
    output.line('launcher', 'stderr', 'gateway failed');
    output.line('synthesizing', 'stdout', 'wider');
    output.line('gateway', 'stdout', 'again');
    expect(written).toEqual([
      'out:gateway  | listening\n',
      'err:launcher | gateway failed\n',
      'out:synthesizing | wider\n',
      'out:gateway      | again\n',
    ]);
  });

  it('colours a terminal unless NO_COLOR is set', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });
});
