import {
  type ArithmeticRequest,
  type ArithmeticResponse,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  chatCompletionOf,
  completionAccuracy,
  completionText,
  type RandomSource,
  randomUint32,
  type ReferenceContext,
  type SummarizationRequest,
  type SummarizationResponse,
} from '@vstack/protocol';

/** Turns the right answer into a plausible wrong one, the way a weak miner would get it wrong. */
export type WrongAnswer<Req, Res> = (
  request: Req,
  reference: Res,
  random: RandomSource,
  context: ReferenceContext,
) => Promise<Res>;

/** Off by one, up or down: scores 0 under exact-match accuracy. */
export const wrongArithmetic: WrongAnswer<ArithmeticRequest, ArithmeticResponse> = (
  _request,
  reference,
  random,
) => {
  const step = random() < 0.5 ? -1n : 1n;
  return Promise.resolve({ result: (BigInt(reference.result) + step).toString() });
};

/** Cut to its first third of words: below half the reference's length, so the length penalty bites. */
export const wrongSummary: WrongAnswer<SummarizationRequest, SummarizationResponse> = (
  _request,
  reference,
) => {
  const words = reference.summary.split(/\s+/).filter((word) => word.length > 0);
  return Promise.resolve({ summary: words.slice(0, Math.floor(words.length / 3)).join(' ') });
};

/** The model's completion for another seed: fluent, but not the text the validator expects. */
export const wrongCompletion: WrongAnswer<ChatCompletionRequest, ChatCompletionResponse> = async (
  request,
  reference,
  random,
  context,
) => {
  let seed = randomUint32(random);
  if (seed === request.seed) seed += 1;
  const expected = completionText(reference);
  let content = await context.referenceModel.complete({ ...request, seed });
  // Very short completions drawn from one word list can coincide; one extra word breaks the tie.
  if (completionAccuracy(content, expected) === 1) content = `${content} Perhaps.`;
  return chatCompletionOf(request, content);
};
