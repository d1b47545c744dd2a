/** Data that cannot be used as given; the message names the file or folder and what is wrong (exit code 2). */
import { UserError } from '../errors.js';

export class DataError extends UserError {}
