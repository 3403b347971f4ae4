/**
 * Rows of a long server-side list fetched page by page as the table scrolls to them. A new sort or filter
 * starts a new cache, so answers to an old query can never land in the new one.
 */
export interface Page<T> {
  total: number;
  rows: T[];
}

export class PageCache<T> {
  readonly pageSize: number;
  total: number | null = null;
  private readonly pages = new Map<number, T[]>();
  private readonly pending = new Set<number>();

  constructor(
    private readonly fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
    private readonly onChange: () => void,
    pageSize = 200,
  ) {
    this.pageSize = pageSize;
  }

  /** The row at `index`, or undefined while its page is loading. */
  row(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Fetches the pages not yet loaded or loading; failures reject so the caller can show them. */
  async ensure(pages: readonly number[]): Promise<void> {
    const missing = pages.filter((p) => !this.pages.has(p) && !this.pending.has(p));
    await Promise.all(
      missing.map(async (p) => {
        this.pending.add(p);
        try {
          const page = await this.fetchPage(p * this.pageSize, this.pageSize);
          this.pages.set(p, page.rows);
          this.total = page.total;
          this.onChange();
        } finally {
          this.pending.delete(p);
        }
      }),
    );
  }
}
