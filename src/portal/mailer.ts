import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends the portal's mails (address verification, password reset). */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** nodemailer over an SMTP URL (smtp://host:port, smtps://user:pass@host). */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close() {
      transport.close();
    },
  };
}
