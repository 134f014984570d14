import assert from 'node:assert/strict';
import { dispatch, CLIPBOARD_MAX_BYTES, MAX_INBOUND_STREAMS } from '../../../../guacamole/daemon/handlers.js';
import type { GuacSession } from '../../../../guacamole/daemon/session.js';
import { parseInstructions, type Instruction } from '../../../../guacamole/index.js';

/** The parts of a session the handler table touches, recording what it writes and pastes. */
function fakeSession() {
  const written: Instruction[] = [];
  const pasted: string[] = [];
  const quiet = (): void => {};
  const session = {
    id: '@1',
    inbound: new Map(),
    input: { clipboard: (_mimetype: string, text: string) => pasted.push(text) },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
    write: (data: string) => written.push(...parseInstructions(data)),
  };
  return { session: session as unknown as GuacSession, written, pasted };
}

const ins = (opcode: string, ...args: (string | number)[]): Instruction => ({ opcode, args: args.map(String) });

describe('handlers', () => {
  describe('clipboard streams', () => {
    it('collects blobs until end and pastes the text', () => {
      const { session, pasted, written } = fakeSession();
      dispatch(session, ins('clipboard', 2, 'text/plain'));
      dispatch(session, ins('blob', 2, Buffer.from('hé').toString('base64')));
      dispatch(session, ins('blob', 2, Buffer.from('llo').toString('base64')));
      dispatch(session, ins('end', 2));
      assert.deepEqual(pasted, ['héllo']);
      assert.deepEqual(written, []);
      assert.equal(session.inbound.size, 0);
    });

    it('keeps at most CLIPBOARD_MAX_BYTES of one stream', () => {
      const { session, pasted } = fakeSession();
      dispatch(session, ins('clipboard', 0, 'text/plain'));
      const chunk = Buffer.alloc(6000, 0x61).toString('base64');
      for (let n = 0; n * 6000 <= CLIPBOARD_MAX_BYTES; n++) dispatch(session, ins('blob', 0, chunk));
      dispatch(session, ins('end', 0));
      assert.equal(pasted[0]!.length, CLIPBOARD_MAX_BYTES);
    });

    it('refuses stream indices outside 0..63 as guacd does, so a client cannot open streams without bound', () => {
      const { session, written } = fakeSession();
      for (const index of [-1, MAX_INBOUND_STREAMS, 100000]) dispatch(session, ins('clipboard', index, 'text/plain'));
      assert.equal(session.inbound.size, 0);
      assert.deepEqual(
        written.map((i) => i.args),
        ['-1', String(MAX_INBOUND_STREAMS), '100000'].map((index) => [index, 'Invalid stream index', '768']),
      );
      dispatch(session, ins('clipboard', MAX_INBOUND_STREAMS - 1, 'text/plain'));
      assert.equal(session.inbound.size, 1);
    });

    it('acks a blob or end on a stream that is not open with "Invalid stream index"', () => {
      const { session, written } = fakeSession();
      dispatch(session, ins('blob', 5, 'AAAA'));
      dispatch(session, ins('end', 5));
      assert.deepEqual(written.map((i) => [i.opcode, ...i.args]), [
        ['ack', '5', 'Invalid stream index', '768'],
        ['ack', '5', 'Invalid stream index', '768'],
      ]);
    });
  });
});
