/**
 * The VNC protocol module's entry (guacd's protocols/vnc/client.c + vnc.c): parses the settings,
 * creates the RfbClient, wires its events to the display and clipboard, and hands out input handlers.
 */
import type { EventEmitter } from 'node:events';
import type { ConnectArgs, InputHandlers, ProtocolConnection, ProtocolHost, ProtocolModule } from '../../daemon/protocol-module.js';
import { GuacStatus } from '../../protocol/status.js';
import { fromCutText, toCutText } from './clipboard.js';
import { drawRfbInto } from './display.js';
import { vncInput } from './input.js';
import type { RfbClientApi, RfbClientOptions, RfbError } from './rfb/rfb-client-types.js';
import { RfbClient, type RfbClientEventMap } from './rfb/index.js';
import { parseVncSettings, VNC_ARG_NAMES, VncSettingsError, type VncSettings } from './settings.js';

/** The RfbClient as this module uses it: the contract's API plus its typed events. */
export type RfbClientLike = RfbClientApi & EventEmitter<RfbClientEventMap>;

export type RfbClientFactory = (options: RfbClientOptions) => RfbClientLike;

const defaultFactory: RfbClientFactory = (options) => new RfbClient(options);

const RETRY_DELAY_MS = 1000;
const CONNECT_TIMEOUT_MS = 10000;

class SettingsStatusError extends VncSettingsError {
  readonly guacStatus = GuacStatus.CLIENT_BAD_REQUEST;
}

function rfbOptions(settings: VncSettings): RfbClientOptions {
  return {
    host: settings.hostname,
    port: settings.port,
    password: settings.password,
    ...(settings.encodings.length > 0 ? { encodings: settings.encodings } : {}),
    colorDepth: settings.colorDepth,
    remoteCursor: settings.cursor === 'local',
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  };
}

/** Builds the VNC module; tests pass a factory for a scripted RfbClient. */
export function createVncProtocol(factory?: RfbClientFactory): ProtocolModule {
  return {
    name: 'vnc',
    argNames: VNC_ARG_NAMES,
    async connect(host: ProtocolHost, args: ConnectArgs): Promise<ProtocolConnection> {
      let settings: VncSettings;
      try {
        settings = parseVncSettings(args);
      } catch (err) {
        throw err instanceof VncSettingsError ? new SettingsStatusError(err.message) : err;
      }
      if (settings.forceLossless) host.display.forceLossless();
      const create = factory ?? defaultFactory;
      // Connect, retrying `autoretry` times one second apart while the server cannot be reached.
      for (let attempt = 0; ; attempt++) {
        const rfb = create(rfbOptions(settings));
        const connection = wire(rfb, host, settings);
        try {
          await rfb.connect();
          connection.opened();
          return connection;
        } catch (err) {
          connection.close();
          const code = (err as Partial<RfbError>).code;
          const retryable = code === 'RFB_CONNECT_FAILED' || code === 'RFB_TIMEOUT';
          if (!retryable || attempt >= settings.autoretry) throw err;
          host.logger.info(`connection ${host.id}: VNC connect failed (${code}); retry ${attempt + 1} of ${settings.autoretry}`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS).unref());
        }
      }
    },
  };
}

type Phase = 'connecting' | 'open' | 'closed';

/** Attaches every RFB listener in one place (before connecting) and returns the connection handle. */
function wire(rfb: RfbClientLike, host: ProtocolHost, settings: VncSettings): ProtocolConnection & { opened(): void } {
  let phase: Phase = 'connecting';
  const { display } = host;
  drawRfbInto(rfb, display, settings);
  rfb.on('ready', (info) => {
    display.resize(info.width, info.height);
    if (info.name) host.setName(info.name);
  });
  rfb.on('frameEnd', () => {
    display.endFrame();
    display.whenReady(() => {
      if (phase === 'open') rfb.requestUpdate(true);
    });
  });
  if (!settings.disableCopy) {
    rfb.on('clipboard', (text) => host.sendClipboard('text/plain', fromCutText(text, settings.clipboardEncoding)));
  }
  rfb.on('close', (error) => {
    // While connecting, connect() reports the failure.
    if (phase !== 'open') return;
    phase = 'closed';
    if (error) host.abort(error.guacStatus, error.message);
    else host.end();
  });

  const input: InputHandlers = {
    ...vncInput(rfb),
    ...(settings.disablePaste
      ? {}
      : { clipboard: (_mimetype: string, text: string) => rfb.sendClipboard(toCutText(text, settings.clipboardEncoding)) }),
  };
  return {
    opened() {
      if (phase !== 'connecting') return;
      // The RfbClient asked for the whole screen itself when the handshake ended.
      phase = 'open';
    },
    inputFor(userArgs) {
      // Read-only is per user, like guacd: such users get no handlers at all.
      return userArgs['read-only'] === 'true' ? {} : input;
    },
    close() {
      if (phase === 'closed') return;
      phase = 'closed';
      rfb.removeAllListeners();
      rfb.on('close', () => {});
      rfb.close();
    },
  };
}

export const vncProtocol: ProtocolModule = createVncProtocol();
