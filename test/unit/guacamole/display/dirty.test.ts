import assert from 'node:assert/strict';
import { frameRects } from '../../../../guacamole/display/dirty.js';

describe('dirty', () => {
  describe('frameRects', () => {
    it('sends text-line strips that cover most of their bounding box as that box', () => {
      // 25 lines of 720×10 with 6-pixel gaps: 62 % of the 720×400 box
      const strips = Array.from({ length: 25 }, (_, i) => ({ x: 0, y: i * 16, width: 720, height: 10 }));
      assert.deepEqual(frameRects(strips), [{ x: 0, y: 0, width: 720, height: 394 }]);
    });

    it('keeps sparse rectangles apart', () => {
      const sparse = [{ x: 0, y: 0, width: 16, height: 16 }, { x: 700, y: 380, width: 16, height: 16 }];
      assert.deepEqual(frameRects(sparse), sparse);
    });

    it('passes a single rectangle through', () => {
      const one = [{ x: 3, y: 4, width: 5, height: 6 }];
      assert.equal(frameRects(one), one);
    });
  });
});
