import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ZodValidationPipe } from '@vstack/runtime';
import type { z } from 'zod';
import { GatewayError, GatewayErrorCode } from '../errors';
import { GatewayExceptionFilter } from '../gateway-exception.filter';
import { postgres } from '../tasks/outage';
import { isUuid } from '../tasks/task-view';
import { ApiKeysService } from './api-keys.service';
import {
  type createdKeySchema,
  createKeySchema,
  grantCreditsSchema,
  type KeyView,
  type ledgerEntrySchema,
  ledgerQuerySchema,
  toKeyView,
  toLedgerEntryView,
} from './dto';
import { AdminGuard } from './guards';

function requireKeyId(id: string): string {
  if (!isUuid(id)) throw new GatewayError(GatewayErrorCode.KeyNotFound, `no API key ${id.slice(0, 100)}`);
  return id;
}

/** API keys and their credits, for the operator (GATEWAY_ADMIN_TOKEN). */
@Controller('v1/admin/keys')
@UseGuards(AdminGuard)
@UseFilters(GatewayExceptionFilter)
export class AdminKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  async create(
    @Body(new ZodValidationPipe(createKeySchema)) body: z.output<typeof createKeySchema>,
  ): Promise<z.output<typeof createdKeySchema>> {
    const created = await postgres(() =>
      this.keys.create({
        name: body.name,
        scopes: body.scopes,
        credits: body.credits,
        rateLimitPerMinute: body.rate_limit_per_minute,
      }),
    );
    return {
      ...toKeyView(created.key),
      secret: created.secret,
      webhook_secret: created.webhookSecret ?? null,
    };
  }

  @Get()
  async list(): Promise<{ object: 'list'; data: KeyView[] }> {
    const keys = await postgres(() => this.keys.list());
    return { object: 'list', data: keys.map(toKeyView) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<KeyView> {
    return toKeyView(await postgres(() => this.keys.get(requireKeyId(id))));
  }

  /** Revokes a key: it can no longer authenticate or spend. Its tasks and ledger stay. */
  @Delete(':id')
  async revoke(@Param('id') id: string): Promise<KeyView> {
    return toKeyView(await postgres(() => this.keys.revoke(requireKeyId(id))));
  }

  @Post(':id/credits')
  @HttpCode(200)
  async grant(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(grantCreditsSchema)) body: z.output<typeof grantCreditsSchema>,
  ): Promise<KeyView> {
    return toKeyView(await postgres(() => this.keys.grant(requireKeyId(id), body.amount, body.note ?? null)));
  }

  @Get(':id/ledger')
  async ledger(
    @Param('id') id: string,
    @Query(new ZodValidationPipe(ledgerQuerySchema)) query: z.output<typeof ledgerQuerySchema>,
  ): Promise<{ object: 'list'; data: z.output<typeof ledgerEntrySchema>[] }> {
    const key = await postgres(() => this.keys.get(requireKeyId(id)));
    const entries = await postgres(() => this.keys.ledger(key.id, query.limit ?? 100, query.before));
    return { object: 'list', data: entries.map(toLedgerEntryView) };
  }
}
