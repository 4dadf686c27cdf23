import { runService } from '@vstack/runtime';
import { gatewayService } from './service';

await runService(gatewayService());
