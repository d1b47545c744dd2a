/**
 * The error types every layer throws for mistakes a user can fix. The CLI catches `UserError` and prints its
 * one-line message with exit code 2; anything else is a fault and keeps its stack trace.
 */

/** A mistake a user can fix: a flag, a file, a config value. The message is one line naming what is wrong. */
export class UserError extends Error {}

/** A mistake in how a command or function was called (a flag out of range, an option this run cannot take). */
export class UsageError extends UserError {}
