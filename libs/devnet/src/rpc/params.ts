import type { Hex } from '../chain/state';
import { RpcError } from './rpc-error';

const hexPattern = /^0x([0-9a-fA-F]{2})*$/;

/** Positional JSON-RPC parameters with checks that answer -32602 Invalid params, naming the method. */
export class Params {
  constructor(
    private readonly method: string,
    private readonly values: readonly unknown[],
  ) {}

  private invalid(index: number, expected: string): RpcError {
    return RpcError.invalidParams(`${this.method}: parameter ${index} must be ${expected}`);
  }

  private present(index: number): boolean {
    const value = this.values[index];
    return value !== undefined && value !== null;
  }

  raw(index: number): unknown {
    return this.values[index];
  }

  hex(index: number): Hex {
    const value = this.values[index];
    if (typeof value !== 'string' || !hexPattern.test(value)) {
      throw this.invalid(index, 'a 0x-prefixed hex string');
    }
    return value.toLowerCase() as Hex;
  }

  optionalHex(index: number): Hex | undefined {
    return this.present(index) ? this.hex(index) : undefined;
  }

  hexList(index: number): Hex[] {
    const value = this.values[index];
    if (!Array.isArray(value)) throw this.invalid(index, 'a list of 0x-prefixed hex strings');
    return value.map((_, position) => new Params(this.method, value).hex(position));
  }

  optionalHexList(index: number): Hex[] | undefined {
    return this.present(index) ? this.hexList(index) : undefined;
  }

  /** A whole number given as a JSON number or a (hex or decimal) string. */
  integer(index: number): number {
    const value = this.values[index];
    const parsed =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 0) throw this.invalid(index, 'a non-negative whole number');
    return parsed;
  }

  optionalInteger(index: number): number | undefined {
    return this.present(index) ? this.integer(index) : undefined;
  }

  string(index: number): string {
    const value = this.values[index];
    if (typeof value !== 'string' || value.length === 0) throw this.invalid(index, 'a string');
    return value;
  }
}
