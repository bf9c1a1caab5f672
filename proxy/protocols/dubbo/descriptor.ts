/*
 * Dubbo's parameter type descriptor, the JVM method-descriptor syntax without parentheses:
 *
 *   desc  ::= type*
 *   type  ::= '['* ( 'Z' | 'B' | 'C' | 'D' | 'F' | 'I' | 'J' | 'S' | 'V' | 'L' class-name ';' )
 *
 * e.g. "Ljava/lang/String;I[J" is three parameters. The codec needs only the count, to know how
 * many argument values to skip before the attachments map.
 */

/** How many parameters `desc` declares, or -1 when it is not a valid descriptor. */
export function countParameterTypes(desc: string): number {
  let count = 0;
  let i = 0;
  const n = desc.length;
  while (i < n) {
    let c = desc.charCodeAt(i);
    while (c === 0x5b /* [ */) {
      if (++i >= n) return -1;
      c = desc.charCodeAt(i);
    }
    if (c === 0x4c /* L */) {
      const semi = desc.indexOf(";", i + 1);
      if (semi < 0 || semi === i + 1) return -1;
      i = semi + 1;
    } else if ("ZBCDFIJSV".includes(desc[i]!)) i++;
    else return -1;
    count++;
  }
  return count;
}
