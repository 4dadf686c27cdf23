import { isIPv4, isIPv6 } from 'node:net';

/** Where a neuron serves, as subtensor stores it (AxonInfo), with the u128 IP decoded. */
export interface AxonInfo {
  /** Dotted IPv4 or RFC 5952 IPv6 text; `0.0.0.0` when the neuron never served. */
  ip: string;
  port: number;
  /** 4 or 6 as the chain stores it (0 when never served). */
  ipType: number;
  protocol: number;
  version: number;
  /** Block of the last serve_axon. */
  block: number;
}

const U32_LIMIT = 1n << 32n;
const U128_LIMIT = 1n << 128n;

function formatIPv4(value: bigint): string {
  const ip = Number(value);
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (at least two) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength && end - i >= 2) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** Decodes subtensor's u128 axon IP to text, as bittensor's int_to_ip does (IPv4 when it fits in 32 bits). */
export function decodeAxonIp(ip: bigint, ipType?: number): string {
  if (ip < 0n || ip >= U128_LIMIT) throw new RangeError(`axon ip ${ip} is not a u128`);
  if (ipType === 6 || ip >= U32_LIMIT) return formatIPv6(ip);
  return formatIPv4(ip);
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function parseIPv6(text: string): bigint {
  let address = text;
  const lastColon = address.lastIndexOf(':');
  const suffix = address.slice(lastColon + 1);
  if (suffix.includes('.')) {
    // an embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit groups
    const v4 = Number(parseIPv4(suffix));
    address = `${address.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const [headText = '', tailText] = address.split('::');
  const head = parse(headText);
  const tail = tailText === undefined ? [] : parse(tailText);
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail].reduce((value, word) => (value << 16n) | BigInt(word), 0n);
}

/** Encodes an IPv4 or IPv6 address to subtensor's u128 axon IP and ip_type (4 or 6). */
export function encodeAxonIp(ip: string): { ip: bigint; ipType: 4 | 6 } {
  if (isIPv4(ip)) return { ip: parseIPv4(ip), ipType: 4 };
  if (isIPv6(ip)) return { ip: parseIPv6(ip), ipType: 6 };
  throw new RangeError(`not an IPv4 or IPv6 address: ${JSON.stringify(ip)}`);
}
