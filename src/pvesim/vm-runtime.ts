import type { SimVm } from './state.js';

/** Where a console's RFB server listens (loopback only). */
export interface VncTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * What runs a guest: a real QEMU process or the in-process simulation. The power logic (power.ts) owns
 * the PVE-visible state; a backend only performs the side effects and reports guest-initiated exits.
 */
export interface VmBackend {
  start(vm: SimVm): Promise<void>;
  /** Hard stop ("pull the plug"). */
  kill(vm: SimVm): Promise<void>;
  pause(vm: SimVm): Promise<void>;
  resume(vm: SimVm): Promise<void>;
  reset(vm: SimVm): Promise<void>;
  /** Sends the ACPI power button. */
  powerdown(vm: SimVm): Promise<void>;
  /** Sets the console password (valid `validS` seconds) and returns the RFB endpoint. */
  console(vm: SimVm, password: string, validS: number): Promise<VncTarget>;
  /** Stops everything this backend started. */
  shutdownAll(): Promise<void>;
}

/** Picks the backend per VM. */
export interface VmRuntime {
  for(vm: SimVm): VmBackend;
  shutdownAll(): Promise<void>;
}
