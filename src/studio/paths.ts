/**
 * Request paths of the studio, decoded once and checked: no dot segments, separators or NUL in any encoding,
 * no double encoding, no control characters. What passes is a list of plain names; the server still checks
 * that the real path of the file they name lies inside the folder it serves.
 */

export interface PathRefusal {
  status: 400 | 404;
  error: string;
}

/** The segments of a raw request path ('/' → []), or why it is refused. */
export function decodePath(raw: string): string[] | PathRefusal {
  if (!raw.startsWith('/')) return { status: 400, error: 'the path must start with /' };
  if (/[^\x21-\x7e]/.test(raw)) return { status: 400, error: 'the path has characters outside printable ASCII' };
  // Encoded '/', '\' and NUL would hide a separator or a terminator inside a name.
  if (/%(2f|5c|00)/i.test(raw)) return { status: 400, error: 'the path has an encoded slash, backslash or NUL' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Malformed escapes and invalid UTF-8, overlong forms such as %c0%ae included.
    return { status: 400, error: 'the path has malformed percent-encoding' };
  }
  // A '%' left after one decoding means double encoding (%252e); backslashes and control characters never belong.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this test refuses
  if (/[%\\\x00-\x1f\x7f]/.test(decoded))
    return { status: 400, error: 'the path has a backslash, a control character or double encoding' };
  if (decoded === '/') return [];
  const segments = decoded.slice(1).split('/');
  if (segments.some((s) => s === '.' || s === '..')) return { status: 400, error: 'the path has . or .. segments' };
  if (segments.some((s) => s === '' || s.startsWith('.') || s.length > 255)) return { status: 404, error: 'not found' };
  return segments;
}
