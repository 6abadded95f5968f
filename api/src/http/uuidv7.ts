import { randomFillSync } from 'node:crypto';

/**
 * Random bytes are drawn in batches: a system call per id would cost more than everything else
 * the request-id middleware does.
 */
const POOL_IDS = 256;
const pool = Buffer.alloc(POOL_IDS * 10);
let offset = pool.length;

/** RFC 9562 UUIDv7: a 48-bit millisecond timestamp then random bits, so ids sort by creation time. */
export function uuidv7(now = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, offset, offset + 10);
  offset += 10;
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
