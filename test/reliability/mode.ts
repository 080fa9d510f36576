/**
 * Fast (inside `npm test`) or soak (`npm run soak`, WHARF_SOAK=1) mode of the reliability tests:
 *   const n = scaled({ fast: 3, soak: 50 });
 */
export const SOAK = process.env.WHARF_SOAK === '1';

export function scaled(o: { fast: number; soak: number }): number {
  return SOAK ? o.soak : o.fast;
}
