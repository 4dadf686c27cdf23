/** The bytes of one file inside an uncompressed tar (ustar: 512-byte headers, octal sizes, data padded to 512). */
export function readTarEntry(tar: Uint8Array, wanted: string): Uint8Array {
  const decoder = new TextDecoder();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      decoder.decode(header.subarray(start, start + length)).replace(/\0.*$/s, '');
    const name = text(0, 100);
    const prefix = text(345, 155);
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const path = prefix ? `${prefix}/${name}` : name;
    const start = offset + 512;
    if (path === wanted) return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} is not in the package`);
}
