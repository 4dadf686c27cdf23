import { Module } from '@nestjs/common';

/** miner registry, quotas and selection. */
@Module({})
export class ManagingModule {}
