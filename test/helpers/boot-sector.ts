/**
 * A boot sector that shows the keys it gets, for proving that a key reached a real (QEMU) machine.
 * 16-bit real mode, on the 80×25 VGA text screen at B800:0000 (QEMU draws it at 720×400, 9×16 pixels a cell):
 * it hides the cursor and paints the whole screen blue (ready), then for every key (int 16h) blanks the screen
 * to black and shows the key's ASCII code in the top row, most significant bit first, two cells per bit:
 * light grey for 1, black for 0.
 */

export const KEY_CODE_BOOT_CODE: readonly number[] = [
  0xfc, //                   cld
  0xb4, 0x01, //             mov ah, 1
  0xb9, 0x00, 0x20, //       mov cx, 0x2000
  0xcd, 0x10, //             int 10h            ; hide the cursor
  0xb8, 0x00, 0xb8, //       mov ax, 0xB800
  0x8e, 0xc0, //             mov es, ax
  0x31, 0xff, //             xor di, di
  0xb9, 0xd0, 0x07, //       mov cx, 2000
  0xb8, 0x20, 0x10, //       mov ax, 0x1020     ; blank cell, blue background
  0xf3, 0xab, //             rep stosw
  0x31, 0xc0, //       key:  xor ax, ax
  0xcd, 0x16, //             int 16h            ; wait for a key: AL = ASCII
  0x88, 0xc3, //             mov bl, al
  0x31, 0xff, //             xor di, di
  0xb9, 0xd0, 0x07, //       mov cx, 2000
  0xb8, 0x20, 0x00, //       mov ax, 0x0020     ; blank cell, black background
  0xf3, 0xab, //             rep stosw
  0x31, 0xff, //             xor di, di
  0xb9, 0x08, 0x00, //       mov cx, 8
  0xb8, 0x20, 0x00, //  bit: mov ax, 0x0020
  0xd0, 0xe3, //             shl bl, 1
  0x73, 0x02, //             jnc store
  0xb4, 0x70, //             mov ah, 0x70       ; light grey background
  0xab, //            store: stosw
  0xab, //                   stosw
  0xe2, 0xf3, //             loop bit
  0xeb, 0xdc, //             jmp key
];

/** Text-mode cell size in QEMU's rendering of the screen. */
export const TEXT_CELL = { width: 9, height: 16 } as const;

/** The 512-byte boot sector: the code, zeros, and the 0x55 0xAA signature. */
export function bootSector(code: readonly number[]): Buffer {
  if (code.length > 510) throw new Error(`boot code of ${code.length} bytes does not fit in 510`);
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Where bit `bit` (7 = most significant) of the shown key code is drawn: the centre of its first cell. */
export function keyCodeBitPixel(bit: number): { x: number; y: number } {
  const cell = (7 - bit) * 2;
  return { x: cell * TEXT_CELL.width + Math.floor(TEXT_CELL.width / 2), y: Math.floor(TEXT_CELL.height / 2) };
}
