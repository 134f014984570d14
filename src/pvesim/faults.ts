import { z } from 'zod';

/** One fault rule; `match` is `METHOD /path/template` or a path template (any method); absent = every request. */
export const faultRuleSchema = z
  .object({
    match: z.string().min(1).optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorStatus: z.number().int().min(400).max(599).optional(),
    errorMessage: z.string().max(200).optional(),
    resetRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export const faultsSchema = z
  .object({
    rules: z.array(faultRuleSchema).max(100).optional(),
    offlineNodes: z.array(z.string()).optional(),
  })
  .strict();

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultsInput = z.infer<typeof faultsSchema>;

/** What the server should do to one request. */
export interface FaultDecision {
  latencyMs: number;
  error?: { status: number; message: string };
  reset: boolean;
}

/** The fault-injection switchboard (scenario file, admin endpoint, or tests through `PveSim.faults`). */
export class Faults {
  private rules: FaultRule[] = [];
  readonly offlineNodes = new Set<string>();

  constructor(private readonly random: () => number = Math.random) {}

  /** Replaces the rules and offline-node list. */
  set(input: FaultsInput): void {
    const parsed = faultsSchema.parse(input);
    this.rules = parsed.rules ?? [];
    this.offlineNodes.clear();
    for (const n of parsed.offlineNodes ?? []) this.offlineNodes.add(n);
  }

  clear(): void {
    this.rules = [];
    this.offlineNodes.clear();
  }

  /** Current settings, for the admin endpoint. */
  snapshot(): FaultsInput {
    return { rules: [...this.rules], offlineNodes: [...this.offlineNodes] };
  }

  /** Decides the faults for a request to `template` (undefined when unrouted). */
  decide(method: string, template: string | undefined): FaultDecision {
    const out: FaultDecision = { latencyMs: 0, reset: false };
    for (const rule of this.rules) {
      if (rule.match !== undefined) {
        const [m, p] = rule.match.includes(' ') ? rule.match.split(' ', 2) : [undefined, rule.match];
        if ((m && m !== method) || p !== template) continue;
      }
      out.latencyMs += rule.latencyMs ?? 0;
      if (!out.error && rule.errorRate && this.random() < rule.errorRate) {
        out.error = { status: rule.errorStatus ?? 500, message: rule.errorMessage ?? 'injected fault' };
      }
      if (!out.reset && rule.resetRate && this.random() < rule.resetRate) out.reset = true;
    }
    return out;
  }
}
