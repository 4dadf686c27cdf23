import { describe, expect, it } from 'vitest';
import { parseLauncherArgs } from './options';

describe('parseLauncherArgs', () => {
  it('starts everything and migrates by default', () => {
    expect(parseLauncherArgs([])).toEqual({
      only: undefined,
      migrate: true,
      dataDir: undefined,
      readyTimeoutMs: 60_000,
      help: false,
    });
  });

  it('reads --only lists, repeated or comma-separated, without duplicates', () => {
    expect(parseLauncherArgs(['--only', 'gateway,scoring', '--only', ' devnet ,gateway']).only).toEqual([
      'gateway',
      'scoring',
      'devnet',
    ]);
  });

  it('reads --no-migrate, --data-dir and --ready-timeout', () => {
    expect(
      parseLauncherArgs(['--no-migrate', '--data-dir', '.vstack/pg', '--ready-timeout', '2.5']),
    ).toMatchObject({
      migrate: false,
      dataDir: '.vstack/pg',
      readyTimeoutMs: 2_500,
    });
  });

  it('refuses unknown options and bad values', () => {
    expect(() => parseLauncherArgs(['--onyl', 'gateway'])).toThrow(/onyl/);
    expect(() => parseLauncherArgs(['--only', ','])).toThrow('--only needs at least one app name');
    expect(() => parseLauncherArgs(['--ready-timeout', 'soon'])).toThrow(
      /--ready-timeout must be a positive number/,
    );
  });
});
