/**
 * Console metrics for /metrics: sessions open now (the tunnel's and the built-in guacd's, read at scrape time),
 * sessions opened by way in, refusals by reason, and how long sessions lasted.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConsoleErrorCode } from './errors.js';

/** 10 s … 12 h: a glance, a task, a working day. */
const DURATION_BUCKETS = [10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600];

export class ConsoleMetrics {
  readonly registry: Registry;
  readonly #opened: Counter<'way'>;
  readonly #refused: Counter<'reason'>;
  readonly #duration: Histogram<'way'>;
  #openSessions: () => number = () => 0;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const open = (): number => this.#openSessions();
    new Gauge({
      name: 'earcandle_console_sessions',
      help: 'Console sessions open through the tunnel',
      registers,
      collect() {
        this.set(open());
      },
    });
    this.#opened = new Counter({ name: 'earcandle_console_sessions_opened_total', help: 'Console sessions admitted, by way in', labelNames: ['way'], registers });
    this.#refused = new Counter({ name: 'earcandle_console_refused_total', help: 'Console requests refused before guacd, by reason', labelNames: ['reason'], registers });
    this.#duration = new Histogram({
      name: 'earcandle_console_session_duration_seconds',
      help: 'How long console sessions lasted, by way in',
      labelNames: ['way'],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  /** Where the open-session gauge reads from (the tunnel). */
  countOpenSessions(source: () => number): void {
    this.#openSessions = source;
  }

  /** Adds a gauge of the built-in guacd's sessions (an external guacd has none here). */
  countGuacdSessions(source: () => number): void {
    new Gauge({
      name: 'earcandle_guacd_sessions',
      help: 'Sessions of the built-in guacd',
      registers: [this.registry],
      collect() {
        this.set(source());
      },
    });
  }

  opened(way: string): void {
    this.#opened.inc({ way });
  }

  refused(reason: ConsoleErrorCode): void {
    this.#refused.inc({ reason: reason.toLowerCase() });
  }

  ended(way: string, seconds: number): void {
    this.#duration.observe({ way }, seconds);
  }
}
