/** One server-sent event. */
export interface ServerEvent {
  event: string;
  data: string;
}

/** Opens an event stream and collects its events until the server ends it (or `timeoutMs` passes). */
export async function collectEvents(
  url: string,
  init: RequestInit,
  timeoutMs = 15_000,
): Promise<{ status: number; headers: Headers; events: ServerEvent[]; ended: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, timeoutMs);
  const response = await fetch(url, { ...init, signal: controller.signal });
  const events: ServerEvent[] = [];
  if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
    clearTimeout(timer);
    return { status: response.status, headers: response.headers, events, ended: true };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length > 0) {
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          events.push({ event, data });
        }
        boundary = buffer.indexOf('\n\n');
      }
    }
    ended = true;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, headers: response.headers, events, ended };
}
