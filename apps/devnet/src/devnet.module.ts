import { Module } from '@nestjs/common';

/** a local subtensor node. */
@Module({})
export class DevnetModule {}
