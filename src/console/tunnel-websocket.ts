/**
 * The console tunnel's WebSocket settings: permessage-deflate tuned for Guacamole traffic (instruction text
 * around base64 PNG/JPEG blobs), used by the tunnel's WebSocket server and by bench/console's gateway, so the
 * benchmark measures what the product runs. bench/console-deflate.ts measures the alternatives (bytes, CPU,
 * memory per session); docs/BENCHMARKS.md has the figures behind these numbers.
 */
import WebSocket, { type PerMessageDeflateOptions, type ServerOptions } from 'ws';
import { batchedPerTick } from './instruction-batching.js';

type SendData = Parameters<WebSocket['send']>[0];
type SendCallback = (err?: Error) => void;
type SendOptions = Exclude<Parameters<WebSocket['send']>[1], SendCallback | undefined>;

/**
 * A WebSocket class whose messages shorter than `bytes` go out uncompressed. ws applies its own `threshold`
 * only without context takeover; with it, every message would make a round trip through zlib. Skipping one
 * leaves the compression context as it was, so the next compressed message still refers back past it.
 */
export function uncompressedBelow(bytes: number): typeof WebSocket {
  return class SmallMessagesUncompressed extends WebSocket {
    override send(data: SendData, options?: SendOptions | SendCallback, cb?: SendCallback): void {
      if (typeof options === 'function') {
        cb = options;
        options = {};
      }
      const size = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : Infinity;
      super.send(data, size < bytes ? { ...options, compress: false } : (options ?? {}), cb);
    }
  };
}

/**
 * Messages below this many bytes are sent as they are: a lone `sync` or `nop`. Batched (batchedPerTick), nine
 * messages in ten are whole guacd reads over 128 B, and compressing the rest too changed nothing measurable. A
 * message per instruction (70 % of them under 128 B), compressing every one took 1.3–1.6× the CPU and queued
 * messages behind the thread pool (p99 72–757 ms instead of 8–12 ms at 50 sessions).
 */
export const TUNNEL_COMPRESSION_THRESHOLD = 128;

/**
 * Measured on the recorded changing screen, batched, 50 sessions (bench/console-deflate, docs/BENCHMARKS.md):
 * level 1 within 2 % of levels 3 and 6 in bytes (base64 of PNG leaves the entropy coder little more to find); a
 * window of 2^13 within 1 % of 2^15, 2^11 7–8 % larger; memLevel 6 as small as 8, so zlib's state is 64 KiB a
 * session instead of 256 KiB with ws's defaults; context takeover kept (resetting it after every message: 7–8 %
 * more bytes). At most two compressions at once were as fast as ten, and leave libuv's other two threads to
 * argon2 and files.
 */
export const TUNNEL_PER_MESSAGE_DEFLATE: PerMessageDeflateOptions = {
  zlibDeflateOptions: { level: 1, memLevel: 6 },
  serverMaxWindowBits: 13,
  // What the browser sends (sync replies, keys, mouse) is small; its window is the browser's choice.
  concurrencyLimit: 2,
};

/** ws ServerOptions for the tunnel (and anything that must behave like it): compression and the message limit. */
export const TUNNEL_WEBSOCKET_OPTIONS = {
  perMessageDeflate: TUNNEL_PER_MESSAGE_DEFLATE,
  maxPayload: 1024 * 1024,
  WebSocket: batchedPerTick(uncompressedBelow(TUNNEL_COMPRESSION_THRESHOLD)),
} as const satisfies ServerOptions;
