export function reportDuplicates(keys: string[], report: (index: number) => void): void {
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) report(i);
    seen.add(k);
  });
}

export function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
