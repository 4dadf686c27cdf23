import { ApiPromise, WsProvider } from '@polkadot/api';
import type { Vec } from '@polkadot/types';
import type { EventRecord } from '@polkadot/types/interfaces';
import pg from 'pg';

// What the records say after a run: whether every accepted task reached a final state, whether every credit is
// accounted for once, and whether weights went on chain at most once an epoch.

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** An accepted task as PostgreSQL has it at the end. */
export interface TaskOutcome {
  status: string;
  errorCode: string | null;
  finishedAt: number | null;
}

/** The gateway's books after a run. */
export interface GatewayAudit {
  /** Accepted tasks (202 with an id) the records do not have. */
  missing: number;
  /** Accepted tasks not in a final state. */
  unfinished: number;
  /** Accepted tasks by final status, and failures by error code. */
  byStatus: Record<string, number>;
  failures: Record<string, number>;
  /** Tasks with a hold but no release. */
  openHolds: number;
  /** Debits of tasks that did not complete, and completed tasks without exactly one debit. */
  wrongDebits: number;
  /** Keys whose balance is not the sum of their ledger, or whose held credits are not zero. */
  unbalancedKeys: number;
}

/** Runs `sql` with `$schema` standing for the schema's quoted name. */
export async function querySchema<T>(
  client: pg.Client,
  schema: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return (await client.query(text.replaceAll('$schema', pg.escapeIdentifier(schema)), values)).rows as T[];
}

/** Reads the gateway's tasks and ledger for the accepted ids and every key; with each accepted task's outcome. */
export async function auditGateway(
  client: pg.Client,
  schema: string,
  acceptedIds: readonly string[],
): Promise<{ audit: GatewayAudit; outcomes: Map<string, TaskOutcome> }> {
  const rows = await querySchema<{
    id: string;
    status: string;
    error_code: string | null;
    finished_at: Date | null;
  }>(
    client,
    schema,
    'SELECT id, status, error_code, finished_at FROM $schema.gateway_tasks WHERE id = ANY($1::uuid[])',
    [acceptedIds],
  );
  const outcomes = new Map<string, TaskOutcome>();
  const byStatus: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const row of rows) {
    outcomes.set(row.id, {
      status: row.status,
      errorCode: row.error_code,
      finishedAt: row.finished_at?.getTime() ?? null,
    });
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    if (row.status === 'FAILED')
      failures[row.error_code ?? 'none'] = (failures[row.error_code ?? 'none'] ?? 0) + 1;
  }
  const count = async (text: string) =>
    Number((await querySchema<{ count: string }>(client, schema, text))[0]?.count ?? 0);
  const audit: GatewayAudit = {
    missing: acceptedIds.length - rows.length,
    unfinished: rows.filter((row) => !FINAL.includes(row.status)).length,
    byStatus,
    failures,
    openHolds: await count(
      `SELECT count(*) FROM $schema.gateway_credit_ledger h WHERE h.kind = 'hold' AND NOT EXISTS
         (SELECT 1 FROM $schema.gateway_credit_ledger r WHERE r.task_id = h.task_id AND r.kind = 'release')`,
    ),
    wrongDebits: await count(
      `SELECT count(*) FROM $schema.gateway_tasks t
         WHERE (SELECT count(*) FROM $schema.gateway_credit_ledger d WHERE d.task_id = t.id AND d.kind = 'debit')
           <> (CASE WHEN t.status = 'COMPLETED' THEN 1 ELSE 0 END)`,
    ),
    unbalancedKeys: await count(
      `SELECT count(*) FROM $schema.gateway_api_keys k
         WHERE k.held <> 0 OR k.balance <> (SELECT coalesce(sum(amount), 0) FROM $schema.gateway_credit_ledger l
           WHERE l.api_key_id = k.id)`,
    ),
  };
  return { audit, outcomes };
}

/** The sidecar's weights jobs over a run. */
export interface WeightsAudit {
  /** Epochs whose weights landed on chain. */
  epochsWithWeights: number;
  /** Epochs whose weights landed more than once: must be zero. */
  epochsSetTwice: number;
  /** Jobs by final state. */
  byState: Record<string, number>;
  /** Epoch-ordered blocks at which weights landed, to see the gaps a fault left. */
  landedAt: { epoch: number; block: number; at: number }[];
}

export async function auditWeights(client: pg.Client, schema: string): Promise<WeightsAudit> {
  const jobs = await querySchema<{ epoch: number; state: string; block: number | null; updated_at: Date }>(
    client,
    schema,
    'SELECT epoch, state, block, updated_at FROM $schema.sidecar_weights_jobs ORDER BY epoch',
  );
  const landed = new Map<number, number>();
  const byState: Record<string, number> = {};
  const landedAt: WeightsAudit['landedAt'] = [];
  for (const job of jobs) {
    byState[job.state] = (byState[job.state] ?? 0) + 1;
    if (job.block !== null) {
      landed.set(job.epoch, (landed.get(job.epoch) ?? 0) + 1);
      landedAt.push({ epoch: job.epoch, block: job.block, at: job.updated_at.getTime() });
    }
  }
  return {
    epochsWithWeights: landed.size,
    epochsSetTwice: [...landed.values()].filter((times) => times > 1).length,
    byState,
    landedAt,
  };
}

/** The weights the chain itself recorded, to check the sidecar's records against. */
export interface ChainWeightsAudit {
  /** The subnet's weights events (WeightsSet, WeightsCommitted, WeightsRevealed, CRV3WeightsCommitted). */
  succeeded: number;
  /** Epochs with more than one weights event of one kind: must be zero. */
  epochsSetTwice: number;
  /** Extrinsics of any kind that failed on chain (ExtrinsicFailed), a weights call refused as too early included. */
  failedExtrinsics: number;
  /** Blocks read. */
  blocks: number;
}

/** Each weights event, with the position of its netuid among the event's fields. */
const WEIGHTS_EVENTS = new Map([
  ['WeightsSet', 0],
  ['WeightsCommitted', 1],
  ['WeightsRevealed', 1],
  ['CRV3WeightsCommitted', 1],
  ['TimelockedWeightsCommitted', 1],
]);

/**
 * Reads the events of every block of the devnet (an archive node) for the subnet's weights. Events, not
 * extrinsics: they decode with the metadata alone, where an extrinsic needs subtensor's signed extensions.
 */
export async function auditChainWeights(
  url: string,
  netuid: number,
  tempo: number,
): Promise<ChainWeightsAudit> {
  const api = await ApiPromise.create({
    provider: new WsProvider(url),
    noInitWarn: true,
    throwOnConnect: true,
  });
  try {
    const head = (await api.rpc.chain.getHeader()).number.toNumber();
    const perEpoch = new Map<string, number>();
    let succeeded = 0;
    let failedExtrinsics = 0;
    const readBlock = async (number: number) => {
      const at = await api.at(await api.rpc.chain.getBlockHash(number));
      const readEvents = at.query['system']?.['events'];
      if (!readEvents) throw new Error('the chain has no System.Events');
      const events = (await readEvents()) as unknown as Vec<EventRecord>;
      for (const { event } of events) {
        if (event.section === 'system' && event.method === 'ExtrinsicFailed') failedExtrinsics += 1;
        const netuidAt = WEIGHTS_EVENTS.get(event.method);
        if (event.section !== 'subtensorModule' || netuidAt === undefined) continue;
        if (Number(event.data[netuidAt]?.toString()) !== netuid) continue;
        succeeded += 1;
        // subtensor's get_epoch_index.
        const key = `${event.method}:${Math.floor((number + netuid + 1) / (tempo + 1))}`;
        perEpoch.set(key, (perEpoch.get(key) ?? 0) + 1);
      }
    };
    // Twenty blocks at a time: the devnet answers on loopback, and a run has a few thousand blocks.
    for (let from = 1; from <= head; from += 20) {
      const numbers = Array.from({ length: Math.min(20, head - from + 1) }, (_, offset) => from + offset);
      await Promise.all(numbers.map(readBlock));
    }
    return {
      succeeded,
      epochsSetTwice: [...perEpoch.values()].filter((times) => times > 1).length,
      failedExtrinsics,
      blocks: head,
    };
  } finally {
    await api.disconnect();
  }
}
