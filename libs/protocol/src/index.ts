/**
 * @vstack/protocol: task types as data plus functions — request and response schemas, synthetic generators,
 * reference answers, accuracy functions, timeouts and prices — and the registry of the built-in ones.
 */
export {
  type ArithmeticOperation,
  type ArithmeticRequest,
  arithmeticRequestSchema,
  type ArithmeticResponse,
  arithmeticResponseSchema,
  arithmeticTaskType,
  MAX_OPERAND_DIGITS,
  solveArithmetic,
} from './arithmetic';
export {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  type ChatCompletionResponse,
  chatCompletionResponseSchema,
  type ChatCompletionUsage,
  type ChatMessage,
  MAX_COMPLETION_CHARS,
  MAX_COMPLETION_TOKENS,
  MAX_MESSAGE_CHARS,
  type ReferenceModel,
} from './chat';
export {
  DEFAULT_DETERMINISTIC_MAX_TOKENS,
  deterministicCompletion,
  DeterministicReferenceModel,
} from './deterministic-model';
export { isProtocolError, ProtocolError, ProtocolErrorCode } from './errors';
export { TaskTypeName } from './names';
export { fnv1a32, mulberry32, type RandomSource, randomInt, randomPick, randomUint32 } from './random';
export {
  type BuiltInTaskType,
  builtInTaskTypes,
  type TaskRequest,
  type TaskResponse,
  taskTypeNameSchema,
  TaskTypeRegistry,
  taskTypes,
} from './registry';
export {
  DEFAULT_SUMMARY_SENTENCES,
  extractiveSummary,
  generateDocument,
  MAX_SUMMARIZATION_TEXT_CHARS,
  MAX_SUMMARY_CHARS,
  type SummarizationRequest,
  summarizationRequestSchema,
  type SummarizationResponse,
  summarizationResponseSchema,
  summarizationTaskType,
  summaryAccuracy,
} from './summarization';
export {
  type AnyTaskType,
  computeReference,
  evaluateResponse,
  type ParsedTaskResponse,
  parseTaskRequest,
  parseTaskResponse,
  type ReferenceContext,
  type RequestOf,
  type ResponseOf,
  type ResponseEvaluation,
  type TaskType,
} from './task-type';
export {
  chatCompletionOf,
  completionAccuracy,
  completionText,
  countTokens,
  DEFAULT_TEXT_GENERATION_MODEL,
  textGenerationTaskType,
} from './text-generation';
export { lcsLength, lengthPenalty, rougeL, rougeLTokens, splitSentences, wordTokens } from './text';
