// Work over many items, a few at a time (questions to one DNS server, dials to the devices listed):
// at most `limit` run at once, and the results come back in the order of the items. Pure
// TypeScript: main and renderer.

/** Runs `work` over `items`, at most `limit` at once; resolves with the results in `items`' order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
