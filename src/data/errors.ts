/** Data that cannot be used as given; the message names the file or folder and what is wrong (exit code 2). */
export class DataError extends Error {}
