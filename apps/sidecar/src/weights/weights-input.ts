import { putWeightsRequestSchema } from '@vstack/sidecar-client';
import { SidecarError, SidecarErrorCode } from '../errors';

/** The most weights one request may carry, whatever the subnet's size. */
export const MAX_WEIGHTS_ENTRIES = 10_000;

/** The most jobs one history request returns, and how many when it does not say. */
export const MAX_HISTORY_LIMIT = 1_000;
export const DEFAULT_HISTORY_LIMIT = 100;

function invalidWeights(message: string): SidecarError {
  return new SidecarError(SidecarErrorCode.InvalidWeights, message);
}

function invalidRequest(message: string): SidecarError {
  return new SidecarError(SidecarErrorCode.InvalidRequest, message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The weights of a PUT body (`{"weights": {"<hotkey>": <weight>}}`), checked one problem at a time so the
 * message names it: not an object, empty, too many entries, a weight that is not a finite number or is negative.
 */
export function parseWeightsBody(body: unknown): Record<string, number> {
  if (!isPlainObject(body)) {
    throw invalidWeights('the body must be a JSON object: {"weights": {"<hotkey>": <weight>}}');
  }
  const weights = body.weights;
  if (weights === undefined) throw invalidWeights('the body has no "weights" object');
  if (!isPlainObject(weights)) {
    throw invalidWeights(`"weights" must be an object of hotkey to weight, not ${describeType(weights)}`);
  }
  const entries = Object.entries(weights);
  if (entries.length === 0) throw invalidWeights('"weights" must name at least one hotkey');
  if (entries.length > MAX_WEIGHTS_ENTRIES) {
    throw invalidWeights(
      `"weights" has ${entries.length} entries; at most ${MAX_WEIGHTS_ENTRIES} are accepted`,
    );
  }
  for (const [hotkey, weight] of entries) {
    if (hotkey.trim() === '') throw invalidWeights('"weights" has an empty hotkey');
    if (typeof weight !== 'number') {
      // A JSON body holds no undefined, but say so rather than print nothing.
      const shown = JSON.stringify(weight) as string | undefined;
      throw invalidWeights(`the weight of ${hotkey} is not a number (${shown ?? 'undefined'})`);
    }
    if (!Number.isFinite(weight)) throw invalidWeights(`the weight of ${hotkey} is not a finite number`);
    if (weight < 0) throw invalidWeights(`the weight of ${hotkey} is negative (${weight})`);
  }
  // The contract's own schema, as the client sees it; the checks above already name any problem it could find.
  const parsed = putWeightsRequestSchema.safeParse({ weights });
  if (!parsed.success) throw invalidWeights(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data.weights;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Refuses more weights than the subnet has neurons. */
export function checkSubnetSize(count: number, netuid: number, subnetSize: number): void {
  if (count > subnetSize) {
    throw invalidWeights(
      `"weights" has ${count} entries but subnet ${netuid} has only ${subnetSize} neurons`,
    );
  }
}

/** A netuid path parameter: an integer from 0 to 65535. */
export function parseNetuid(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw invalidRequest(`netuid must be an integer from 0 to 65535, not "${value}"`);
  }
  return Number(value);
}

/** The history's `limit` query parameter: 1 to 1000, 100 when absent. */
export function parseHistoryLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_HISTORY_LIMIT;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > MAX_HISTORY_LIMIT) {
    throw invalidRequest(`limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}, not "${value}"`);
  }
  return Number(value);
}

/** Splits weights into the hotkeys the subnet knows (by uid) and the ones it does not. */
export function splitKnownHotkeys(
  weights: Readonly<Record<string, number>>,
  uidOf: (hotkey: string) => number | undefined,
): { known: Record<string, number>; byUid: Record<string, number>; unknown: string[] } {
  const known: Record<string, number> = {};
  const byUid: Record<string, number> = {};
  const unknown: string[] = [];
  for (const [hotkey, weight] of Object.entries(weights)) {
    const uid = uidOf(hotkey);
    if (uid === undefined) {
      unknown.push(hotkey);
    } else {
      known[hotkey] = weight;
      byUid[String(uid)] = weight;
    }
  }
  return { known, byUid, unknown };
}

/** Refuses weights that leave nothing to set once unknown hotkeys are dropped. */
export function checkSomethingToSet(
  known: Readonly<Record<string, number>>,
  unknownCount: number,
  netuid: number,
): void {
  const values = Object.values(known);
  if (values.length === 0) {
    throw invalidWeights(
      `none of the ${unknownCount} hotkeys is registered on subnet ${netuid}: there is nothing to set`,
    );
  }
  if (values.every((weight) => weight === 0)) {
    throw invalidWeights('every weight of a registered hotkey is zero: there is nothing to set');
  }
}
