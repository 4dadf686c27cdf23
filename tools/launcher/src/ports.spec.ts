import { describe, expect, it } from 'vitest';
import { assignPorts, type PortProbe } from './ports';

function probe(busy: number[], randomPorts: number[]): PortProbe {
  const queue = [...randomPorts];
  return {
    isFree: (port) => Promise.resolve(!busy.includes(port)),
    freePort: () => {
      const next = queue.shift();
      if (next === undefined) throw new Error('no more free ports in this test');
      return Promise.resolve(next);
    },
  };
}

const defaults: Record<string, number> = { gateway: 3000, sidecar: 3001, scoring: 3003 };
const defaultPort = (name: string) => defaults[name];

describe('assignPorts', () => {
  it('gives each app its default port when it is free', async () => {
    const ports = await assignPorts(['gateway', 'sidecar'], defaultPort, probe([], []));
    expect(Object.fromEntries(ports)).toEqual({ gateway: 3000, sidecar: 3001 });
  });

  it('picks a free port when the default is taken, or the app has none', async () => {
    const ports = await assignPorts(['gateway', 'fixture'], defaultPort, probe([3000], [45001, 45002]));
    expect(Object.fromEntries(ports)).toEqual({ gateway: 45001, fixture: 45002 });
  });

  it('never hands out the same port twice, nor another app’s default', async () => {
    const ports = await assignPorts(
      ['fixture', 'gateway', 'other'],
      defaultPort,
      probe([], [3000, 45001, 45001, 45002]),
    );
    expect(Object.fromEntries(ports)).toEqual({ fixture: 45001, gateway: 3000, other: 45002 });
  });
});
