import type { ServiceRecords } from '@vstack/runtime/database';
import { CreateGatewayTables1795327200000 } from './migrations/1795327200000-create-gateway-tables';
import { HotTaskMarks1795334400000 } from './migrations/1795334400000-hot-task-marks';
import { KeyReferencesByStatement1795420800000 } from './migrations/1795420800000-key-references-by-statement';

/**
 * The tables gateway owns: its entities and the migrations that create them, in order. The stores write with
 * plain SQL (each write is one statement over several tables, e.g. a task, its key's balance and a ledger row),
 * so there are no entities.
 */
export const gatewayRecords: ServiceRecords = {
  entities: [],
  migrations: [
    CreateGatewayTables1795327200000,
    HotTaskMarks1795334400000,
    KeyReferencesByStatement1795420800000,
  ],
};
