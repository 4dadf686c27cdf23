import type { Axon } from '@vstack/contracts';
import {
  type EpistulaSigner,
  EpistulaHeader,
  type SignedEpistulaRequest,
  signEpistulaRequest,
  verifyEpistulaResponse,
} from '@vstack/epistula';
import { TaskTypeName } from '@vstack/protocol';
import { Agent, type Dispatcher } from 'undici';
import { errorMessage } from '../errors';
import type { Clock, MinerCall, MinerCallOutcome, MinerCallResult, MinerCaller } from '../ports';
import { ChatStreamAssembler, SseParser, STREAM_DONE } from './chat-stream';

/** How the miner client connects and what it accepts. */
export interface MinerClientOptions {
  /** The validator's hotkey: every request is signed with it, for the miner's hotkey. */
  signer: EpistulaSigner;
  /** Keep-alive connections per miner axon. */
  connections: number;
  /** Largest answer read, in bytes. */
  maxResponseBytes: number;
  /** How long a new connection may take before the miner counts as unreachable, in ms. */
  connectTimeoutMs?: number;
  clock?: Clock;
}

/** Bytes of an error answer kept for its message. */
const ERROR_BODY_BYTES = 4_096;

/** The origin of a miner's axon, or undefined when it serves none (no address or port announced). */
export function axonOrigin(axon: Axon): string | undefined {
  const ip = axon.ip.trim();
  if (axon.port === 0 || ip === '' || ip === '0.0.0.0' || ip === '::') return undefined;
  return ip.includes(':') ? `http://[${ip}]:${axon.port}` : `http://${ip}:${axon.port}`;
}

/** The path a task type is served on, by the demo miner and behind the miner proxy. */
export function taskPath(taskType: string): string {
  return `/tasks/${encodeURIComponent(taskType)}`;
}

class CallFailure extends Error {
  constructor(
    readonly outcome: Exclude<MinerCallOutcome, 'ok'>,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function describeErrorBody(statusCode: number, bytes: Buffer): string {
  const text = bytes.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof code === 'string') {
      return `HTTP ${statusCode} ${code}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`;
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${statusCode}`;
}

/**
 * Sends Epistula-signed task requests to miners' axons (the miner proxy) over one undici keep-alive pool per
 * axon: `POST /tasks/{taskType}` with the request as JSON, signed for the miner's hotkey, within the task type's
 * timeout. Each answer is read up to a size limit, its response signature checked when the miner sent one, and
 * validated against the task type's response schema; a streamed chat completion is relayed chunk by chunk and
 * put together before the same check. Never throws: every failure is a result the miner is judged by.
 */
export class MinerClient implements MinerCaller {
  private readonly agent: Agent;
  private readonly clock: Clock;

  constructor(private readonly options: MinerClientOptions) {
    this.clock = options.clock ?? Date.now;
    this.agent = new Agent({
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: options.connectTimeoutMs ?? 5_000 },
    });
  }

  async call(call: MinerCall): Promise<MinerCallResult> {
    const started = this.clock();
    const latency = () => Math.max(0, this.clock() - started);
    const origin = axonOrigin(call.miner.axon);
    if (origin === undefined) {
      return {
        outcome: 'unreachable',
        latencyMs: 0,
        error: 'the miner announces no axon',
        body: null,
      };
    }
    const stream = call.stream && call.taskType.name === (TaskTypeName.TextGeneration as string);
    const payload =
      stream && typeof call.request === 'object' && call.request !== null
        ? { ...call.request, stream: true }
        : call.request;
    const body = JSON.stringify(payload);
    const signed = signEpistulaRequest(this.options.signer, body, { signedFor: call.miner.hotkey });
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort();
    }, call.taskType.timeoutMs);
    const signal = AbortSignal.any([call.signal, timeout.signal]);
    try {
      const response = await this.agent.request({
        origin,
        path: taskPath(call.taskType.name),
        method: 'POST',
        headers: {
          ...signed.headers,
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream, application/json' : 'application/json',
        },
        body,
        signal,
      });
      const answer = await this.readAnswer(call, response, signed, stream);
      return { outcome: 'ok', latencyMs: latency(), ...answer };
    } catch (error) {
      const latencyMs = latency();
      if (call.signal.aborted) {
        return { outcome: 'cancelled', latencyMs, error: 'cancelled', body: null };
      }
      if (timeout.signal.aborted) {
        return {
          outcome: 'timeout',
          latencyMs,
          error: `no answer within ${call.taskType.timeoutMs} ms`,
          body: null,
        };
      }
      if (error instanceof CallFailure) {
        return { outcome: error.outcome, latencyMs, error: error.message, body: error.body };
      }
      const code = (error as { code?: unknown }).code;
      return {
        outcome: 'unreachable',
        latencyMs,
        error: `cannot reach ${origin}: ${typeof code === 'string' ? code : errorMessage(error)}`,
        body: null,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private async readAnswer(
    call: MinerCall,
    response: Dispatcher.ResponseData,
    signed: SignedEpistulaRequest,
    stream: boolean,
  ): Promise<{ response: unknown; streamed: boolean; signed: boolean }> {
    if (response.statusCode < 200 || response.statusCode > 299) {
      const bytes = await this.read(response.body, ERROR_BODY_BYTES, false);
      throw new CallFailure('http_error', describeErrorBody(response.statusCode, bytes));
    }
    const contentType = headerValue(response.headers, 'content-type') ?? '';
    if (stream && contentType.toLowerCase().startsWith('text/event-stream')) {
      return { response: await this.readStream(call, response.body), streamed: true, signed: false };
    }
    const bytes = await this.read(response.body, this.options.maxResponseBytes, true);
    let isSigned = false;
    if (headerValue(response.headers, EpistulaHeader.ResponseSignature) !== undefined) {
      try {
        await verifyEpistulaResponse(response.headers, bytes, {
          expectedSignedBy: call.miner.hotkey,
          request: signed,
        });
      } catch (error) {
        throw new CallFailure('bad_signature', `response signature refused: ${errorMessage(error)}`);
      }
      isSigned = true;
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new CallFailure('invalid', 'the answer is not JSON');
    }
    return { response: this.validate(call, json), streamed: false, signed: isSigned };
  }

  private validate(call: MinerCall, json: unknown): unknown {
    const parsed = call.taskType.responseSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.map(String).join('.') || '(answer)'}: ${issue.message}`);
      throw new CallFailure(
        'invalid',
        `the answer does not match the response schema: ${issues.join('; ')}`,
        json,
      );
    }
    return parsed.data;
  }

  private async readStream(call: MinerCall, body: Dispatcher.ResponseData['body']): Promise<unknown> {
    const assembler = new ChatStreamAssembler();
    // Set from the parser's callback, so kept in an object the compiler does not narrow.
    const state: { problem: string | undefined; finished: boolean } = { problem: undefined, finished: false };
    const parser = new SseParser((data) => {
      if (state.problem !== undefined || state.finished) return;
      if (data.trim() === STREAM_DONE) {
        state.finished = true;
        return;
      }
      state.problem = assembler.add(data);
      if (state.problem === undefined) call.onChunk?.(data);
    });
    const decoder = new TextDecoder('utf-8');
    let received = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > this.options.maxResponseBytes) {
        throw new CallFailure('invalid', `the stream is longer than ${this.options.maxResponseBytes} bytes`);
      }
      parser.push(decoder.decode(chunk, { stream: true }));
      if (state.problem !== undefined) throw new CallFailure('invalid', state.problem);
      if (state.finished) break;
    }
    parser.push(decoder.decode());
    parser.end();
    if (state.problem !== undefined) throw new CallFailure('invalid', state.problem);
    // A stream that ends without [DONE] was cut off (a miner or a proxy that died mid-answer but closed cleanly):
    // what came is part of an answer, not one to score.
    if (!state.finished) throw new CallFailure('invalid', `the stream ended before ${STREAM_DONE}`);
    return this.validate(call, assembler.completion());
  }

  /** The body's bytes; past `limit` it throws (`failOnLimit`) or returns what it has. */
  private async read(
    body: Dispatcher.ResponseData['body'],
    limit: number,
    failOnLimit: boolean,
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limit) {
        if (failOnLimit) throw new CallFailure('invalid', `the answer is longer than ${limit} bytes`);
        chunks.push(chunk.subarray(0, chunk.length - (received - limit)));
        break;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}
