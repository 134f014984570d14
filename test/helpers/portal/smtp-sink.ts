import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  to: string[];
  subject: string;
  text: string;
}

/** An SMTP server on 127.0.0.1 that keeps what it receives (for registration and reset mails). */
export class SmtpSink {
  readonly mails: SunkMail[] = [];
  #server: SMTPServer;
  #waiters: (() => void)[] = [];
  port = 0;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            this.mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: parsed.subject ?? '', text: parsed.text ?? '' });
            for (const w of this.#waiters.splice(0)) w();
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.server.address() as AddressInfo).port;
  }

  /** The next mail to `to` (waits for it). */
  async next(to: string, limitMs = 10_000): Promise<SunkMail> {
    const until = Date.now() + limitMs;
    for (;;) {
      const found = this.mails.find((m) => m.to.includes(to));
      if (found) {
        this.mails.splice(this.mails.indexOf(found), 1);
        return found;
      }
      if (Date.now() > until) throw new Error(`no mail to ${to}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The first link in a mail's text. */
export function linkIn(text: string): URL {
  const m = /https?:\/\/\S+/.exec(text);
  if (!m) throw new Error('no link in the mail');
  return new URL(m[0]);
}
