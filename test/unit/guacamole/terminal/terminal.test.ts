import assert from 'node:assert/strict';
import { Display } from '../../../../guacamole/display/display.js';
import { parseInstructions, type Instruction } from '../../../../guacamole/index.js';
import { GuacTerminal, type TerminalOptions } from '../../../../guacamole/terminal/terminal.js';
import { BrowserDisplayModel } from '../../../helpers/browser-canvas.js';

/** DejaVu Sans Mono at 12 pt, 96 dpi (16 px em): advance 1233/2048·16 → 10 px; ascent 15 + descent 4. */
const CW = 10;
const CH = 19;
const GRAY = [0x99, 0x99, 0x99];
const BLACK = [0, 0, 0];

interface Harness {
  term: GuacTerminal;
  display: Display;
  /** Everything the display sent, parsed. */
  received: Instruction[];
  /** Instructions since the last call. */
  take(): Instruction[];
  canvas: BrowserDisplayModel;
  /** Writes, waits for the parser, renders and flushes one frame, replays it on the canvas. */
  frame(data: string): Promise<Instruction[]>;
}

const harnesses: GuacTerminal[] = [];

function harness(cols = 20, rows = 6, extra: Partial<TerminalOptions> = {}): Harness {
  const display = new Display();
  let raw = '';
  display.attach({ write: (d) => (raw += d) });
  const term = new GuacTerminal({ display, width: cols * CW, height: rows * CH, ...extra });
  harnesses.push(term);
  const received: Instruction[] = [];
  const canvas = new BrowserDisplayModel();
  let mark = 0;
  const h: Harness = {
    term,
    display,
    received,
    canvas,
    take() {
      const parsed = parseInstructions(raw);
      raw = '';
      received.push(...parsed);
      canvas.apply(parsed);
      const out = received.slice(mark);
      mark = received.length;
      return out;
    },
    async frame(data: string) {
      term.write(data);
      await term.settled();
      term.flush();
      return h.take();
    },
  };
  return h;
}

function copies(instructions: readonly Instruction[], src: number): Instruction[] {
  return instructions.filter((i) => i.opcode === 'copy' && Number(i.args[0]) === src);
}

/** Every pixel of a cell. */
function cellPixels(canvas: BrowserDisplayModel, col: number, row: number, width = 1): number[][] {
  const out: number[][] = [];
  const layer = canvas.layer(0).read();
  for (let y = 0; y < CH; y++) {
    for (let x = 0; x < CW * width; x++) {
      const i = ((row * CH + y) * layer.width + col * CW + x) * 4;
      out.push([...layer.data.subarray(i, i + 3)]);
    }
  }
  return out;
}

function assertCanvasMatchesDisplay(h: Harness): void {
  const layer = h.canvas.layer(0);
  assert.equal(layer.width, h.display.surface.width);
  assert.equal(Buffer.compare(Buffer.from(layer.read().data), Buffer.from(h.display.surface.data)), 0, 'replayed instructions equal the display');
}

describe('GuacTerminal', () => {
  afterEach(() => {
    for (const t of harnesses.splice(0)) t.close();
  });

  it('sizes cells from the font: 12 pt DejaVu Sans Mono at 96 dpi is 10×19 px', () => {
    const { term } = harness(20, 6);
    assert.equal(term.font.cellWidth, CW);
    assert.equal(term.font.cellHeight, CH);
    assert.equal(term.cols, 20);
    assert.equal(term.rows, 6);
    const big = harness(20, 6, { fontSize: 24 });
    assert.ok(big.term.font.cellWidth > CW && big.term.font.cellHeight > CH);
  });

  describe('#cells (the cell model)', () => {
    it('resolves colours, bold, underline, inverse, 256 colours and true colour', async () => {
      const h = harness();
      await h.frame('\x1b[1;31mR\x1b[0m\x1b[38;5;208mO\x1b[38;2;1;2;3;48;2;200;100;50mT\x1b[0;4mU\x1b[0;7mI\x1b[0;32mg\x1b[0;8mh\x1b[0m');
      const row = h.term.cells()[0]!;
      assert.deepEqual(row[0], { chars: 'R', width: 1, fg: [0xff, 0x55, 0x55], bg: BLACK, bold: true, underline: false, inverse: false });
      assert.deepEqual(row[1]!.fg, [255, 135, 0]);
      assert.deepEqual([row[2]!.fg, row[2]!.bg], [[1, 2, 3], [200, 100, 50]]);
      assert.equal(row[3]!.underline, true);
      assert.deepEqual([row[4]!.fg, row[4]!.bg, row[4]!.inverse], [BLACK, GRAY, true]);
      assert.deepEqual(row[5]!.fg, [0, 0x99, 0]);
      // Invisible (SGR 8): drawn in the background colour.
      assert.deepEqual(row[6]!.fg, row[6]!.bg);
      assert.deepEqual(row[7], { chars: '', width: 1, fg: GRAY, bg: BLACK, bold: false, underline: false, inverse: false });
    });

    it('keeps wide characters as width 2 + 0 and combining marks with their base', async () => {
      const h = harness();
      await h.frame('a中b e\u0301x');
      const row = h.term.cells()[0]!;
      assert.deepEqual(row.slice(0, 7).map((c) => [c.chars, c.width]), [
        ['a', 1], ['中', 2], ['', 0], ['b', 1], [' ', 1], ['e\u0301', 1], ['x', 1],
      ]);
    });

    it('follows cursor movement, erasing and scrolling', async () => {
      const h = harness(20, 4);
      await h.frame('\x1b[3;5HX\x1b[1;1Htop\x1b[2;3H\x1b[1Kmid');
      assert.deepEqual(h.term.text(), ['top', '  mid', '    X', '']);
      assert.deepEqual(h.term.cursor(), { x: 5, y: 1, visible: true });
      await h.frame('\x1b[4;1H1\r\n2\r\n3');
      assert.deepEqual(h.term.text(), ['    X', '1', '2', '3']);
      await h.frame('\x1b[2J\x1b[H\x1b[?25l');
      assert.deepEqual(h.term.text(), ['', '', '', '']);
      assert.equal(h.term.cursor().visible, false);
    });
  });

  describe('rendering', () => {
    it('draws each distinct glyph once into the buffer and copies it into place', async () => {
      const h = harness();
      const out = await h.frame('aaaa');
      const layer = h.term.glyphs.layer;
      assert.ok(layer < 0, 'the glyph cache is an off-screen buffer');
      const images = out.filter((i) => i.opcode === 'img');
      assert.ok(images.length >= 1 && images.every((i) => Number(i.args[2]) === layer), 'glyph images go to the buffer only');
      const placed = copies(out, layer);
      assert.deepEqual(
        placed.map((c) => c.args.slice(1)),
        [0, 1, 2, 3].map((i) => ['0', '0', String(CW), String(CH), '14', '0', String(i * CW), '0']),
        'copy,<buffer>,0,0,10,19,OVER,0,x,0 for each a',
      );
      assert.deepEqual(h.term.glyphStats, { hits: 3, misses: 1, evictions: 0, size: 1 });
      assertCanvasMatchesDisplay(h);
      // The four cells look the same; the blank cells after them are plain background.
      const first = cellPixels(h.canvas, 0, 0);
      for (let i = 1; i < 4; i++) assert.deepEqual(cellPixels(h.canvas, i, 0), first);
      assert.ok(first.some((p) => p.join() !== BLACK.join()), 'a has ink');
      for (const p of cellPixels(h.canvas, 10, 0)) assert.deepEqual(p, BLACK);
    });

    it('blends glyph pixels between the background and the foreground only (golden colour check)', async () => {
      const h = harness();
      await h.frame('\x1b[38;2;255;0;0;48;2;0;0;255mW\x1b[0m');
      const pixels = cellPixels(h.canvas, 0, 0);
      let ink = 0;
      for (const [r, g, b] of pixels) {
        assert.equal(g, 0);
        assert.equal(r! + b!, 255, `pixel ${r},${g},${b} lies between blue and red`);
        if (r! > 128) ink++;
      }
      assert.ok(ink > 20 && ink < pixels.length / 2, `W covers part of its cell (${ink} px)`);
    });

    it('draws a full block as a solid cell, underline as a line, the cursor inverted', async () => {
      const h = harness();
      await h.frame('\u2588\x1b[4m \x1b[0m');
      for (const p of cellPixels(h.canvas, 0, 0)) assert.deepEqual(p, GRAY);
      // An underlined space: background except the underline rows.
      const underline = cellPixels(h.canvas, 1, 0);
      const lit = new Set(underline.map((p, i) => (p.join() === GRAY.join() ? Math.floor(i / CW) : -1)).filter((y) => y >= 0));
      assert.deepEqual([...lit], [h.term.font.underlineY]);
      // The cursor sits on cell 2 as a block in the foreground colour.
      for (const p of cellPixels(h.canvas, 2, 0)) assert.deepEqual(p, GRAY);
    });

    it('draws wide characters across two cells and combining marks over their base', async () => {
      const h = harness();
      await h.frame('中e\u0301e');
      const wide = cellPixels(h.canvas, 0, 0, 2);
      const left = wide.filter((_, i) => i % (2 * CW) < CW).some((p) => p.join() !== BLACK.join());
      const right = wide.filter((_, i) => i % (2 * CW) >= CW).some((p) => p.join() !== BLACK.join());
      assert.ok(left && right, '中 has ink in both cells');
      assert.ok(copies(h.received, h.term.glyphs.layer).some((c) => c.args[3] === String(2 * CW)), 'a 20 px wide copy');
      // é differs from e only by its accent: more ink, all of e's ink kept.
      const accented = cellPixels(h.canvas, 2, 0);
      const plain = cellPixels(h.canvas, 3, 0);
      const inkOf = (cell: number[][]): number => cell.filter((p) => p[0]! > 0).length;
      assert.ok(inkOf(accented) > inkOf(plain));
    });

    it('scrolls with one copy of the moved rows, not by redrawing them', async () => {
      const h = harness(20, 4);
      await h.frame('one\r\ntwo\r\nthree\r\nfour');
      const out = await h.frame('\r\nfive');
      const moves = copies(out, 0);
      assert.deepEqual(moves.map((c) => c.args.slice(1)), [['0', String(CH), String(20 * CW), String(3 * CH), '14', '0', '0', '0']]);
      // Only the new bottom line is drawn (f, i, v, e) plus the old cursor cell.
      assert.ok(copies(out, h.term.glyphs.layer).length <= 6);
      assert.deepEqual(h.term.text(), ['two', 'three', 'four', 'five']);
      assertCanvasMatchesDisplay(h);
    });

    it('clears with rect + cfill', async () => {
      const h = harness(20, 4);
      await h.frame('\x1b[41mred background\x1b[0m');
      const out = await h.frame('\x1b[2J');
      const fills = out.filter((i) => i.opcode === 'cfill');
      assert.ok(fills.length > 0 && fills.length <= 5);
      assert.ok(out.filter((i) => i.opcode === 'img').length === 0, 'no image for a clear');
      assertCanvasMatchesDisplay(h);
      for (const p of cellPixels(h.canvas, 5, 0)) assert.deepEqual(p, BLACK);
    });

    it('hits the glyph cache for repeated text', async () => {
      const h = harness(40, 10);
      await h.frame('hello world\r\n'.repeat(20));
      const { hits, misses } = h.term.glyphStats;
      assert.ok(misses <= 9, `misses ${misses}`); // h e l o w r d + cursor-free
      assert.ok(hits > misses * 5, `hits ${hits}`);
    });

    it('stays correct when a small cache evicts glyphs within a frame', async () => {
      const h = harness(30, 3, { glyphCapacity: 4 });
      await h.frame('abcdefghij\r\nklmnopqrst');
      assert.ok(h.term.glyphStats.evictions > 0);
      assertCanvasMatchesDisplay(h);
      const h2 = harness(30, 3);
      await h2.frame('abcdefghij\r\nklmnopqrst');
      assert.deepEqual(h.canvas.layer(0).read().data, h2.canvas.layer(0).read().data, 'same picture as with a large cache');
    });

    it('gives a joining user the glyph buffer as well as the screen', async () => {
      const h = harness();
      await h.frame('joined');
      let raw = '';
      h.display.attach({ write: (d) => (raw += d) }, true);
      const replay = parseInstructions(raw);
      const canvas = new BrowserDisplayModel();
      canvas.apply(replay);
      assert.ok(replay.some((i) => i.opcode === 'size' && Number(i.args[0]) === h.term.glyphs.layer));
      // The next frame copies from the buffer; the joiner's canvas must still match.
      raw = '';
      h.term.write('!!');
      await h.term.settled();
      h.term.flush();
      canvas.apply(parseInstructions(raw));
      assert.equal(Buffer.compare(Buffer.from(canvas.layer(0).read().data), Buffer.from(h.display.surface.data)), 0);
    });
  });

  describe('input', () => {
    it('turns keys into bytes, with Ctrl and Alt held', () => {
      const h = harness();
      const sent: string[] = [];
      h.term.on('data', (b) => sent.push(b.toString('utf8')));
      h.term.key(0x61, true);
      h.term.key(0x61, false);
      h.term.key(0xffe3, true);
      h.term.key(0x63, true);
      h.term.key(0xffe3, false);
      h.term.key(0xffe9, true);
      h.term.key(0x62, true);
      h.term.key(0xffe9, false);
      h.term.key(0xff52, true);
      assert.deepEqual(sent, ['a', '\x03', '\x1bb', '\x1b[A']);
    });

    it('uses application cursor keys when the remote asks (DECCKM)', async () => {
      const h = harness();
      await h.frame('\x1b[?1h');
      const sent: string[] = [];
      h.term.on('data', (b) => sent.push(b.toString()));
      h.term.key(0xff52, true);
      assert.deepEqual(sent, ['\x1bOA']);
    });

    it('answers terminal queries (cursor position report)', async () => {
      const h = harness();
      const sent: string[] = [];
      h.term.on('data', (b) => sent.push(b.toString()));
      await h.frame('\x1b[2;3H\x1b[6n');
      assert.deepEqual(sent, ['\x1b[2;3R']);
    });

    it('scrolls back with the wheel and returns to the bottom on a key', async () => {
      const h = harness(20, 4);
      await h.frame(Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\r\n'));
      assert.deepEqual(h.term.text(), ['line 8', 'line 9', 'line 10', 'line 11']);
      h.term.mouse(5, 5, 8);
      h.term.mouse(5, 5, 0);
      assert.equal(h.term.scrolledBack, 3);
      assert.deepEqual(h.term.text(), ['line 5', 'line 6', 'line 7', 'line 8']);
      h.term.flush();
      h.take();
      assertCanvasMatchesDisplay(h);
      h.term.mouse(5, 5, 16);
      h.term.mouse(5, 5, 0);
      assert.equal(h.term.scrolledBack, 0);
      h.term.mouse(5, 5, 8);
      h.term.mouse(5, 5, 0);
      h.term.key(0x78, true);
      assert.equal(h.term.scrolledBack, 0);
    });

    it('selects with the mouse, copies to the clipboard and pastes (bracketed when asked)', async () => {
      const h = harness(20, 4);
      await h.frame('first line\r\nsecond line');
      const copied: string[] = [];
      h.term.on('clipboard', (t) => copied.push(t));
      h.term.mouse(6 * CW + 1, 2, 0);
      h.term.mouse(6 * CW + 1, 2, 1);
      h.term.mouse(5 * CW + 1, CH + 2, 1);
      h.term.mouse(5 * CW + 1, CH + 2, 0);
      assert.deepEqual(copied, ['line\nsecond']);
      h.term.flush();
      h.take();
      // Selected cells are drawn inverted.
      const selected = cellPixels(h.canvas, 6, 0);
      assert.ok(selected.filter((p) => p.join() === GRAY.join()).length > selected.length / 2);
      assertCanvasMatchesDisplay(h);

      const sent: string[] = [];
      h.term.on('data', (b) => sent.push(b.toString()));
      h.term.setClipboard('ls\n-l');
      h.term.mouse(0, 0, 2);
      h.term.mouse(0, 0, 0);
      await h.frame('\x1b[?2004h');
      h.term.key(0xffe3, true);
      h.term.key(0xffe1, true);
      h.term.key(0x56, true);
      assert.deepEqual(sent, ['ls\r-l', '\x1b[200~ls\r-l\x1b[201~']);
    });

    it('resizes the grid and the display and reports the new size', async () => {
      const h = harness(20, 4);
      const sizes: unknown[] = [];
      h.term.on('resize', (s) => sizes.push(s));
      h.term.resize(35 * CW + 5, 7 * CH + 3);
      assert.deepEqual(sizes, [{ cols: 35, rows: 7, width: 35 * CW + 5, height: 7 * CH + 3 }]);
      const out = await h.frame('x');
      assert.ok(out.some((i) => i.opcode === 'size' && i.args.join() === `0,${35 * CW + 5},${7 * CH + 3}`));
      assertCanvasMatchesDisplay(h);
    });

    it('emits the window title', async () => {
      const h = harness();
      const titles: string[] = [];
      h.term.on('title', (t) => titles.push(t));
      await h.frame('\x1b]0;user@host: ~\x07');
      assert.deepEqual(titles, ['user@host: ~']);
    });
  });
});
