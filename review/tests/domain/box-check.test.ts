/** The rules a decision's boxes follow beyond their shape. */
import { describe, expect, it } from 'vitest';
import { checkDecisionBoxes } from '../../src/domain/index.ts';

const image = { width: 100, height: 50 };
const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height, label: 'scratch' });

describe('checkDecisionBoxes', () => {
  it('accepts ok without boxes and defect with boxes inside the image', () => {
    expect(checkDecisionBoxes('ok', [], image)).toBeUndefined();
    expect(checkDecisionBoxes('defect', [box(0, 0, 100, 50)], image)).toBeUndefined();
  });

  it('names the field of the first problem', () => {
    expect(checkDecisionBoxes('ok', [box(0, 0, 1, 1)], image)?.field).toBe('boxes');
    expect(checkDecisionBoxes('defect', [], image)?.field).toBe('boxes');
    expect(checkDecisionBoxes('defect', [box(1, 1, 1, 1), box(0, 0, 0, 5)], image)?.field).toBe('boxes.1');
    expect(checkDecisionBoxes('defect', [box(90, 0, 20, 5)], image)?.field).toBe('boxes.0.width');
    expect(checkDecisionBoxes('defect', [box(0, 40, 5, 20)], image)?.field).toBe('boxes.0.height');
  });
});
