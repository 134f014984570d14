/**
 * RFB (RFC 6143) wire numbers and the typed server messages the parser produces.
 * Types only: no I/O, no decoding.
 */
import type { RgbaImage } from './rfb-client-types.js';

/** Encoding numbers, named as in RFC 6143 §7.7–7.8 and the community registry. */
export const enum Encoding {
  Raw = 0,
  CopyRect = 1,
  RRE = 2,
  CoRRE = 4,
  Hextile = 5,
  Zlib = 6,
  Tight = 7,
  ZlibHex = 8,
  TRLE = 15,
  ZRLE = 16,
  /** JPEG quality level 0…9 is -32 + level. */
  JpegQualityLevel0 = -32,
  JpegQualityLevel9 = -23,
  /** Compression level 0…9 is -256 + level. */
  CompressLevel0 = -256,
  CompressLevel9 = -247,
  DesktopSize = -223,
  LastRect = -224,
  PointerPos = -232,
  Cursor = -239,
  XCursor = -240,
  TightPng = -260,
  QemuExtendedKeyEvent = -258,
  DesktopName = -307,
  ExtendedDesktopSize = -308,
  Fence = -312,
  ContinuousUpdates = -313,
  CursorWithAlpha = -314,
}

/** Server-to-client message types (RFC 6143 §7.6). */
export const enum ServerMessageType {
  FramebufferUpdate = 0,
  SetColourMapEntries = 1,
  Bell = 2,
  ServerCutText = 3,
}

/** Client-to-server message types (RFC 6143 §7.5). */
export const enum ClientMessageType {
  SetPixelFormat = 0,
  SetEncodings = 2,
  FramebufferUpdateRequest = 3,
  KeyEvent = 4,
  PointerEvent = 5,
  ClientCutText = 6,
}

/** Security types (RFC 6143 §7.2). */
export const enum SecurityType {
  Invalid = 0,
  None = 1,
  VncAuthentication = 2,
}

export type Rgba = readonly [number, number, number, number];

/** Decoded pixels for a rectangle (Raw, ZRLE, Hextile, RRE, Tight with mixed content). */
export interface PixelsRect {
  readonly kind: 'pixels';
  readonly encoding: Encoding;
  readonly x: number;
  readonly y: number;
  readonly image: RgbaImage;
}

/** A rectangle of one colour (solid ZRLE/Tight tiles, RRE/Hextile without sub-rectangles). */
export interface FillRect {
  readonly kind: 'fill';
  readonly encoding: Encoding;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly rgba: Rgba;
}

/** CopyRect: the area at (srcX, srcY) moves to (x, y). */
export interface CopyRect {
  readonly kind: 'copy';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly srcX: number;
  readonly srcY: number;
}

export interface Screen {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly flags: number;
}

/** DesktopSize or ExtendedDesktopSize. For the extended form, `reason` and `status` come from x and y. */
export interface DesktopSizeRect {
  readonly kind: 'desktopSize';
  readonly encoding: Encoding.DesktopSize | Encoding.ExtendedDesktopSize;
  readonly width: number;
  readonly height: number;
  /** ExtendedDesktopSize only: 0 server-initiated, 1 this client's request, 2 another client's. */
  readonly reason?: number;
  /** ExtendedDesktopSize only: 0 success; anything else means the size did not change. */
  readonly status?: number;
  readonly screens?: readonly Screen[];
}

/** Cursor pseudo-encoding: RGBA from the pixels, alpha from the bitmask. */
export interface CursorRect {
  readonly kind: 'cursor';
  readonly hotX: number;
  readonly hotY: number;
  readonly image: RgbaImage;
}

/**
 * A rectangle the server sent as a finished image (Tight PNG, Tight JPEG): the bytes as they came, not
 * decoded, so the display can pass them on to a client that renders that format itself.
 */
export interface EncodedImageRect {
  readonly kind: 'image';
  readonly encoding: Encoding;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly mimetype: EncodedImageType;
  readonly data: Uint8Array;
}

export type EncodedImageType = 'image/png' | 'image/jpeg';

export type Rectangle = PixelsRect | FillRect | CopyRect | DesktopSizeRect | CursorRect | EncodedImageRect;

export interface FramebufferUpdate {
  readonly type: ServerMessageType.FramebufferUpdate;
  /** Every rectangle in wire order; LastRect ends the list early and is not included. */
  readonly rectangles: readonly Rectangle[];
}

export interface ColourMapEntry {
  readonly red: number;
  readonly green: number;
  readonly blue: number;
}

export interface SetColourMapEntries {
  readonly type: ServerMessageType.SetColourMapEntries;
  readonly firstColour: number;
  /** 16-bit intensities as on the wire. */
  readonly colours: readonly ColourMapEntry[];
}

export interface Bell {
  readonly type: ServerMessageType.Bell;
}

export interface ServerCutText {
  readonly type: ServerMessageType.ServerCutText;
  /** Decoded as ISO 8859-1. */
  readonly text: string;
}

export type ServerMessage = FramebufferUpdate | SetColourMapEntries | Bell | ServerCutText;
