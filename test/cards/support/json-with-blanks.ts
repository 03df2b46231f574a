import fc from 'fast-check';

/**
 * JSON-like values (nested arrays and objects, holes of undefined and null) whose texts are often
 * blank in one of the ways card pruning must recognise — empty, ASCII and Unicode spaces, a BOM —
 * or nearly so ('x', ' y ', a minus sign, an accented letter).
 */
export const jsonWithBlanks: fc.Arbitrary<unknown> = (() => {
  const blank = fc.constantFrom('', ' ', '\t\n', '\u00a0', '\ufeff', '\u2028\u3000', 'x', ' y ', '\u2212', '\u00e9');
  const leaf = fc.oneof(blank, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node;
})();
