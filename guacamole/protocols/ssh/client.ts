/**
 * The SSH protocol module's entry (guacd's protocols/ssh/client.c + ssh.c): parses the settings,
 * opens the terminal on the display, connects with ssh2 (password, keyboard-interactive or private
 * key; host key checked against `host-key`, or offered to `onHostKey` for a first-use decision),
 * opens a pty shell (or runs `command`) and pipes bytes between it and the terminal.
 */
import ssh2, { type ClientChannel, type ConnectConfig, type PseudoTtyOptions } from 'ssh2';
import type { ConnectArgs, InputHandlers, ProtocolConnection, ProtocolHost, ProtocolModule } from '../../daemon/protocol-module.js';
import { GuacStatus } from '../../protocol/status.js';
import { ColorSchemeError } from '../../terminal/colors.js';
import { GuacTerminal, type TerminalSize } from '../../terminal/terminal.js';
import { clipboardInput, copySelections } from './clipboard.js';
import { fromSsh2Error, SshError } from './errors.js';
import { HostKeyFormatError, hostKeyInfo, hostKeyMatches, parseHostKey, type HostKeyInfo } from './host-key.js';
import { sshInput } from './input.js';
import { parseSshSettings, SSH_ARG_NAMES, SshSettingsError, type SshSettings } from './settings.js';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;

export const CONNECT_TIMEOUT_MS = 15000;

export interface SshProtocolOptions {
  /**
   * Called when the connection has no `host-key`, with the key the server presented, so that the
   * caller can record a first-use decision. Return (or resolve) false to refuse the connection.
   */
  readonly onHostKey?: (info: HostKeyInfo, connectionId: string) => boolean | void | Promise<boolean | void>;
  /** Called with each connection's terminal once the shell is open (tools, tests, recordings). */
  readonly onTerminal?: (terminal: GuacTerminal, connectionId: string) => void;
  readonly connectTimeoutMs?: number;
}

function badRequest(err: unknown): unknown {
  if (err instanceof SshSettingsError || err instanceof HostKeyFormatError || err instanceof ColorSchemeError) {
    return new SshError('SSH_BAD_SETTINGS', GuacStatus.CLIENT_BAD_REQUEST, err.message);
  }
  return err;
}

export function createSshProtocol(options: SshProtocolOptions = {}): ProtocolModule {
  return {
    name: 'ssh',
    argNames: SSH_ARG_NAMES,
    async connect(host: ProtocolHost, args: ConnectArgs): Promise<ProtocolConnection> {
      let settings: SshSettings;
      let expectedKey: Buffer | undefined;
      let terminal: GuacTerminal;
      try {
        settings = parseSshSettings(args);
        expectedKey = settings.hostKey ? parseHostKey(settings.hostKey) : undefined;
        terminal = new GuacTerminal({
          display: host.display,
          width: host.client.width,
          height: host.client.height,
          dpi: host.client.dpi,
          fontName: settings.fontName,
          fontSize: settings.fontSize,
          colorScheme: settings.colorScheme,
          scrollback: settings.scrollback,
          backspace: settings.backspace,
        });
      } catch (err) {
        throw badRequest(err);
      }
      // The empty terminal appears at once, as guacd's does.
      terminal.render();
      host.display.endFrame();
      let opened: { client: SshClient; channel: ClientChannel };
      try {
        opened = await openShell(settings, expectedKey, terminal.size(), host, options);
      } catch (err) {
        terminal.close();
        throw err;
      }
      options.onTerminal?.(terminal, host.id);
      return wire(opened.client, opened.channel, terminal, host, settings);
    },
  };
}

/** Connects, authenticates and opens the pty channel; rejects with an SshError. */
function openShell(
  settings: SshSettings,
  expectedKey: Buffer | undefined,
  size: TerminalSize,
  host: ProtocolHost,
  options: SshProtocolOptions,
): Promise<{ client: SshClient; channel: ClientChannel }> {
  const where = `${settings.hostname}:${settings.port}`;
  const client = new Client();
  let refusal: SshError | undefined;
  const config: ConnectConfig = {
    host: settings.hostname,
    port: settings.port,
    username: settings.username,
    readyTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    keepaliveInterval: settings.serverAliveInterval * 1000,
    tryKeyboard: settings.password !== undefined,
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      const info = hostKeyInfo(settings.hostname, settings.port, key);
      if (expectedKey) {
        if (hostKeyMatches(expectedKey, key)) return verify(true);
        refusal = new SshError(
          'SSH_HOST_KEY_MISMATCH',
          GuacStatus.CLIENT_FORBIDDEN,
          `Host key mismatch for ${where}: the server presented ${info.algorithm} ${info.fingerprint}, which is not the configured host key`,
        );
        return verify(false);
      }
      Promise.resolve(options.onHostKey?.(info, host.id)).then(
        (decision) => {
          if (decision === false) {
            refusal = new SshError('SSH_HOST_KEY_REFUSED', GuacStatus.CLIENT_FORBIDDEN, `Host key ${info.algorithm} ${info.fingerprint} of ${where} was not accepted`);
          }
          verify(decision !== false);
        },
        (err: unknown) => {
          host.logger.warn(`connection ${host.id}: host-key callback failed: ${err instanceof Error ? err.message : String(err)}`);
          refusal = new SshError('SSH_HOST_KEY_REFUSED', GuacStatus.CLIENT_FORBIDDEN, `Host key of ${where} could not be checked`);
          verify(false);
        },
      );
    },
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.privateKey !== undefined ? { privateKey: settings.privateKey } : {}),
    ...(settings.passphrase !== undefined ? { passphrase: settings.passphrase } : {}),
  };
  const pty: PseudoTtyOptions = { term: settings.terminalType, rows: size.rows, cols: size.cols, width: size.width, height: size.height };
  const env: Record<string, string> = {};
  if (settings.locale) env['LANG'] = settings.locale;
  if (settings.timezone) env['TZ'] = settings.timezone;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: SshError): void => {
      if (settled) return;
      settled = true;
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      reject(err);
    };
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      // Answer every hidden prompt with the password (what sshd's PAM asks for).
      finish(prompts.map((p) => (p.echo ? settings.username : (settings.password ?? ''))));
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => fail(refusal ?? fromSsh2Error(err, where)));
    client.on('close', () => fail(refusal ?? new SshError('SSH_UPSTREAM', GuacStatus.UPSTREAM_ERROR, `SSH server at ${where} closed the connection`)));
    client.on('ready', () => {
      host.logger.info(`connection ${host.id}: SSH session to ${where} authenticated`);
      const done = (err: Error | undefined, channel: ClientChannel): void => {
        if (err) return fail(new SshError('SSH_CHANNEL_FAILED', GuacStatus.UPSTREAM_ERROR, `SSH server at ${where} refused the terminal: ${err.message}`));
        if (settled) return channel.close();
        settled = true;
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        resolve({ client, channel });
      };
      if (settings.command) client.exec(settings.command, { pty, env }, done);
      else client.shell(pty, { env }, done);
    });
    try {
      client.connect(config);
    } catch (err) {
      fail(fromSsh2Error(err as Error, where));
    }
  });
}

type Phase = 'open' | 'closed';

/** Attaches every listener in one place and returns the connection handle. */
function wire(client: SshClient, channel: ClientChannel, terminal: GuacTerminal, host: ProtocolHost, settings: SshSettings): ProtocolConnection {
  let phase: Phase = 'open';
  const where = `${settings.hostname}:${settings.port}`;
  const finish = (error?: SshError): void => {
    if (phase === 'closed') return;
    phase = 'closed';
    terminal.close();
    client.end();
    if (error) host.abort(error.guacStatus, error.message);
    else host.end();
  };
  const channelOnData = (data: Buffer): void => {
    if (!terminal.write(data)) channel.pause();
  };
  channel.on('data', channelOnData);
  channel.stderr.on('data', channelOnData);
  channel.on('close', () => finish());
  terminal.on('drain', () => channel.resume());
  terminal.on('data', (bytes) => {
    if (phase === 'open') channel.write(bytes);
  });
  terminal.on('resize', ({ rows, cols, width, height }) => channel.setWindow(rows, cols, height, width));
  terminal.on('title', (title) => host.setName(title));
  if (!settings.disableCopy) copySelections(terminal, host);
  client.on('error', (err: Error & { level?: string; code?: string }) => finish(fromSsh2Error(err, where)));
  client.on('close', () => finish());

  const input: InputHandlers = {
    ...sshInput(terminal),
    ...(settings.disablePaste ? {} : { clipboard: clipboardInput(terminal) }),
  };
  return {
    inputFor(userArgs) {
      // Read-only is per user, like guacd: such users get no handlers at all.
      return userArgs['read-only'] === 'true' ? {} : input;
    },
    close() {
      if (phase === 'closed') return;
      phase = 'closed';
      terminal.close();
      channel.removeAllListeners();
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
    },
  };
}

export const sshProtocol: ProtocolModule = createSshProtocol();
