/** Why the demo miner refused or failed a request. Sent to clients as the `code` of the error body: never rename. */
export enum DemoMinerErrorCode {
  /** The path or `task_type` names a task type this miner does not serve. */
  UnknownTaskType = 'demo_miner_unknown_task_type',
  /** `POST /inference` without a task type, or with a header and a body field that disagree. */
  MissingTaskType = 'demo_miner_missing_task_type',
  /** A 500 given on purpose (DEMO_MINER_FAILURE_RATE). */
  InjectedFailure = 'demo_miner_injected_failure',
}

const httpStatusOf: Readonly<Record<DemoMinerErrorCode, number>> = {
  [DemoMinerErrorCode.UnknownTaskType]: 404,
  [DemoMinerErrorCode.MissingTaskType]: 400,
  [DemoMinerErrorCode.InjectedFailure]: 500,
};

/** The error the demo miner throws; the runtime's filter maps `code` and `httpStatus` to the answer. */
export class DemoMinerError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: DemoMinerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DemoMinerError';
    this.httpStatus = httpStatusOf[code];
  }
}
