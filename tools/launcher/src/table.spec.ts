import { describe, expect, it } from 'vitest';
import { renderTable } from './table';

describe('renderTable', () => {
  it('aligns columns', () => {
    expect(
      renderTable([
        ['app', 'url'],
        ['synthesizing', 'http://127.0.0.1:3004'],
        ['gateway', 'http://127.0.0.1:3000'],
      ]),
    ).toBe(
      [
        '  app           url',
        '  synthesizing  http://127.0.0.1:3004',
        '  gateway       http://127.0.0.1:3000',
      ].join('\n'),
    );
  });
});
