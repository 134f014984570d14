/** The RFB (VNC) client: its only door. */
export { RfbClient, RfbClientState, encodingList, type RfbClientEventMap } from './rfb-client.js';
export { RfbClientError, RFB_ERROR_STATUS, type RfbErrorCode, type RfbErrorDetail } from './errors.js';
export type { RfbClientApi, RfbClientEvents, RfbClientOptions, RfbError, RgbaImage } from './rfb-client-types.js';
export * from './messages.js';
export { Parser, type ParserOptions } from './parser.js';
export { encode, latin1Bytes } from './encoder.js';
export { Handshake, HandshakeState, type HandshakeOptions, type HandshakeOutput, type RfbVersion, type ServerInit } from './handshake.js';
export {
  PixelConverter, RGB888, RGB565, BGR233, parsePixelFormat, serializePixelFormat, pixelFormatForDepth,
  packRgba, unpackRgba, recycleImage, type PixelFormat,
} from './pixel-format.js';
export { vncAuthKey, vncAuthResponse, desEcbEncrypt } from './vnc-auth.js';
export { ZlibStream } from './zlib-stream.js';
