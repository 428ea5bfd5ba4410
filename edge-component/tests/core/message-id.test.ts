import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { messageIdOf } from '../../src/core/message-id.ts';

const image = 'a'.repeat(64);
const model = 'b'.repeat(64);

describe('messageIdOf', () => {
  it('is the sha256 hex of "<image sha256>:<model sha256>" (ids already in outboxes stay valid)', () => {
    const expected = createHash('sha256').update(`${image}:${model}`).digest('hex');
    expect(messageIdOf(image, model)).toBe(expected);
    expect(messageIdOf(image, model)).toMatch(/^[0-9a-f]{64}$/);
  });
  it('is stable: a known pair gives a known id', () => {
    // sha256("aaa…a:bbb…b"), computed once with `printf %s "$(printf 'a%.0s' {1..64}):$(printf 'b%.0s' {1..64})" | sha256sum`.
    expect(messageIdOf(image, model)).toBe('6173cf9d3267e6b926102c8b149812658d05d834916fd23f7451c48c888147ab');
  });
  it('differs for another model or another image, and is not symmetric', () => {
    const id = messageIdOf(image, model);
    expect(messageIdOf(image, 'c'.repeat(64))).not.toBe(id);
    expect(messageIdOf('c'.repeat(64), model)).not.toBe(id);
    expect(messageIdOf(model, image)).not.toBe(id);
  });
});
