/**
 * The protocols the daemon can `select`. Modules are loaded on first use, so a protocol whose
 * dependencies are missing fails its own connections only.
 */
import type { ProtocolModule } from './protocol-module.js';

export type ProtocolLoader = () => Promise<ProtocolModule>;

export class ProtocolRegistry {
  readonly #loaders = new Map<string, ProtocolLoader>();
  readonly #loaded = new Map<string, Promise<ProtocolModule>>();

  register(name: string, loader: ProtocolLoader): this {
    this.#loaders.set(name, loader);
    this.#loaded.delete(name);
    return this;
  }

  has(name: string): boolean {
    return this.#loaders.has(name);
  }

  names(): string[] {
    return [...this.#loaders.keys()];
  }

  /** The module for `name`, or undefined when no such protocol is registered. */
  async get(name: string): Promise<ProtocolModule | undefined> {
    const loader = this.#loaders.get(name);
    if (!loader) return undefined;
    let module = this.#loaded.get(name);
    if (!module) {
      module = loader();
      this.#loaded.set(name, module);
      // A failed load is retried next time.
      module.catch(() => this.#loaded.delete(name));
    }
    return module;
  }
}

/** The registry the daemon ships with: vnc now; ssh and rdp register here when they exist. */
export function defaultRegistry(): ProtocolRegistry {
  return new ProtocolRegistry()
    .register('vnc', async () => (await import('../protocols/vnc/client.js')).vncProtocol)
    .register('ssh', async () => (await import('../protocols/ssh/client.js')).sshProtocol);
}
