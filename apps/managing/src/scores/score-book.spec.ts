import { describe, expect, it } from 'vitest';
import { ManualClock, minerHotkey, silentLogger } from '../../test/fixtures';
import { type Miner, minerKeyOf } from '../registry/miner-registry';
import { ScoreBook, type ScoresSource } from './score-book';

function miner(uid: number, variant = 0): Miner {
  const hotkey = minerHotkey(uid, variant);
  return { uid, hotkey, axon: { ip: '10.0.0.1', port: 8091, protocol: 4 }, key: minerKeyOf(uid, hotkey) };
}

class FakeScores implements ScoresSource {
  asked: string[] = [];
  answer: { uid: number; hotkey: string; score: number }[] | Error = new Error('scoring did not answer');

  minerScores(taskType: string) {
    this.asked.push(taskType);
    return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer);
  }
}

function setup() {
  const clock = new ManualClock();
  const source = new FakeScores();
  const book = new ScoreBook({ source, refreshMs: 30_000, logger: silentLogger(), clock: clock.now });
  return { clock, source, book };
}

describe('the score book', () => {
  it('counts every miner the same until scoring answers, asking in the background', async () => {
    const { source, book } = setup();
    const view = book.scoresFor('arithmetic');
    expect(view.uniform).toBe(true);
    expect(view.of(miner(1))).toBe(1);
    expect(source.asked).toEqual(['arithmetic']);
    await book.refresh('arithmetic');
    expect(book.scoresFor('arithmetic').uniform).toBe(true);
  });

  it("uses scoring's answer, 0 for miners it has not scored and for a uid's previous hotkey", async () => {
    const { source, book } = setup();
    source.answer = [
      { uid: 1, hotkey: minerHotkey(1), score: 0.9 },
      { uid: 2, hotkey: minerHotkey(2, 1), score: 0.4 },
    ];
    await book.refresh('arithmetic');
    const view = book.scoresFor('arithmetic');
    expect(view.uniform).toBe(false);
    expect(view.of(miner(1))).toBe(0.9);
    expect(view.of(miner(2))).toBe(0);
    expect(view.of(miner(2, 1))).toBe(0.4);
    expect(view.of(miner(3))).toBe(0);
    expect([...book.known().keys()]).toEqual(['arithmetic']);
  });

  it('asks again once the scores are stale, and falls back to uniform when scoring stops answering', async () => {
    const { clock, source, book } = setup();
    source.answer = [{ uid: 1, hotkey: minerHotkey(1), score: 0.9 }];
    await book.refresh('summarization');
    book.scoresFor('summarization');
    expect(source.asked).toHaveLength(1);
    clock.advance(30_000);
    source.answer = new Error('scoring did not answer scores.miners within 1000 ms');
    book.scoresFor('summarization');
    expect(source.asked).toHaveLength(2);
    await book.refresh('summarization');
    expect(book.scoresFor('summarization').uniform).toBe(true);
  });

  it('treats an answer with no miner scored as no answer', async () => {
    const { source, book } = setup();
    source.answer = [];
    await book.refresh('arithmetic');
    expect(book.scoresFor('arithmetic').uniform).toBe(true);
  });
});
