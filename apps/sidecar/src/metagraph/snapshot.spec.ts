import { neuronSchema, neuronsResponseSchema, validatorsResponseSchema } from '@vstack/sidecar-client';
import { describe, expect, it } from 'vitest';
import {
  type NeuronsSnapshot,
  neuronsResponse,
  raoToTao,
  serializeSnapshot,
  validatorsResponse,
  viewOf,
} from './snapshot';

const hash = `0x${'ab'.repeat(32)}`;

function neuron(uid: number, stake: string, validatorPermit: boolean): NeuronsSnapshot['neurons'][number] {
  return {
    uid,
    hotkey: `hotkey-${uid}`,
    coldkey: `coldkey-${uid}`,
    active: true,
    axon: { ip: '10.0.0.1', port: 8000 + uid, protocol: 4 },
    stake,
    validatorPermit,
    incentive: 0.25,
    consensus: 0.5,
    dividends: 0,
    emission: '1500000000',
    validatorTrust: 1,
    lastUpdate: 7,
    blockAtRegistration: 3,
  };
}

const snapshot: NeuronsSnapshot = {
  netuid: 1,
  block: 42,
  hash,
  neurons: [
    neuron(2, '5000000000', true),
    neuron(0, '100000000000000', true),
    neuron(1, '5000000000', true),
    neuron(3, '900000000000000', false),
  ],
};

describe('TAO amounts', () => {
  it('converts rao to TAO without losing the digits of large stakes', () => {
    expect(raoToTao('0')).toBe(0);
    expect(raoToTao('1')).toBe(1e-9);
    expect(raoToTao('1500000000')).toBe(1.5);
    expect(raoToTao('21000000000000000')).toBe(21_000_000);
    expect(raoToTao('123456789123456789')).toBeCloseTo(123_456_789.123_456_8, 6);
  });
});

describe("Pylon's shapes", () => {
  it('lists neurons by hotkey in uid order, with exactly the contract fields', () => {
    const answer = neuronsResponse(snapshot);
    expect(neuronsResponseSchema.parse(answer)).toEqual(answer);
    expect(Object.values(answer.neurons).map((entry) => entry.uid)).toEqual([0, 1, 2, 3]);
    const first = answer.neurons['hotkey-0'];
    expect(Object.keys(first ?? {}).sort()).toEqual(Object.keys(neuronSchema.shape).sort());
    expect(first).toMatchObject({
      stake: 100_000,
      stake_rao: '100000000000000',
      emission: 1.5,
      axon_info: { ip: '10.0.0.1', port: 8000, protocol: 4 },
      validator_trust: 1,
      block_at_registration: 3,
    });
  });

  it('lists validators (permit holders only) by stake, largest first, equal stakes by uid', () => {
    const answer = validatorsResponse(snapshot);
    expect(validatorsResponseSchema.parse(answer)).toEqual(answer);
    expect(answer.validators.map((entry) => entry.uid)).toEqual([0, 1, 2]);
  });

  it('serializes the answers once, as the bytes the API sends', () => {
    const view = viewOf(snapshot);
    expect(JSON.parse(view.neuronsBody.toString('utf8'))).toEqual(neuronsResponse(snapshot));
    expect(JSON.parse(view.validatorsBody.toString('utf8'))).toEqual(validatorsResponse(snapshot));
    expect(JSON.parse(serializeSnapshot(snapshot, view.neuronsJson))).toEqual(snapshot);
  });
});
