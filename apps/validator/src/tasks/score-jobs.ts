import type { SelectedMiner, TaskPurpose } from '@vstack/contracts';
import type { ScoreResponsePayload } from '@vstack/queues';
import type { MinerCallResult } from '../ports';

/**
 * The id of one miner's answer to one task: the score job's id, so a task handled twice (a job taken back from a
 * killed validator) scores each miner once.
 */
export function responseIdOf(taskId: string, uid: number): string {
  return `${taskId}.${uid}`;
}

/**
 * The score job of one miner call. A valid answer, and an answer that does not match the response schema (scoring
 * rates it invalid), travel as the response; any other failure travels as the error with no response.
 */
export function scoreResponseOf(
  task: { taskId: string; taskType: string; request: unknown },
  purpose: TaskPurpose,
  miner: SelectedMiner,
  result: MinerCallResult,
): ScoreResponsePayload {
  const base = {
    responseId: responseIdOf(task.taskId, miner.uid),
    taskId: task.taskId,
    taskType: task.taskType,
    purpose,
    minerUid: miner.uid,
    minerHotkey: miner.hotkey,
    request: task.request,
    latencyMs: result.latencyMs,
  };
  if (result.outcome === 'ok') return { ...base, response: result.response };
  if (result.outcome === 'invalid' && result.body !== null && result.body !== undefined) {
    return { ...base, response: result.body };
  }
  return { ...base, response: null, error: `${result.outcome}: ${result.error}` };
}
