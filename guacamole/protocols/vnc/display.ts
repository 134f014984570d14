/** RFB framebuffer events → the shared display (guacd's protocols/vnc/display.c and cursor.c). */
import type { EventEmitter } from 'node:events';
import { decodeImage } from '../../display/decoders.js';
import type { Display } from '../../display/display.js';
import type { RgbaImage } from '../../display/surface.js';
import { recycleImage, type RfbClientEventMap } from './rfb/index.js';
import type { VncSettings } from './settings.js';

/** The RFB events this module draws from, as the RfbClient emits them. */
export type RfbDrawingEvents = EventEmitter<RfbClientEventMap>;

function swapImage(image: RgbaImage): RgbaImage {
  const data = new Uint8Array(image.data);
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i]!;
    data[i] = data[i + 2]!;
    data[i + 2] = r;
  }
  return { width: image.width, height: image.height, data };
}

/** Attaches the drawing listeners; `swap-red-blue` swaps the channels on the way. */
export function drawRfbInto(rfb: RfbDrawingEvents, display: Display, settings: Pick<VncSettings, 'swapRedBlue' | 'cursor'>): void {
  const swap = settings.swapRedBlue;
  rfb.on('resize', ({ width, height }) => display.resize(width, height));
  rfb.on('pixels', (x, y, image) => {
    display.put(x, y, swap ? swapImage(image) : image);
    // The display copied the pixels: the decoder may reuse the memory for the next rectangle.
    recycleImage(image);
  });
  rfb.on('image', (x, y, width, height, mimetype, data) => {
    if (swap) display.put(x, y, swapImage(decodeImage(mimetype, data)));
    else display.putImage(x, y, width, height, mimetype, data);
  });
  rfb.on('fill', (x, y, width, height, rgba) =>
    display.fill(x, y, width, height, swap ? [rgba[2], rgba[1], rgba[0], rgba[3]] : rgba),
  );
  rfb.on('copy', (srcX, srcY, width, height, x, y) => display.copy(srcX, srcY, width, height, x, y));
  if (settings.cursor === 'local') {
    rfb.on('cursor', (hotX, hotY, image) => display.setCursor(hotX, hotY, swap ? swapImage(image) : image));
  }
}
