import { type RandomSource, randomInt, randomPick } from '@vstack/protocol';

/** What a garbage answer's body is. Every kind goes out as a 200 under a JSON content type. */
export enum GarbageKind {
  /** Bytes no JSON parser takes (they are not even UTF-8). */
  NotJson = 'not_json',
  /** Well-formed JSON no task type's response schema takes: an array, or an object of unknown fields. */
  WrongShape = 'wrong_shape',
  /** The reference answer's JSON, cut off part way. */
  Truncated = 'truncated',
}

/** Every garbage kind, in the order the random draw picks from. */
export const garbageKinds: readonly GarbageKind[] = [
  GarbageKind.NotJson,
  GarbageKind.WrongShape,
  GarbageKind.Truncated,
];

/** A 200 answer that is not an answer: its bytes are sent as they are, never serialized. */
export class GarbageAnswer {
  constructor(
    readonly kind: GarbageKind,
    readonly bytes: Buffer,
  ) {}
}

// 0xFF never occurs in UTF-8, so no JSON text can hold it, whatever bytes follow.
const NOT_UTF8 = 0xff;

/**
 * A garbage answer of a kind drawn from `random`, built from the reference answer where the kind needs one. The
 * reference is a JSON object, so any proper prefix of its JSON is unparseable.
 */
export function garbageAnswer(reference: object, random: RandomSource): GarbageAnswer {
  const kind = randomPick(random, garbageKinds);
  switch (kind) {
    case GarbageKind.NotJson: {
      const bytes = Buffer.alloc(randomInt(random, 8, 64));
      bytes[0] = NOT_UTF8;
      for (let i = 1; i < bytes.length; i += 1) bytes[i] = randomInt(random, 0, 255);
      return new GarbageAnswer(kind, bytes);
    }
    case GarbageKind.WrongShape: {
      const shape: unknown = random() < 0.5 ? [reference] : { unexpected: true };
      return new GarbageAnswer(kind, Buffer.from(JSON.stringify(shape)));
    }
    case GarbageKind.Truncated: {
      const json = Buffer.from(JSON.stringify(reference));
      return new GarbageAnswer(kind, json.subarray(0, randomInt(random, 1, json.length - 1)));
    }
  }
}
