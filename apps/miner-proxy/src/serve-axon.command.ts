import { isIP } from 'node:net';
import { ChainConnection, SubtensorClient } from '@vstack/chain';
import type { MinerProxyConfig } from '@vstack/config';
import { CommandUsageError, parseCommandArguments, type ServiceCommand } from '@vstack/runtime';
import { loadMinerHotkey } from './hotkey';

/** What `serve-axon` publishes: where validators reach this proxy. */
export interface ServeAxonArguments {
  ip: string;
  port: number;
  protocol: number;
  netuid: number;
}

function whole(value: string, option: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CommandUsageError(`${option} must be ${what} (${min} to ${max}), not "${value}"`);
  }
  return Number(value);
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip);
}

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || /^[0:]+$/.test(ip);
}

/** Reads and checks the arguments of `serve-axon`; bad ones are a CommandUsageError naming the option. */
export function parseServeAxonArguments(args: readonly string[], defaultNetuid: number): ServeAxonArguments {
  const values = parseCommandArguments(args, {
    ip: { type: 'string' },
    port: { type: 'string' },
    protocol: { type: 'string', default: '4' },
    netuid: { type: 'string' },
  });
  if (values.ip === undefined) {
    throw new CommandUsageError(
      '--ip is required: the public IPv4 or IPv6 address validators reach the proxy at',
    );
  }
  const ip = values.ip.trim();
  if (isIP(ip) === 0) throw new CommandUsageError(`--ip "${values.ip}" is not an IPv4 or IPv6 address`);
  if (isUnspecified(ip)) {
    throw new CommandUsageError(`--ip ${ip} is the unspecified address; give the address validators reach`);
  }
  if (isLoopback(ip)) {
    throw new CommandUsageError(
      `--ip ${ip} is a loopback address: validators cannot reach it (the chain refuses it)`,
    );
  }
  if (values.port === undefined) {
    throw new CommandUsageError('--port is required: the public port of the proxy');
  }
  return {
    ip,
    port: whole(values.port, '--port', 1, 65_535, 'a TCP port'),
    protocol: whole(values.protocol, '--protocol', 0, 255, "the axon protocol number (bittensor's is 4)"),
    netuid:
      values.netuid === undefined
        ? defaultNetuid
        : whole(values.netuid, '--netuid', 0, 65_535, 'a subnet id'),
  };
}

/**
 * `serve-axon`: publishes the proxy's public address on chain (subtensor's serve_axon, signed by the miner's
 * hotkey), so validators find the miner at it. Uses MINER_HOTKEY or the wallet, SUBTENSOR_URL and NETUID.
 */
export const serveAxonCommand: ServiceCommand<MinerProxyConfig> = {
  summary: "publish the proxy's public address on chain (serve_axon) with the miner's hotkey, then exit",
  usage: '--ip <public address> --port <port> [--protocol 4] [--netuid <netuid>, NETUID by default]',
  async run(args, { config, logger, out }) {
    const axon = parseServeAxonArguments(args, config.NETUID);
    const hotkey = await loadMinerHotkey(config);
    const connection = new ChainConnection({
      endpoints: config.SUBTENSOR_URL.split(',').map((url) => url.trim()),
      readyTimeoutMs: 30_000,
      logger,
    });
    try {
      const client = new SubtensorClient({ connection, logger });
      const result = await client.serveAxon(hotkey, axon.netuid, {
        ip: axon.ip,
        port: axon.port,
        protocol: axon.protocol,
      });
      const where = axon.ip.includes(':') ? `[${axon.ip}]:${axon.port}` : `${axon.ip}:${axon.port}`;
      out.write(
        `served the axon of ${hotkey.address} on subnet ${axon.netuid} at ${where} (protocol ${axon.protocol}) in block ${result.blockNumber}\n`,
      );
    } finally {
      await connection.disconnect();
    }
  },
};
