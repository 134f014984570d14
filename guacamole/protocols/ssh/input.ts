/** Guacamole mouse/key/size input → the terminal (guacd's protocols/ssh/input.c); the terminal turns keys into bytes. */
import type { InputHandlers } from '../../daemon/protocol-module.js';
import type { GuacTerminal } from '../../terminal/terminal.js';

export function sshInput(terminal: Pick<GuacTerminal, 'key' | 'mouse' | 'resize'>): InputHandlers {
  return {
    key: (keysym, pressed) => terminal.key(keysym, pressed),
    mouse: (x, y, buttonMask) => terminal.mouse(Math.max(0, x), Math.max(0, y), buttonMask),
    // The grid follows the browser window; the terminal tells the remote side (window-change).
    size: (width, height) => terminal.resize(width, height),
  };
}
