import { Module } from '@nestjs/common';

/** the loop that sends tasks to miners. */
@Module({})
export class ValidatorModule {}
