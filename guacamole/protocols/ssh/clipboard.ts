/**
 * Clipboard for SSH sessions, as guacd's terminal does it: text selected with the mouse goes to
 * every user's clipboard; text the client sends becomes what middle-click / Ctrl+Shift+V paste.
 */
import type { ProtocolHost } from '../../daemon/protocol-module.js';
import type { GuacTerminal } from '../../terminal/terminal.js';

/** guacd's clipboard limit (characters kept from a selection). */
export const CLIPBOARD_MAX_CHARS = 262144;

/** Sends selections to the users' clipboards. */
export function copySelections(terminal: GuacTerminal, host: Pick<ProtocolHost, 'sendClipboard'>): void {
  terminal.on('clipboard', (text) => host.sendClipboard('text/plain', text.slice(0, CLIPBOARD_MAX_CHARS)));
}

/** The handler for a client's `clipboard` stream. */
export function clipboardInput(terminal: Pick<GuacTerminal, 'setClipboard'>): (mimetype: string, text: string) => void {
  return (mimetype, text) => {
    if (mimetype.startsWith('text/')) terminal.setClipboard(text.slice(0, CLIPBOARD_MAX_CHARS));
  };
}
