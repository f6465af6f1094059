import { base64Forms } from './erasure';

describe('base64Forms', () => {
  it('finds a text inside base64 whatever its offset', () => {
    const text = 'ada.3f2a@example.com';
    for (let offset = 0; offset < 6; offset++) {
      const encoded = Buffer.from(`${'{'.repeat(offset)}"email":"${text}"}`).toString('base64');
      expect(base64Forms(text).some((form) => encoded.includes(form))).toBe(true);
    }
    expect(base64Forms(text).some((form) => Buffer.from('ada.3f2b@example.com').toString('base64').includes(form))).toBe(false);
  });
});
