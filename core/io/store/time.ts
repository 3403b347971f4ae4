/** Store times are ISO 8601 UTC strings: readable in exports and ordered correctly as text. */
export function now(): string {
  return new Date().toISOString();
}
