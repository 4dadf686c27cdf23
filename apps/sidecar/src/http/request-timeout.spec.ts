import { describe, expect, it } from 'vitest';
import { SidecarError, SidecarErrorCode } from '../errors';
import { requestTimeoutMs, withinTimeout } from './request-timeout';

describe('x-timeout-ms', () => {
  it('takes the default when absent and a whole number of ms from 1 to 300000 when given', () => {
    expect(requestTimeoutMs(undefined, 60_000)).toBe(60_000);
    expect(requestTimeoutMs('1', 60_000)).toBe(1);
    expect(requestTimeoutMs(' 2500 ', 60_000)).toBe(2_500);
    expect(requestTimeoutMs('300000', 60_000)).toBe(300_000);
  });

  it.each(['0', '300001', '-5', '1.5', 'soon', '', '99999999999'])(
    'refuses %j with 400 invalid_timeout',
    (value) => {
      const refused = (() => {
        try {
          requestTimeoutMs(value, 60_000);
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(refused).toBeInstanceOf(SidecarError);
      expect(refused).toMatchObject({ code: SidecarErrorCode.InvalidTimeout, httpStatus: 400 });
    },
  );

  it('refuses the header sent twice', () => {
    expect(() => requestTimeoutMs(['100', '200'], 60_000)).toThrow(SidecarError);
  });
});

describe('answering within the timeout', () => {
  it('passes on an answer that comes in time', async () => {
    await expect(withinTimeout(Promise.resolve('neurons'), 50, 0)).resolves.toBe('neurons');
  });

  it('answers 504 timeout once the time left since the request arrived runs out', async () => {
    const never = new Promise<string>(() => undefined);
    const started = performance.now();
    await expect(withinTimeout(never, 1_000, 970)).rejects.toMatchObject({
      code: SidecarErrorCode.Timeout,
      httpStatus: 504,
    });
    expect(performance.now() - started).toBeLessThan(500);
  });
});
