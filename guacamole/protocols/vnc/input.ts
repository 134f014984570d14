/** Guacamole mouse/key/size input → RFB PointerEvent / KeyEvent (guacd's protocols/vnc/input.c). */
import type { InputHandlers } from '../../daemon/protocol-module.js';
import type { RfbClientApi } from './rfb/rfb-client-types.js';

export function vncInput(rfb: Pick<RfbClientApi, 'pointer' | 'key'>): InputHandlers {
  return {
    // The Guacamole button mask (left 1, middle 2, right 4, wheel 8/16) is the RFB button mask.
    mouse: (x, y, buttonMask) => rfb.pointer(Math.max(0, x), Math.max(0, y), buttonMask & 0xff),
    // X11 keysyms go through unchanged.
    key: (keysym, pressed) => rfb.key(keysym, pressed),
    // guacd 1.5.x does not resize the remote desktop when the browser window changes.
    size: () => {},
  };
}
