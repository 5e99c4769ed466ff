import { describe, expect, it } from 'vitest';
import { ChecksumError, CodedError, joinErrorMessage, MedMnistError } from './errors';

describe('CodedError', () => {
  it('joins reason and hint into the message and keeps them, the code and the cause apart', () => {
    const cause = new Error('EIO');
    const error = new CodedError('SOME_CODE', 'The file is empty.', { hint: 'Download it again.', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('The file is empty. Download it again.');
    expect(error).toMatchObject({
      code: 'SOME_CODE',
      reason: 'The file is empty.',
      hint: 'Download it again.',
    });
    expect(error.cause).toBe(cause);
    expect(new CodedError('X', 'No hint.').message).toBe('No hint.');
    expect(new CodedError('X', 'No hint.').hint).toBeUndefined();
    expect(joinErrorMessage('Reason.', undefined)).toBe('Reason.');
  });

  it('is the base of MedMnistError and its subclasses, which keep their own names', () => {
    const error = new MedMnistError('MEDMNIST_FORMAT', 'Bad header.', { hint: 'Re-download.' });
    expect(error).toBeInstanceOf(CodedError);
    expect(error.name).toBe('MedMnistError');
    expect(error).toMatchObject({ code: 'MEDMNIST_FORMAT', reason: 'Bad header.', hint: 'Re-download.' });
    expect(ChecksumError.prototype).toBeInstanceOf(CodedError);
  });
});
