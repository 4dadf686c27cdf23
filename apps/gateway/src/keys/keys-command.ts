import type { GatewayConfig } from '@vstack/config';
import { closeDataSource, connectDataSource, createDataSource } from '@vstack/database';
import { ServiceMetrics } from '@vstack/observability';
import {
  type BaseServiceConfig,
  CommandUsageError,
  parseCommandArguments,
  type ServiceCommand,
} from '@vstack/runtime';
import { serviceDatabaseOptions } from '@vstack/runtime/database';
import type { z } from 'zod';
import { GatewayMetrics } from '../gateway-metrics';
import { systemClock } from '../ports';
import { gatewayRecords } from '../records';
import { gatewaySettings } from '../settings';
import { isUuid } from '../tasks/task-view';
import { ApiKeysService } from './api-keys.service';
import { createKeySchema, grantCreditsSchema, toKeyView } from './dto';
import { PostgresKeyStore } from './postgres-key-store';
import { MemoryRateLimiter } from './rate-limiter';

type Config = GatewayConfig & BaseServiceConfig;

const usage =
  'create --name <name> --scopes <type,type> [--credits <n>] [--rate <per minute>] | list | revoke <id> | credit <id> --amount <n> [--note <text>]';

function checked<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new CommandUsageError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; '),
  );
}

function whole(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,13}$/.test(value)) throw new CommandUsageError(`--${name} must be a whole number`);
  return Number(value);
}

function keyId(value: string | undefined): string {
  if (value === undefined || !isUuid(value)) throw new CommandUsageError('give the id of the key (a UUID)');
  return value;
}

/** `node main.js keys ...`: API keys from the command line, straight in PostgreSQL (no running gateway needed). */
export const keysCommand: ServiceCommand<Config> = {
  summary: 'create, list, revoke or credit API keys (prints JSON; a new key shows its secret once)',
  usage: `<${usage}>`,
  async run(args, { config, logger, out }) {
    const [action, ...rest] = args;
    if (action === undefined) throw new CommandUsageError('say what to do with the keys');
    const dataSource = await connectDataSource(
      createDataSource(serviceDatabaseOptions('gateway', config, gatewayRecords, logger)),
    );
    const settings = gatewaySettings(config);
    const keys = new ApiKeysService(
      new PostgresKeyStore(dataSource),
      new MemoryRateLimiter(settings.rateLimitBurstSeconds),
      settings,
      systemClock,
      new GatewayMetrics(new ServiceMetrics('gateway')),
    );
    const print = (value: unknown) => out.write(`${JSON.stringify(value, null, 2)}\n`);
    try {
      switch (action) {
        case 'create': {
          const options = parseCommandArguments(rest, {
            name: { type: 'string' },
            scopes: { type: 'string' },
            credits: { type: 'string' },
            rate: { type: 'string' },
          });
          const body = checked(createKeySchema, {
            name: options.name,
            scopes: options.scopes
              ?.split(',')
              .map((scope) => scope.trim())
              .filter(Boolean),
            credits: whole(options.credits, 'credits'),
            rate_limit_per_minute: whole(options.rate, 'rate'),
          });
          const created = await keys.create({
            name: body.name,
            scopes: body.scopes,
            credits: body.credits,
            rateLimitPerMinute: body.rate_limit_per_minute,
          });
          print({
            ...toKeyView(created.key),
            secret: created.secret,
            webhook_secret: created.webhookSecret ?? null,
          });
          return;
        }
        case 'list':
          parseCommandArguments(rest, {});
          print((await keys.list()).map(toKeyView));
          return;
        case 'revoke': {
          const [id, ...more] = rest;
          parseCommandArguments(more, {});
          print(toKeyView(await keys.revoke(keyId(id))));
          return;
        }
        case 'credit': {
          const [id, ...more] = rest;
          const options = parseCommandArguments(more, {
            amount: { type: 'string' },
            note: { type: 'string' },
          });
          const body = checked(grantCreditsSchema, {
            amount: whole(options.amount, 'amount'),
            note: options.note,
          });
          print(toKeyView(await keys.grant(keyId(id), body.amount, body.note ?? null)));
          return;
        }
        default:
          throw new CommandUsageError(`unknown action "${action}"`);
      }
    } finally {
      await closeDataSource(dataSource);
    }
  },
};
