import { describe, expect, expectTypeOf, it } from 'vitest';
import { managingRpc, minerDeclarationSchema, SelectionReasonCode } from './managing.contracts';
import {
  eventContracts,
  type EventPayload,
  isEventPattern,
  isRpcPattern,
  rpcContract,
  rpcContracts,
  type RpcRequest,
  type RpcResponse,
} from './registry';
import { scoringRpc } from './scoring.contracts';
import { neuronSchema, sidecarEvents, sidecarRpc } from './sidecar.contracts';
import { gatewayEvents } from './gateway.contracts';
import { validatorEvents } from './validator.contracts';

const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const coldkey = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

const neuron = {
  uid: 3,
  hotkey,
  coldkey,
  active: true,
  axon: { ip: '10.0.0.7', port: 8091, protocol: 4 },
  stake: '1000000000000',
  validatorPermit: false,
  incentive: 0.25,
  consensus: 0.5,
  dividends: 0,
  emission: '123456789',
  validatorTrust: 0,
  lastUpdate: 1_200,
  blockAtRegistration: 17,
};

describe('contract registry', () => {
  it('gives every pattern exactly one owner: no pattern is defined twice or is both a request and an event', () => {
    const groups = [sidecarRpc, managingRpc, scoringRpc, sidecarEvents, validatorEvents, gatewayEvents];
    const defined = groups.flatMap((group) => Object.keys(group));
    expect(new Set(defined).size).toBe(defined.length);
    expect(Object.keys(rpcContracts).length + Object.keys(eventContracts).length).toBe(defined.length);
  });

  it('names patterns as dotted lower-case words', () => {
    for (const pattern of [...Object.keys(rpcContracts), ...Object.keys(eventContracts)]) {
      expect(pattern).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    }
  });

  it('knows which service answers each request', () => {
    expect(rpcContract('chain.neurons').service).toBe('sidecar');
    expect(rpcContract('miners.select').service).toBe('managing');
    expect(rpcContract('scores.weights').service).toBe('scoring');
    expect(eventContracts['chain.epoch.new'].service).toBe('sidecar');
    expect(eventContracts['task.finished'].service).toBe('gateway');
  });

  it('tells requests from events', () => {
    expect(isRpcPattern('miners.select')).toBe(true);
    expect(isRpcPattern('chain.block.new')).toBe(false);
    expect(isRpcPattern('toString')).toBe(false);
    expect(isEventPattern('chain.block.new')).toBe(true);
    expect(isEventPattern('miners.select')).toBe(false);
  });

  it('carries rao amounts as decimal strings, never as numbers', () => {
    expect(neuronSchema.safeParse(neuron).success).toBe(true);
    expect(neuronSchema.safeParse({ ...neuron, stake: 1e12 }).success).toBe(false);
    expect(neuronSchema.safeParse({ ...neuron, stake: '-5' }).success).toBe(false);
    expect(neuronSchema.safeParse({ ...neuron, emission: '1.5' }).success).toBe(false);
    expectTypeOf<RpcResponse<'chain.neurons'>['neurons'][number]['stake']>().toEqualTypeOf<string>();
  });

  it('rejects hotkeys that are not SS58 addresses and values out of range', () => {
    expect(neuronSchema.safeParse({ ...neuron, hotkey: '0xdeadbeef' }).success).toBe(false);
    expect(neuronSchema.safeParse({ ...neuron, uid: 65_536 }).success).toBe(false);
    expect(neuronSchema.safeParse({ ...neuron, incentive: 1.5 }).success).toBe(false);
  });

  it('validates miner selection requests', () => {
    const { request } = rpcContract('miners.select');
    const valid: RpcRequest<'miners.select'> = {
      taskType: 'text-generation',
      count: 4,
      purpose: 'synthetic',
    };
    expect(request.safeParse(valid).success).toBe(true);
    expect(request.safeParse({ ...valid, count: 0 }).success).toBe(false);
    expect(request.safeParse({ ...valid, purpose: 'batch' }).success).toBe(false);
    expect(request.safeParse({ taskType: 'text-generation', count: 4 }).success).toBe(false);
  });

  it('lets a selection answer say why it has fewer miners than asked', () => {
    const { response } = rpcContract('miners.select');
    expect(response.safeParse({ miners: [] }).success).toBe(true);
    expect(response.safeParse({ miners: [], reason: 'no quota left for organic' }).success).toBe(true);
    expect(response.safeParse({ miners: [{ uid: 1, hotkey }] }).success).toBe(false);
  });

  it('gives the reason of a short selection as a code from a fixed list, next to the message', () => {
    const { response } = rpcContract('miners.select');
    expect(
      response.safeParse({
        miners: [],
        reason: 'every miner serving arithmetic has used its quota',
        reasonCode: SelectionReasonCode.QuotaExhausted,
      }).success,
    ).toBe(true);
    expect(response.safeParse({ miners: [], reasonCode: 'busy' }).success).toBe(false);
    expectTypeOf<RpcResponse<'miners.select'>['reasonCode']>().toEqualTypeOf<
      SelectionReasonCode | undefined
    >();
  });

  it("reads a miner's declared capacity and task types, ignoring other fields of its status", () => {
    expect(
      minerDeclarationSchema.parse({ service: 'miner-proxy', capacity: 64, taskTypes: ['arithmetic'] }),
    ).toEqual({ capacity: 64, taskTypes: ['arithmetic'] });
    expect(minerDeclarationSchema.parse({ status: 'ok' })).toEqual({});
    expect(minerDeclarationSchema.safeParse({ capacity: 0 }).success).toBe(false);
    expect(minerDeclarationSchema.safeParse({ capacity: 2.5 }).success).toBe(false);
    expect(minerDeclarationSchema.safeParse({ taskTypes: [''] }).success).toBe(false);
  });

  it("answers scores.miners with each miner's score for one task type", () => {
    const { request, response } = rpcContract('scores.miners');
    expect(rpcContract('scores.miners').service).toBe('scoring');
    expect(request.safeParse({ netuid: 1, taskType: 'arithmetic' }).success).toBe(true);
    expect(request.safeParse({ netuid: 1 }).success).toBe(false);
    expect(response.safeParse({ scores: [{ uid: 3, hotkey, score: 0.82 }] }).success).toBe(true);
    expect(response.safeParse({ scores: [] }).success).toBe(true);
    expect(response.safeParse({ scores: [{ uid: 3, hotkey, score: -0.1 }] }).success).toBe(false);
    expect(response.safeParse({ scores: [{ uid: 3, score: 0.5 }] }).success).toBe(false);
  });

  it('accepts only `accepted: true` as the answer to a miner report', () => {
    const { response } = rpcContract('miners.report');
    expect(response.safeParse({ accepted: true }).success).toBe(true);
    expect(response.safeParse({ accepted: false }).success).toBe(false);
  });

  it('keys weights by hotkey', () => {
    const { response } = rpcContract('scores.weights');
    expect(response.safeParse({ weights: { [hotkey]: 0.7, [coldkey]: 0.3 }, epoch: 12 }).success).toBe(true);
    expect(response.safeParse({ weights: { 'uid-3': 1 } }).success).toBe(false);
    expect(response.safeParse({ weights: { [hotkey]: -1 } }).success).toBe(false);
  });

  it('reads chain.neurons at the latest block unless a block is given', () => {
    const { request } = rpcContract('chain.neurons');
    expect(request.safeParse({ netuid: 1 }).success).toBe(true);
    expect(request.safeParse({ netuid: 1, block: 500 }).success).toBe(true);
    expect(request.safeParse({ netuid: 1, block: -1 }).success).toBe(false);
    expectTypeOf<RpcRequest<'chain.neurons'>>().toEqualTypeOf<{
      netuid: number;
      block?: number | undefined;
    }>();
  });

  it('types event payloads', () => {
    expectTypeOf<EventPayload<'chain.epoch.new'>>().toEqualTypeOf<{
      netuid: number;
      epoch: number;
      block: number;
    }>();
    expect(eventContracts['chain.block.new'].payload.safeParse({ block: 1, hash: '0x1234' }).success).toBe(
      false,
    );
  });
});
