import { CommandUsageError } from '@vstack/runtime';
import { describe, expect, it } from 'vitest';
import { parseServeAxonArguments } from './serve-axon.command';

function usageError(args: string[]): string {
  try {
    parseServeAxonArguments(args, 1);
  } catch (error) {
    if (error instanceof CommandUsageError) return error.message;
    throw error;
  }
  throw new Error('expected a CommandUsageError');
}

describe('serve-axon arguments', () => {
  it('reads the address, port, protocol and subnet, NETUID by default', () => {
    expect(parseServeAxonArguments(['--ip', '1.2.3.4', '--port', '8091'], 1)).toEqual({
      ip: '1.2.3.4',
      port: 8091,
      protocol: 4,
      netuid: 1,
    });
    expect(
      parseServeAxonArguments(['--ip=2001:db8::7', '--port=443', '--protocol', '0', '--netuid', '12'], 1),
    ).toEqual({ ip: '2001:db8::7', port: 443, protocol: 0, netuid: 12 });
  });

  it('names the option at fault', () => {
    expect(usageError([])).toMatch(/^--ip is required/);
    expect(usageError(['--ip', 'my-host.example', '--port', '1'])).toBe(
      '--ip "my-host.example" is not an IPv4 or IPv6 address',
    );
    expect(usageError(['--ip', '1.2.3.256', '--port', '1'])).toMatch(/not an IPv4 or IPv6 address/);
    expect(usageError(['--ip', '0.0.0.0', '--port', '1'])).toMatch(/unspecified address/);
    expect(usageError(['--ip', '::', '--port', '1'])).toMatch(/unspecified address/);
    expect(usageError(['--ip', '127.0.0.1', '--port', '1'])).toMatch(/loopback/);
    expect(usageError(['--ip', '::1', '--port', '1'])).toMatch(/loopback/);
    expect(usageError(['--ip', '1.2.3.4'])).toMatch(/^--port is required/);
    expect(usageError(['--ip', '1.2.3.4', '--port', '70000'])).toBe(
      '--port must be a TCP port (1 to 65535), not "70000"',
    );
    expect(usageError(['--ip', '1.2.3.4', '--port', '80', '--protocol', '-1'])).toMatch(/--protocol/);
    expect(usageError(['--ip', '1.2.3.4', '--port', '80', '--netuid', 'one'])).toMatch(/--netuid must be/);
    expect(usageError(['--ip', '1.2.3.4', '--port', '80', '--hotkey', '//Eve'])).toMatch(/--hotkey/);
  });
});
