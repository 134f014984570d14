/**
 * The contract between the RFB (VNC) client and the guacd VNC protocol module that drives it.
 * The RFB client speaks to the VNC server and reports what the remote framebuffer does;
 * `protocols/vnc/client.ts` turns those reports into display calls and Guacamole input into RFB messages.
 */

import type { RgbaImage } from '../../../display/surface.js';
import type { GuacStatus } from '../../../protocol/status.js';

/** Pixels as 8-bit RGBA, row-major, `width * height * 4` bytes (the display's image type); alpha is 255 except in cursors. */
export type { RgbaImage };

export interface RfbClientEvents {
  /** The handshake finished: framebuffer size and desktop name from ServerInit. */
  ready: (info: { width: number; height: number; name: string; version: '3.3' | '3.7' | '3.8' }) => void;
  /** The desktop changed size (DesktopSize / ExtendedDesktopSize pseudo-encoding). */
  resize: (size: { width: number; height: number }) => void;
  /**
   * New pixels for a rectangle (raw, ZRLE, Tight … already decoded). A listener that keeps them copies them: the
   * display hands the memory back to the decoders' pool (`recycleImage`) once it has copied it.
   */
  pixels: (x: number, y: number, image: RgbaImage) => void;
  /**
   * A finished PNG or JPEG image of a rectangle (Tight PNG / Tight JPEG), not decoded: opaque, exactly
   * `width`×`height`, in the server's colours.
   */
  image: (x: number, y: number, width: number, height: number, mimetype: 'image/png' | 'image/jpeg', data: Uint8Array) => void;
  /** A rectangle filled with one colour (solid ZRLE/Tight tiles, RRE/Hextile backgrounds). */
  fill: (x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]) => void;
  /** CopyRect: the area at (srcX, srcY) moved to (x, y). */
  copy: (srcX: number, srcY: number, width: number, height: number, x: number, y: number) => void;
  /** Every rectangle of one FramebufferUpdate has been reported: a frame boundary. */
  frameEnd: () => void;
  /** Cursor pseudo-encoding: the remote cursor image and its hotspot. */
  cursor: (hotX: number, hotY: number, image: RgbaImage) => void;
  /** ServerCutText, decoded to a JS string (ISO 8859-1 on the wire unless extended clipboard is used). */
  clipboard: (text: string) => void;
  bell: () => void;
  /** The connection ended; `error` is set when it ended because of a failure. */
  close: (error?: RfbError) => void;
}

/** Why the RFB connection failed; `code` is stable, `guacStatus` is the Guacamole status to report. */
export interface RfbError extends Error {
  readonly code:
    | 'RFB_CONNECT_FAILED'
    | 'RFB_BAD_VERSION'
    | 'RFB_NO_SECURITY_TYPE'
    | 'RFB_AUTH_FAILED'
    | 'RFB_PASSWORD_REQUIRED'
    | 'RFB_PROTOCOL_ERROR'
    | 'RFB_CLOSED'
    | 'RFB_TIMEOUT';
  /** UPSTREAM_ERROR, UPSTREAM_NOT_FOUND, CLIENT_UNAUTHORIZED, UPSTREAM_TIMEOUT … */
  readonly guacStatus: GuacStatus;
}

export interface RfbClientOptions {
  host: string;
  port: number;
  password?: string | undefined;
  /** Preferred encodings, best first; the client always adds raw, CopyRect and the pseudo-encodings it supports. */
  encodings?: readonly ('tightpng' | 'zrle' | 'tight' | 'hextile' | 'copyrect' | 'raw')[];
  /** Send SetPixelFormat for 8/16/24-bit colour; 24 (true colour) by default. */
  colorDepth?: 8 | 16 | 24 | 32;
  /** Ask for the remote cursor as pseudo-encoding (true) or let the server draw it into the framebuffer. */
  remoteCursor?: boolean;
  /** Milliseconds for TCP connect plus handshake. */
  connectTimeoutMs?: number;
  /** Use an already-connected duplex stream instead of TCP (tests, the PVE console bridge). */
  socket?: import('node:stream').Duplex;
}

/** What the VNC protocol module calls on the RFB client. */
export interface RfbClientApi {
  connect(): Promise<void>;
  /** FramebufferUpdateRequest for the whole screen; `incremental` false asks for everything. */
  requestUpdate(incremental: boolean): void;
  pointer(x: number, y: number, buttonMask: number): void;
  key(keysym: number, pressed: boolean): void;
  /** ClientCutText. */
  sendClipboard(text: string): void;
  close(): void;
}
