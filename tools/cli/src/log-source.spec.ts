import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@vstack/local-infra';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followFile, lastLines, LineSplitter } from './log-source';

describe('log files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vstack-logs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the last lines of a file', async () => {
    const path = join(dir, 'gateway.log');
    await writeFile(path, 'one\ntwo\r\nthree\nfour\n');
    expect(await lastLines(path, 2)).toEqual({ lines: ['three', 'four'], size: 20 });
    expect((await lastLines(path, Number.POSITIVE_INFINITY)).lines).toEqual(['one', 'two', 'three', 'four']);
    expect((await lastLines(path, 0)).lines).toEqual([]);
  });

  it('follows appended lines, holds back a half-written one, and starts again after truncation', async () => {
    const path = join(dir, 'scoring.log');
    await writeFile(path, 'old\n');
    const seen: string[] = [];
    const stop = new AbortController();
    const following = followFile(path, 4, (line) => seen.push(line), { signal: stop.signal, pollMs: 20 });
    try {
      await appendFile(path, 'first\nsec');
      await waitFor(() => seen.length >= 1, { timeoutMs: 5_000, intervalMs: 10, description: 'first line' });
      await appendFile(path, 'ond — é\n');
      await waitFor(() => seen.length >= 2, { timeoutMs: 5_000, intervalMs: 10, description: 'second line' });
      await writeFile(path, 'new run\n');
      await waitFor(() => seen.length >= 3, {
        timeoutMs: 5_000,
        intervalMs: 10,
        description: 'after truncation',
      });
    } finally {
      stop.abort();
      await following;
    }
    expect(seen).toEqual(['first', 'second — é', 'new run']);
  });

  it('splits text into lines across chunks', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('a\nb')).toEqual(['a']);
    expect(splitter.push('c\r\n')).toEqual(['bc']);
    expect(splitter.push('tail')).toEqual([]);
    expect(splitter.flush()).toEqual(['tail']);
  });
});
