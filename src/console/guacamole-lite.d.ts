/** The parts of guacamole-lite 1.2.0 (plain CommonJS, no types of its own) that src/console uses. */
declare module 'guacamole-lite' {
  import type { EventEmitter } from 'node:events';
  import type { WebSocketServer, ServerOptions } from 'ws';

  namespace GuacamoleLite {
    interface ClientConnection {
      connectionId: number;
      guacamoleConnectionId?: string;
      connectionSettings: Record<string, unknown>;
      close(error?: Error): void;
    }
    interface Callbacks {
      processConnectionSettings?: (settings: Record<string, unknown>, callback: (err: Error | undefined, settings?: Record<string, unknown>) => void) => void;
    }
  }

  class GuacamoleLite extends EventEmitter {
    constructor(wsOptions: ServerOptions, guacdOptions: { host: string; port: number }, clientOptions: Record<string, unknown>, callbacks?: GuacamoleLite.Callbacks);
    readonly webSocketServer: WebSocketServer;
    readonly activeConnections: Map<number, GuacamoleLite.ClientConnection>;
    sigTermHandler: (() => void) | null;
    sigIntHandler: (() => void) | null;
    close(): void;
  }

  export = GuacamoleLite;
}
