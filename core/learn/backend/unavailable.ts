/** A backend that cannot be used here, and why (a failed attempt, not a bug: selection moves on). */
export class Unavailable extends Error {}
